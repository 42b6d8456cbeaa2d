// The one place where untrusted text (label values, model names, replica ids, file names, kernel
// names, config values, server messages) is made safe for an output. One function per context:
//
//   mdText      Markdown inline text: a paragraph, a list item, a heading, link text, a table cell
//   code        Markdown inline code span (outside a table)
//   codeCell    Markdown inline code span inside a GFM table cell
//   codeBlock   a fenced Markdown code block (several lines)
//   linkDest    a relative link or image destination written by us (a chart file, a doc page)
//   xmlText     SVG/XML character data
//   xmlAttr     SVG/XML attribute value (double- or single-quoted)
//   terminal    text printed to a terminal (stderr errors, `inspect`)
//
// Every context first goes through `visible()`: characters that would reorder, hide or break the
// output become visible stand-ins. C0 controls become their Control Pictures (ESC → ␛, NUL → ␀),
// DEL → ␡; tab, CR, LF, VT, FF, NEL and the Unicode line/paragraph separators become one space (every
// context here is one line); C1 controls, bidirectional overrides/isolates, lone UTF-16 surrogates and
// the non-characters U+FFFE/U+FFFF become U+FFFD. What remains is valid XML 1.0 character data and
// cannot move a terminal's cursor. The mapping is the same in every context, so a value reads the
// same in the Markdown, the SVG and on the terminal.
//
// Markdown (CommonMark with GFM tables, as GitHub renders it): text is backslash-escaped — every
// ASCII punctuation character that can open inline structure (\ ` * _ [ ] < > | ~ &) always, and a
// block marker (# > - + = and `1.`/`1)`) when it begins the value — so a value can
// neither start HTML, a link, emphasis, a heading or a list, nor split a table cell. Inside a code
// span nothing can be escaped: the fence is one backtick longer than the longest run inside, and a
// value is never entity-escaped there (it would show `&lt;` literally).

/** Characters `visible()` rewrites (one regex, without the `u` flag so lone surrogates match). */
const INVISIBLE_RE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function stand_in(ch: string): string {
  const c = ch.charCodeAt(0);
  if (c === 0x09 || c === 0x0a || c === 0x0b || c === 0x0c || c === 0x0d || c === 0x85 || c === 0x2028 || c === 0x2029) return ' ';
  if (c < 0x20) return String.fromCharCode(0x2400 + c);
  if (c === 0x7f) return '\u2421';
  return '\ufffd';
}

/** The value with controls, bidi overrides and broken surrogates replaced (see the header). */
export function visible(text: string): string {
  const s = String(text);
  INVISIBLE_RE.lastIndex = 0;
  return INVISIBLE_RE.test(s) ? s.replace(INVISIBLE_RE, stand_in) : s;
}

// ---------------------------------------------------------------------------------------------
// Markdown

/** Inline characters escaped everywhere in text. */
const MD_INLINE_RE = /[\\`*_[\]<>|~&]/g;
/**
 * A block marker at the start of a value: a quote (`>`), or `#`, `+`, `-`, `=` followed by a space,
 * the end, or the same character (headings, bullets, setext underlines, thematic breaks). `-1.5`,
 * `#123` and `+Inf` stay as they are.
 */
const MD_BLOCK_START_RE = /^(?:>|([#+=-])(?= |$|\1))/;
/** An ordered-list marker at the start of a value (`1. ` or `1)`): the delimiter is escaped. */
const MD_ORDERED_RE = /^(\d{1,9})([.)])(?= |$)/;

/**
 * Markdown inline text: safe in a paragraph, list item, heading, link text and a table cell.
 * Surrounding whitespace is dropped (it is invisible in rendered Markdown, and four leading spaces
 * would start a code block).
 */
export function mdText(text: string): string {
  const t = visible(text).trim();
  if (t === '') return '';
  return t
    .replace(MD_INLINE_RE, '\\$&')
    .replace(MD_ORDERED_RE, '$1\\$2')
    .replace(MD_BLOCK_START_RE, '\\$&');
}

/** Link text (`[…](…)` or an image's alt text): the same rules as other inline text. */
export const linkText = mdText;

function longestBacktickRun(s: string): number {
  let best = 0;
  let run = 0;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) === 0x60) {
      run++;
      if (run > best) best = run;
    } else run = 0;
  }
  return best;
}

function span(content: string): string {
  if (content === '') return '` `';
  const fence = '`'.repeat(longestBacktickRun(content) + 1);
  // CommonMark strips one space from each end when both ends have one; a backtick at an end would
  // merge with the fence. Pad with one space in those cases.
  const pad = content.startsWith('`') || content.endsWith('`') || (content.startsWith(' ') && content.endsWith(' ') && content.trim() !== '') ? ' ' : '';
  return `${fence}${pad}${content}${pad}${fence}`;
}

/** An inline code span outside tables (literal content: no escapes, no entities). */
export function code(text: string): string {
  return span(visible(String(text)));
}

/**
 * An inline code span inside a GFM table cell. The table splits cells before inline parsing, so a
 * `|` is written `\|` (GFM removes the backslash, inside code spans too). A `|` right after a
 * backslash cannot be written unambiguously inside a code span (GitHub reads `\\|` as an escaped
 * backslash and a cell break, markdown-it as a backslash and an escaped pipe), so such a value is
 * written as escaped text instead of code.
 */
export function codeCell(text: string): string {
  const v = visible(String(text));
  if (!v.includes('|')) return span(v);
  if (v.includes('\\|')) return mdText(v);
  return span(v).replace(/\|/g, '\\|');
}

/** A fenced code block holding several lines (e.g. the `vllm serve` command). */
export function codeBlock(text: string, info = ''): string {
  const lines = String(text).split(/\r\n|\r|\n/).map(visible);
  const body = lines.join('\n');
  const fence = '`'.repeat(Math.max(3, longestBacktickRun(body) + 1));
  return `${fence}${visible(info).replace(/[`\s]/g, '')}\n${body}\n${fence}`;
}

/**
 * A relative link destination we build (a chart file name, a doc page): every character outside
 * `A-Za-z0-9 . _ ~ / -` is percent-encoded, so it can neither leave the parentheses nor name a
 * scheme (`javascript:` becomes the relative path `javascript%3A`).
 */
export function linkDest(target: string): string {
  return Array.from(visible(String(target)))
    .map((ch) => (/^[A-Za-z0-9._~/-]$/.test(ch) ? ch : Array.from(Buffer.from(ch, 'utf8')).map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('')))
    .join('');
}

// ---------------------------------------------------------------------------------------------
// SVG / XML

/** XML character data (between tags). */
export function xmlText(text: string): string {
  return visible(String(text)).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An XML attribute value, safe between double or single quotes. */
export function xmlAttr(text: string): string {
  return xmlText(text).replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

// ---------------------------------------------------------------------------------------------
// Terminal

/** Text for a terminal: no escape sequences, no cursor movement, one line. */
export function terminal(text: string): string {
  return visible(String(text));
}

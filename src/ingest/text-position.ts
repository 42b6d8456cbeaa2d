// Positions for error messages, computed only when an error is thrown (never on the happy path).

/** The 1-based line holding character `offset` of `text` (an offset past the end: the last line). */
export function lineAt(text: string, offset: number): number {
  const end = Math.min(Math.max(0, offset), text.length);
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/**
 * Where `JSON.parse(text)` failed, from its error: V8 names the character offset ("… in JSON at
 * position 52"; newer versions add "(line 3 column 5)"), or says the input ended early. Undefined
 * when the message says neither.
 */
export function jsonParsePosition(text: string, err: unknown): { line: number } | undefined {
  const msg = err instanceof Error ? err.message : String(err);
  const lc = /\(line (\d+) column \d+\)/.exec(msg);
  if (lc) return { line: Number(lc[1]) };
  const at = /at position (\d+)/.exec(msg);
  if (at) return { line: lineAt(text, Number(at[1])) };
  if (/end of JSON input/.test(msg)) return { line: lineAt(text, text.trimEnd().length) };
  return undefined;
}

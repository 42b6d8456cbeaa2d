// Secrets the user gave us (HTTP header values such as `Authorization: Bearer …` and `X-Scope-OrgID`,
// URL user-info, VLLM_TUNE_* tokens) are sent, never shown. The Prometheus client registers each one
// here; every line printed to stderr, every server message quoted in an error or a warning, and every
// report file written goes through redactSecrets(). A server that echoes request headers in an error
// body therefore cannot get a token into CI logs or a committed report.
//
// Matching: a secret of 8 characters or more is replaced wherever it occurs; a shorter one (a tenant
// id like `team-a`) only where it stands as a whole token, so `1` as an org id does not blank out
// every digit. Secrets under 3 characters are not registered (nothing would be left readable).

const LONG = 8;
const MIN = 3;
export const REDACTED = '<redacted>';

const secrets = new Set<string>();
let pattern: RegExp | null = null;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Remember a secret (and, for `Bearer x` / `Basic x` values, the credential alone). */
export function registerSecret(value: string | undefined): void {
  if (value === undefined) return;
  const v = value.trim();
  const parts = [v];
  const scheme = /^(?:Bearer|Basic|Token|Bot|Digest|Negotiate)\s+(.+)$/i.exec(v);
  if (scheme) parts.push(scheme[1].trim());
  for (const p of parts) {
    if (p.length >= MIN && !secrets.has(p)) {
      secrets.add(p);
      pattern = null;
    }
  }
}

function build(): RegExp | null {
  if (secrets.size === 0) return null;
  // Longest first, so `Bearer abc…` is replaced whole before `abc…`.
  const alts = [...secrets]
    .sort((a, b) => b.length - a.length)
    .map((s) => (s.length >= LONG ? escapeRe(s) : `(?<![A-Za-z0-9_.-])${escapeRe(s)}(?![A-Za-z0-9_-])(?!\\.[A-Za-z0-9_-])`));
  return new RegExp(alts.join('|'), 'g');
}

/** `user:password@` dropped from URLs in free text. */
export function redactUrlUserInfo(text: string): string {
  return text.replace(/\/\/[^/@\s]*@/g, '//');
}

/** The text with every registered secret replaced by `<redacted>` and URL user-info removed. */
export function redactSecrets(text: string): string {
  let out = redactUrlUserInfo(text);
  if (secrets.size === 0) return out;
  pattern ??= build();
  if (pattern) out = out.replace(pattern, REDACTED);
  return out;
}

/** Whether any secret is registered (writers skip the scan otherwise). */
export function haveSecrets(): boolean {
  return secrets.size > 0;
}

// src/redact.ts and parseByteSize: what is replaced and what is left readable.

import { describe, expect, it } from 'vitest';
import { redactSecrets, registerSecret } from '../../src/redact.js';
import { parseByteSize } from '../../src/limits.js';

describe('redactSecrets', () => {
  it('long secrets anywhere, short ones only as whole words, the credential of "Bearer x" alone too, URL user-info', () => {
    registerSecret('Bearer abcdefgh12345678');
    registerSecret('team-a');
    registerSecret('1'); // too short to register: nothing would stay readable
    expect(redactSecrets('auth=Bearer abcdefgh12345678 then xabcdefgh12345678y')).toBe('auth=<redacted> then x<redacted>y');
    expect(redactSecrets('org team-a, not team-ab or steam-a; team-a.')).toBe('org <redacted>, not team-ab or steam-a; <redacted>.');
    expect(redactSecrets('1 of 10')).toBe('1 of 10');
    expect(redactSecrets('see http://u:p@host:9090/x and https://tok@h/')).toBe('see http://host:9090/x and https://h/');
  });
});

describe('parseByteSize', () => {
  it('binary and decimal units, bare bytes; nonsense is BAD_OPTION', () => {
    expect(parseByteSize('1MiB', '--x')).toBe(1048576);
    expect(parseByteSize('512mib', '--x')).toBe(512 * 1048576);
    expect(parseByteSize('2GB', '--x')).toBe(2e9);
    expect(parseByteSize('1.5KiB', '--x')).toBe(1536);
    expect(parseByteSize('1e6', '--x')).toBe(1e6);
    expect(parseByteSize('4096', '--x')).toBe(4096);
    for (const bad of ['', 'lots', '-1MiB', '0', '1 furlong']) expect(() => parseByteSize(bad, '--x'), bad).toThrow(expect.objectContaining({ code: 'BAD_OPTION' }));
  });
});

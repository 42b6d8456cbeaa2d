// Package root and version, found from src/ (tests) and from dist/src/ (the compiled CLI) alike.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): { root: string; version: string } {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const p = path.join(dir, 'package.json');
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'vllm-tune') return { root: dir, version: pkg.version };
    }
    dir = path.dirname(dir);
  }
  return { root: process.cwd(), version: '0.0.0' };
}

const found = findRoot();
export const VERSION: string = found.version;
/** Absolute path of the installed package (where datasets/ and docs/ live). */
export const PACKAGE_ROOT: string = found.root;

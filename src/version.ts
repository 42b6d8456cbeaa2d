// Read once from package.json so `--version` never drifts from the package. Works from src/ (tests)
// and from dist/src/ (the compiled CLI).
import { existsSync, readFileSync } from 'node:fs';

function findPackageJson(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    const u = new URL(rel, import.meta.url);
    if (existsSync(u)) {
      const pkg = JSON.parse(readFileSync(u, 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'vllm-tune') return pkg.version;
    }
  }
  return '0.0.0';
}

export const VERSION: string = findPackageJson();

// `vllm-tune inspect` — being written by the lead.
import type { Command } from 'commander';

export function register(_program: Command): void {}

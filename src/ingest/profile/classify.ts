// Kernel classification as data: an ordered list of anchored regular expressions read from
// src/ingest/kernel-patterns.json (plus the user's --kernel-patterns file, tried first). The first
// rule that matches wins; a name no rule matches is `other`. Results are memoised per name, so the
// cost is paid once per distinct kernel, not once per event.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { z } from 'zod';
import { InputError } from '../../errors.js';
import { KERNEL_CATEGORIES, type KernelCategory } from '../../model/profile.js';
import { jsonParsePosition } from '../text-position.js';

const RuleSchema = z.object({
  category: z.enum(KERNEL_CATEGORIES as [KernelCategory, ...KernelCategory[]]),
  sub: z.string().optional(),
  pattern: z.string(),
  flags: z.string().regex(/^i?$/).optional(),
  note: z.string().optional(),
});
/** Class of the CPU operator that launched a kernel (the op cross-check, docs/profiles.md). */
export const OP_CLASSES = ['attention', 'moe', 'gemm', 'communication', 'other'] as const;
export type OpClass = (typeof OP_CLASSES)[number];
const OpRuleSchema = z.object({ class: z.enum(OP_CLASSES), pattern: z.string(), note: z.string().optional() });
export type OpRule = z.infer<typeof OpRuleSchema>;
const RuleFileSchema = z.object({ about: z.string().optional(), rules: z.array(RuleSchema), ops: z.array(OpRuleSchema).optional() });
export type PatternRule = z.infer<typeof RuleSchema>;

/** Sub-class of `other` for a name that no rule matches. */
export const UNMATCHED = 'unmatched';

export interface Classification {
  category: KernelCategory;
  sub?: string;
  /** Index of the rule that matched (in the combined list), or -1 for the fallback. */
  rule: number;
}

interface CompiledRule extends PatternRule {
  re: RegExp;
}

/** Where the built-in rules live, from src/ (tests, tsx) or from dist/src/ (compiled CLI). */
function defaultPatternsPath(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [
    path.resolve(here, '..', 'kernel-patterns.json'),
    path.resolve(here, '..', '..', '..', '..', 'src', 'ingest', 'kernel-patterns.json'),
  ];
  for (const c of candidates) {
    try {
      readFileSync(c, { flag: 'r' });
      return c;
    } catch {
      /* try the next */
    }
  }
  return candidates[0];
}

function parseRuleFile(text: string, display: string): { rules: PatternRule[]; ops: OpRule[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const position = jsonParsePosition(text, e);
    throw new InputError({ code: 'JSON_SYNTAX', file: display, ...(position ? { position } : {}), message: `kernel pattern file is not JSON: ${(e as Error).message}`, hint: 'see docs/kernel-classification.md for the layout' });
  }
  // A bare array of rules is accepted too.
  const parsed = RuleFileSchema.safeParse(Array.isArray(json) ? { rules: json } : json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    // a fault inside rule i is reported at row i + 1, as compile() does (the path names the field)
    const rule = issue.path[0] === 'rules' && typeof issue.path[1] === 'number' ? issue.path[1] : undefined;
    throw new InputError({
      code: 'BAD_OPTION',
      file: display,
      ...(rule !== undefined ? { position: { row: rule + 1 } } : {}),
      message: `kernel pattern file: ${issue.path.join('.')}: ${issue.message}`,
      hint: 'each rule is {"category": "attention|gemm|moe_gemm|communication|memory|other", "pattern": "^…"}',
    });
  }
  return { rules: parsed.data.rules, ops: parsed.data.ops ?? [] };
}

function compile(rules: PatternRule[], display: string, offset: number): CompiledRule[] {
  return rules.map((r, i) => {
    if (!r.pattern.startsWith('^')) {
      throw new InputError({ code: 'BAD_OPTION', file: display, position: { row: i + 1 + offset }, message: `rule ${i + 1}: pattern ${JSON.stringify(r.pattern)} is not anchored`, hint: 'start every pattern with ^ (use ^.*word to match anywhere)' });
    }
    try {
      return { ...r, re: new RegExp(r.pattern, r.flags ?? '') };
    } catch (e) {
      throw new InputError({ code: 'BAD_OPTION', file: display, position: { row: i + 1 + offset }, message: `rule ${i + 1}: ${(e as Error).message}` });
    }
  });
}

let builtinCache: { rules: PatternRule[]; ops: OpRule[] } | undefined;

function builtin(): { rules: PatternRule[]; ops: OpRule[] } {
  if (!builtinCache) {
    const p = defaultPatternsPath();
    builtinCache = parseRuleFile(readFileSync(p, 'utf8'), p);
  }
  return builtinCache;
}

export function builtinRules(): PatternRule[] {
  return builtin().rules;
}

/** Remove what does not identify a kernel: surrounding blanks and a leading `void `. */
export function normaliseKernelName(name: string): string {
  let s = name.trim();
  if (s.startsWith('void ')) s = s.slice(5).trimStart();
  return s;
}

export class KernelClassifier {
  private readonly rules: CompiledRule[];
  private readonly memo = new Map<string, Classification>();
  private readonly opRules: { cls: OpClass; re: RegExp }[];
  private readonly opMemo = new Map<string, OpClass | null>();
  readonly userRuleCount: number;

  constructor(userRules: PatternRule[] = [], userDisplay = '--kernel-patterns', userOps: OpRule[] = []) {
    const user = compile(userRules, userDisplay, 0);
    this.userRuleCount = user.length;
    this.rules = [...user, ...compile(builtinRules(), 'kernel-patterns.json', 0)];
    this.opRules = [...userOps, ...builtin().ops].map((r) => ({ cls: r.class, re: new RegExp(r.pattern) }));
  }

  /** Class of a CPU operator name, or null when no op rule knows it (Python functions, annotations…). */
  classifyOp(name: string): OpClass | null {
    let c = this.opMemo.get(name);
    if (c !== undefined) return c;
    c = null;
    for (const r of this.opRules) {
      if (r.re.test(name)) {
        c = r.cls;
        break;
      }
    }
    this.opMemo.set(name, c);
    return c;
  }

  /** Classifier with the built-in rules and, when given, the rules of a user file first. */
  static fromOptions(opts: { kernelPatternsFile?: string } = {}): KernelClassifier {
    if (!opts.kernelPatternsFile) return new KernelClassifier();
    let text: string;
    try {
      text = readFileSync(opts.kernelPatternsFile, 'utf8');
    } catch {
      throw new InputError({ code: 'NOT_FOUND', file: opts.kernelPatternsFile, message: 'kernel pattern file not found' });
    }
    const f = parseRuleFile(text, opts.kernelPatternsFile);
    return new KernelClassifier(f.rules, opts.kernelPatternsFile, f.ops);
  }

  classify(name: string): Classification {
    let c = this.memo.get(name);
    if (c) return c;
    const s = normaliseKernelName(name);
    c = { category: 'other', sub: UNMATCHED, rule: -1 };
    for (let i = 0; i < this.rules.length; i++) {
      const r = this.rules[i];
      if (r.re.test(s)) {
        c = r.sub === undefined ? { category: r.category, rule: i } : { category: r.category, sub: r.sub, rule: i };
        break;
      }
    }
    this.memo.set(name, c);
    return c;
  }
}

// Latency targets per use case (the seed table of the analysis issue) and explicit overrides.

export interface SloTargets {
  ttftSeconds: number;
  tbtSeconds: number;
  e2eSeconds: number;
}

/** Defaults per use case: TTFT, time between tokens, end-to-end. */
export const SLO_PROFILES: Record<string, SloTargets> = {
  chat: { ttftSeconds: 0.5, tbtSeconds: 0.05, e2eSeconds: 10 },
  code: { ttftSeconds: 0.2, tbtSeconds: 0.03, e2eSeconds: 3 },
  batch: { ttftSeconds: 5, tbtSeconds: 0.1, e2eSeconds: 60 },
  rag: { ttftSeconds: 1, tbtSeconds: 0.08, e2eSeconds: 15 },
  agentic: { ttftSeconds: 2, tbtSeconds: 0.1, e2eSeconds: 30 },
};

export interface SloOptions {
  profile?: string;
  ttftSeconds?: number;
  tbtSeconds?: number;
  e2eSeconds?: number;
}

export function resolveSlo(o: SloOptions = {}): { profile: string } & SloTargets {
  const profile = o.profile ?? 'chat';
  const base = SLO_PROFILES[profile];
  if (!base) throw new Error(`unknown SLO profile ${profile}`);
  const custom = o.ttftSeconds !== undefined || o.tbtSeconds !== undefined || o.e2eSeconds !== undefined;
  return {
    profile: custom ? `${profile} (custom)` : profile,
    ttftSeconds: o.ttftSeconds ?? base.ttftSeconds,
    tbtSeconds: o.tbtSeconds ?? base.tbtSeconds,
    e2eSeconds: o.e2eSeconds ?? base.e2eSeconds,
  };
}

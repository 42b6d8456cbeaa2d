// One simulated request and its progress through the engine. Objects are per request (tens of
// thousands per hour), never per token or per sample.

export class Req {
  blocks: number[] = [];
  /** Tokens whose KV has been computed. */
  computed = 0;
  /** Blocks of `blocks` (from the front) already registered in the prefix-cache hash map. */
  hashed = 0;
  outputDone = 0;
  scheduledTs = -1;
  firstTokenTs = -1;
  lastTokenTs = -1;
  preemptions = 0;
  done = false;
  constructor(
    readonly id: number,
    readonly arrival: number,
    readonly promptLen: number,
    /** Output tokens it will produce before finishing. */
    readonly outputTarget: number,
    readonly finishReason: 'stop' | 'length',
    readonly maxTokens: number,
    /** Shared-prefix id, or -1. */
    readonly prefixId: number,
    readonly prefixLen: number,
    /** Requests waiting when it arrived (for tests: TTFT against queue length). */
    readonly waitingAtArrival: number,
    /** Index of the stream it came from (for ground truth: which traffic mix). */
    readonly stream = 0,
  ) {}
}

// Defaults shared by `analyze` (which has no alert flags) and `vllm-tune alerts`; a module of its own
// so that the CLI can show them in --help without loading the rule generator.

export const DEFAULT_ALERT_INTERVAL_SECONDS = 60;
export const DEFAULT_OBJECTIVE = 0.95;

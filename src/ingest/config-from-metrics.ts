// Serving settings carried in metric labels: `vllm:cache_config_info` (and v0-era info gauges).

import type { MetricSet } from '../model/series.js';
import { parseConfigScalar, type ServingConfigBuilder } from '../model/serving-config.js';

/** Labels of cache_config_info that are identity, not configuration. */
const IDENTITY = new Set(['engine', 'instance', 'job', 'pod', 'model_name', 'namespace', 'le']);

export function collectConfigFromMetrics(metrics: MetricSet, config: ServingConfigBuilder): void {
  for (const s of metrics.get('vllm:cache_config_info')) {
    for (const [k, raw] of Object.entries(s.labels)) {
      if (IDENTITY.has(k)) continue;
      config.set(k, parseConfigScalar(raw), 'cache_config_info', s.labels.instance ?? s.labels.engine);
    }
  }
}

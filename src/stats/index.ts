// src/stats: pure numerics with no vLLM knowledge. Inputs are Float64Arrays (t in Unix seconds, v values);
// outputs are typed arrays or small plain objects. NaN means "no value" throughout.

export * from './promql.js';
export * from './rolling.js';
export * from './baseline.js';
export * from './correlation.js';
export * from './trend.js';
export * from './summary.js';
export { alignSeries, alignToGrid, counterResetIndices, gapIndices, stepGrid, warmupTrim, type AlignOptions, type WarmupTrimOptions } from './resample.js';

// What was read, in numbers (built by src/derive/inventory.ts, shown by src/report/inventory.ts and `inspect`).

export interface MetricInventory {
  name: string;
  kind: string;
  unit: string;
  known: boolean;
  v0Only: boolean;
  series: number;
  samples: number;
  min: number | null;
  mean: number | null;
  max: number | null;
}

export interface ReplicaId {
  /** Short, stable, human id: instance, else pod, else engine. */
  id: string;
  instance: string | null;
  engine: string | null;
  modelName: string | null;
  job: string | null;
}

export interface Inventory {
  window: { startSeconds: number; endSeconds: number; stepSeconds: number | null } | null;
  seriesCount: number;
  sampleCount: number;
  metrics: MetricInventory[];
  replicas: ReplicaId[];
  models: string[];
  devices: string[];
  /** True when every series holds one sample without a real time (a single /metrics scrape). */
  snapshotOnly: boolean;
}

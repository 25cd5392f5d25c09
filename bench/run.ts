// `npm run bench [suite…]`: every benchmark, side by side with its baseline, printed as one table.
// Suites: runtime, ports, layers, registry, build, analysis, engine-api, cp, scale, userns, logs, storage, stacks.
import { printTable, type Row } from './lib.ts';

type Suite = () => Promise<Row[]>;

const suites: Record<string, () => Promise<Suite>> = {
  runtime: async () => (await import('./runtime.ts')).runtimeBenchmarks,
  ports: async () => (await import('./ports.ts')).portBenchmarks,
  layers: async () => (await import('./layers.ts')).layerBenchmarks,
  registry: async () => (await import('./registry.ts')).registryBenchmarks,
  build: async () => (await import('./build.ts')).buildBenchmarks,
  analysis: async () => (await import('./analysis.ts')).analysisBenchmarks,
  'engine-api': async () => (await import('./engine-api.ts')).engineApiBenchmarks,
  cp: async () => (await import('./cp.ts')).cpBenchmarks,
  scale: async () => (await import('./scale.ts')).scaleBenchmarks,
  userns: async () => (await import('./userns.ts')).usernsBenchmarks,
  logs: async () => (await import('./logs.ts')).logsBenchmarks,
  storage: async () => (await import('./storage.ts')).storageBenchmarks,
  stacks: async () => (await import('./stacks.ts')).stackBenchmarks,
};

const only = process.argv.slice(2);
const unknown = only.filter((s) => !(s in suites));
if (unknown.length) {
  console.error(`unknown suite(s): ${unknown.join(', ')}; known: ${Object.keys(suites).join(', ')}`);
  process.exit(2);
}
const rows: Row[] = [];
for (const [name, load] of Object.entries(suites)) {
  if (only.length && !only.includes(name)) continue;
  console.error(`running ${name} benchmarks…`);
  rows.push(...(await (await load())()));
}
printTable(rows);

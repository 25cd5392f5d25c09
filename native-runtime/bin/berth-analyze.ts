// berth-analyze IMAGE [--json] [--ci [--lowest-efficiency R] [--highest-wasted-bytes SIZE]
//                                 [--highest-user-wasted-percent R]] [--base-layers N]
// The layer inspector as a command, for pipelines. Opens $BERTH_ROOT read-only, so it works while a
// server holds the root. Exit codes: 0 fine, 1 a CI rule failed, 2 usage or lookup error.
import { parseArgs } from 'node:util';
import { Berth } from '../src/berth.ts';
import { evaluateCi, parseByteSize, type CiRules } from '../src/analysis/ci.ts';
import type { ImageAnalysis } from '../src/analysis/types.ts';

const USAGE = `usage: berth-analyze IMAGE [--json] [--ci] [--lowest-efficiency 0.9] [--highest-wasted-bytes 20MB]
                     [--highest-user-wasted-percent 0.1] [--base-layers 1] [--root DIR]
  --json    print the analysis as JSON
  --ci      check the rules and exit 1 when one fails (ratios are 0..1; sizes like 20MB, 512KiB)
  Uses $BERTH_ROOT (default /var/lib/berth), opened read-only.`;

function fail(msg: string, code = 2): never {
  process.stderr.write(`berth-analyze: ${msg}\n`);
  process.exit(code);
}

function ratio(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 1) fail(`--${name} must be a ratio between 0 and 1, got ${JSON.stringify(v)}`);
  return n;
}

const fmtBytes = (b: number): string =>
  b >= 1e9 ? `${(b / 1e9).toFixed(1)} GB` : b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : b >= 1e3 ? `${(b / 1e3).toFixed(1)} kB` : `${b} B`;

/** Exactly the documented --json shape (docs/layers.md). */
function jsonShape(a: ImageAnalysis): unknown {
  return {
    image: a.image,
    sizeBytes: a.sizeBytes,
    efficiency: a.efficiency,
    wastedBytes: a.wastedBytes,
    userWastedPercent: a.userWastedPercent,
    layers: a.layers.map((l) => ({ index: l.index, digest: l.digest, diffId: l.diffId, sizeBytes: l.sizeBytes, createdBy: l.createdBy, changes: { ...l.changes } })),
    inefficientFiles: a.inefficientFiles.map((f) => ({ path: f.path, count: f.count, sizeBytes: f.sizeBytes })),
  };
}

function human(a: ImageAnalysis, shown: string): string {
  const lines = [
    `Image: ${shown} (${a.image})`,
    `Total size: ${fmtBytes(a.sizeBytes)}   Efficiency: ${(a.efficiency * 100).toFixed(2)}%   Wasted: ${fmtBytes(a.wastedBytes)}   User wasted: ${(a.userWastedPercent * 100).toFixed(2)}%`,
    '',
    'Layers:',
    ...a.layers.map(
      (l) => `  ${String(l.index).padStart(3)}  ${fmtBytes(l.sizeBytes).padStart(9)}  +${l.changes.added} ~${l.changes.modified} -${l.changes.removed}  ${l.createdBy.slice(0, 100)}`,
    ),
  ];
  if (a.inefficientFiles.length) {
    lines.push('', 'Inefficient files:', '  Count  Wasted     Path');
    for (const f of a.inefficientFiles.slice(0, 20)) lines.push(`  ${String(f.count).padStart(5)}  ${fmtBytes(f.sizeBytes).padStart(9)}  ${f.path}`);
  }
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      allowPositionals: true,
      options: {
        json: { type: 'boolean' },
        ci: { type: 'boolean' },
        'lowest-efficiency': { type: 'string' },
        'highest-wasted-bytes': { type: 'string' },
        'highest-user-wasted-percent': { type: 'string' },
        'base-layers': { type: 'string' },
        root: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    fail(`${(e as Error).message}\n${USAGE}`);
  }
  const { values: v, positionals } = args;
  if (v.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  if (positionals.length !== 1) fail(`exactly one IMAGE is needed\n${USAGE}`);
  const image = positionals[0]!;
  const rules: CiRules = {
    lowestEfficiency: ratio('lowest-efficiency', v['lowest-efficiency']),
    highestUserWastedPercent: ratio('highest-user-wasted-percent', v['highest-user-wasted-percent']),
  };
  if (v['highest-wasted-bytes'] !== undefined) {
    try {
      rules.highestWastedBytes = parseByteSize(v['highest-wasted-bytes']);
    } catch (e) {
      fail(`--highest-wasted-bytes: ${(e as Error).message}`);
    }
  }
  const baseLayers = v['base-layers'] === undefined ? 1 : Number(v['base-layers']);
  if (!Number.isInteger(baseLayers) || baseLayers < 0) fail('--base-layers must be a whole number');

  const berth = new Berth({ readOnly: true, ...(v.root ? { root: v.root } : {}) });
  let analysis: ImageAnalysis;
  try {
    analysis = await (await berth.analyzer()).analyze(image, { baseLayers, topFiles: 100 });
  } catch (e) {
    await berth.close();
    fail((e as Error).message);
  }
  await berth.close();
  if (v.json) process.stdout.write(JSON.stringify(jsonShape(analysis), null, 2) + '\n');
  else process.stdout.write(human(analysis, image));
  if (!v.ci) return;
  const res = evaluateCi(analysis, rules);
  const out = v.json ? process.stderr : process.stdout;
  out.write(`${v.json ? '' : '\n'}CI rules:\n`);
  for (const r of res.results) out.write(`  ${r.status.toUpperCase().padEnd(4)}  ${r.rule}: ${r.message}\n`);
  out.write(res.pass ? 'Result: PASS\n' : 'Result: FAIL\n');
  if (!res.pass) process.exitCode = 1;
}

main().catch((e: Error) => fail(e.stack ?? e.message));

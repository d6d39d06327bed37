#!/usr/bin/env node
// A series of chaos runs in a row on ONE cluster, as an operator would try it: every run must be
// valid and converge, and afterwards every node's applied index must equal its commit index.
// Prints one line per run and a summary; writes the figures as JSON.
//
//   node scripts/chaos-series.mjs [--runs 20] [--duration 60s] [--seed 20301] [--port 18990]
//                                 [--name series] [--out chaos-series.json] [--purge]
//
// It starts the cluster itself (local driver) and stops it at the end, keeping its databases and
// every run's history and report under .booking/<name>/chaos/ (--purge drops them). Run it on a
// quiet machine: it is a benchmark of robustness, not a unit test (about 80 s per run).
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

const { values: o } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    duration: { type: 'string', default: '60s' },
    seed: { type: 'string', default: '20301' },
    port: { type: 'string', default: '18990' },
    name: { type: 'string', default: 'series' },
    out: { type: 'string', default: 'chaos-series.json' },
    purge: { type: 'boolean', default: false },
  },
});
const runs = Number(o.runs);
const firstSeed = Number(o.seed);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(firstSeed)) {
  console.error('chaos-series: --runs must be a positive integer and --seed an integer');
  process.exit(2);
}

function booking(args) {
  return new Promise((resolve) => {
    const child = spawn('npx', ['booking', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const json = (r) => {
  try {
    return JSON.parse(r.stdout);
  } catch {
    return null;
  }
};

const say = (line) => process.stderr.write(`${line}\n`);
say(`starting cluster ${o.name} on port ${o.port}`);
const started = await booking(['cluster', 'start', '--name', o.name, '--port', o.port, '--json']);
if (started.code !== 0) {
  say(started.stderr);
  process.exit(1);
}
const results = [];
try {
  for (let k = 0; k < runs; k++) {
    const seed = firstSeed + k;
    const t0 = Date.now();
    const r = await booking([
      'chaos',
      '--name',
      o.name,
      '--duration',
      o.duration,
      '--seed',
      String(seed),
      '--json',
    ]);
    const res = json(r);
    const status = json(await booking(['cluster', 'status', '--name', o.name, '--json']));
    const nodes = status?.nodes ?? [];
    const caughtUp = nodes.length > 0 && nodes.every((n) => n.alive && n.appliedIndex === n.commitIndex);
    const row = {
      seed,
      verdict: res?.verdict ?? 'error',
      converged: res?.converged ?? false,
      caughtUp,
      rejectedEntries: res?.rejectedEntries ?? null,
      faults: res?.faults?.injected ?? 0,
      failovers: res?.failover?.count ?? 0,
      failoverMedianMs: res?.failover?.median ?? null,
      failoverWorstMs: res?.failover?.max ?? null,
      acknowledged: res?.stats?.acknowledgedBookings ?? 0,
      anomalies: (res?.anomalies ?? []).map((a) => a.kind),
      lastStatus: res?.converged ? [] : (res?.lastStatus ?? []),
      seconds: Math.round((Date.now() - t0) / 1000),
    };
    results.push(row);
    say(
      `run ${k + 1}/${runs} seed ${seed}: ${row.verdict}, converged ${row.converged}, applied=commit ${row.caughtUp}, ` +
        `${row.faults} faults, ${row.failovers} failovers (median ${Math.round(row.failoverMedianMs ?? 0)} ms, ` +
        `worst ${Math.round(row.failoverWorstMs ?? 0)} ms), ${row.acknowledged} acknowledged bookings` +
        (row.anomalies.length ? `, anomalies: ${row.anomalies.join(',')}` : '') +
        (row.lastStatus.length ? `\n  ${row.lastStatus.join('\n  ')}` : ''),
    );
  }
} finally {
  await booking(['cluster', 'stop', '--name', o.name, ...(o.purge ? ['--purge', '--yes'] : [])]);
}
const good = results.filter((r) => r.verdict === 'valid' && r.converged && r.caughtUp);
const summary = {
  runs: results.length,
  validAndConverged: good.length,
  acknowledged: results.reduce((s, r) => s + r.acknowledged, 0),
  faults: results.reduce((s, r) => s + r.faults, 0),
  failovers: results.reduce((s, r) => s + r.failovers, 0),
  results,
};
await writeFile(o.out, `${JSON.stringify(summary, null, 1)}\n`);
say(`${good.length} of ${results.length} runs valid, converged and caught up; figures in ${o.out}`);
process.exit(good.length === results.length ? 0 : 1);

/**
 * CI chaos run: a real three-node cluster (local driver, real nginx and MariaDB), about a minute
 * of booking load through Nginx while ten or more faults kill, pause and revive nodes, the master
 * most often. The history must check out valid: nothing acknowledged lost, no seat sold twice.
 * Failover times are reported by the run (and in docs/correctness.md), not asserted here.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import type { ChaosResult } from '../../src/services/chaos/run.js';
import { parseHistory } from '../../src/services/checker/history.js';
import { freePort } from '../../src/services/ports.js';
import { json, newStateRoot, runCli, uniqueName } from '../helpers/cli.js';

const stateRoot = newStateRoot();
const name = uniqueName('chaos');
const cli = (...args: string[]) => runCli([...args, '--name', name], { stateRoot });

test.before(async () => {
  const port = await freePort();
  const r = await cli('cluster', 'start', '--nodes', '3', '--port', String(port), '--json');
  if (r.code !== 0) throw new Error(`cluster start failed: ${r.stderr}`);
});

test.after.always(async () => {
  await cli('cluster', 'stop', '--purge');
});

test('a one-minute chaos run with ten or more faults is valid', async (t) => {
  t.timeout(5 * 60_000);
  const out = path.join(stateRoot, 'chaos-out');
  const r = await cli(
    'chaos',
    '--duration',
    '60s',
    '--interval',
    '2.5s',
    '--seed',
    '20301',
    '--out',
    out,
    '--json',
  );
  const result = json<ChaosResult>(r);
  // A run that could not finish answers with an error, not a verdict: show what it said.
  if (result.verdict === undefined) t.fail(`no verdict (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  t.is(
    result.verdict,
    'valid',
    JSON.stringify({ anomalies: result.anomalies, unknown: result.unknown }, null, 1),
  );
  t.is(r.code, 0, 'exit code 0 for valid');
  t.true(result.faults.injected >= 10, `${result.faults.injected} faults`);
  t.true(result.failover.count > 0, 'the master was hit');
  t.true(result.stats.acknowledgedBookings > 0);
  t.true(result.converged);
  t.is(result.finalRead, 'admin');
  t.is(result.rejectedEntries, 0, 'no committed entry was rejected when applied');
  // The files the run promises: a parseable history with the faults in it, and the report.
  const history = parseHistory(await readFile(result.historyFile, 'utf8'));
  t.is(
    history.filter((h) => h.type === 'fault' && (h.kind === 'kill' || h.kind === 'pause')).length,
    result.faults.injected,
  );
  t.regex(await readFile(result.report, 'utf8'), /Verdict: <strong>VALID<\/strong>/);
  t.log(
    `${result.stats.ops} ops, ${result.faults.injected} faults, failover median ${Math.round(result.failover.median)} ms, worst ${Math.round(result.failover.max)} ms`,
  );
});

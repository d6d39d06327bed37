/**
 * A short chaos run on the Docker driver, through the real `booking` CLI: three containers with
 * one MariaDB each behind Nginx, about 45 s of booking load while a seeded nemesis kills, pauses
 * and revives nodes and cuts them off the cluster network (`partition`: dockerode's
 * network.disconnect, healed by network.connect at the same address). The history must check out
 * valid against the final state read from every node over RPC (Nginx's /nodes/<id>/rpc).
 *
 * Seed 24's plan (interval 3 s) cuts the master at 2.7 s, 9.4 s and 15.5 s, early enough to fire
 * even when the nemesis runs late. Figures are logged, not asserted.
 * Runs under `npm run test:docker`, not in the default cli suite.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ChaosResult } from '../../src/services/chaos/run.js';
import { parseHistory } from '../../src/services/checker/history.js';
import { clusterLeftovers } from '../../src/services/drivers/docker/index.js';
import { canBind, freePort } from '../../src/services/ports.js';
import { json, runCli } from '../helpers/cli.js';
import { dockerCliSuite } from './helpers/suite.js';

const name = `dockerchaos_${process.pid}`;
const test = dockerCliSuite(name);

test.serial(
  'docker: a 45 s chaos run with kills, pauses and network cuts of the master is valid',
  async (t) => {
    t.timeout(8 * 60_000);
    const cli = (...args: string[]) => runCli([...args, '--name', name], { stateRoot: t.context.stateRoot });
    const port = await freePort();
    const began = Date.now();
    const started = await cli(
      'cluster',
      'start',
      '--driver',
      'docker',
      '--nodes',
      '3',
      '--port',
      String(port),
      '--json',
    );
    t.is(started.code, 0, started.stderr);
    t.log(`cluster up after ${((Date.now() - began) / 1000).toFixed(1)} s`);

    const out = path.join(t.context.stateRoot, 'chaos-out');
    const chaosBegan = Date.now();
    const r = await cli(
      'chaos',
      '--duration',
      '45s',
      '--interval',
      '3s',
      '--faults',
      'kill,pause,revive,partition',
      '--seed',
      '24',
      '--out',
      out,
      '--json',
    );
    const result = json<ChaosResult>(r);
    t.log(
      `chaos: ${result.verdict} after ${((Date.now() - chaosBegan) / 1000).toFixed(1)} s; ` +
        `${result.faults.injected} faults (${result.faults.planned} planned), ${result.failover.count} failovers ` +
        `(median ${Math.round(result.failover.median)} ms, worst ${Math.round(result.failover.max)} ms), ` +
        `${result.stats.acknowledgedBookings} acknowledged bookings, p50/p99 ${Math.round(result.latencyMs.p50)}/${Math.round(result.latencyMs.p99)} ms`,
    );
    t.is(
      result.verdict,
      'valid',
      JSON.stringify({ anomalies: result.anomalies, unknown: result.unknown }, null, 1),
    );
    t.is(r.code, 0, 'exit code 0 for valid');
    t.true(result.converged);
    t.is(result.finalRead, 'admin');
    t.is(result.rejectedEntries, 0, 'no committed entry was rejected when applied');
    t.deepEqual(result.stats.nodesRead, [1, 2, 3], 'the final state came from every node');
    t.true(result.stats.acknowledgedBookings > 0);
    t.true(result.faults.injected >= 5, `${result.faults.injected} faults`);

    const history = parseHistory(await readFile(result.historyFile, 'utf8'));
    const faults = history.filter((h) => h.type === 'fault');
    const cuts = faults.filter((f) => f.kind === 'partition');
    t.true(cuts.length >= 1, 'at least one network cut');
    t.true(
      cuts.some((f) => f.wasMaster),
      'the master was cut off at least once',
    );
    // Every cut was healed (by its schedule step or by the final heal).
    t.is(faults.filter((f) => f.kind === 'heal').length, cuts.length);
    t.true(
      result.failover.list.some((f) => f.kind === 'partition'),
      'a cut master is measured as a failover',
    );

    const stopped = await cli('cluster', 'stop', '--purge', '--json');
    t.is(stopped.code, 0, stopped.stderr);
    t.deepEqual(await clusterLeftovers(name), { containers: [], networks: [], volumes: [] });
    t.true(await canBind(port));
  },
);

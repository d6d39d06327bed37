/**
 * The docker cluster through the real `booking` CLI, with the guarantees of the cluster issue:
 * `cluster start --driver docker` elects a master, `kill --master` reports the new master and
 * the failover time, a booking made before the kill is still there after it, booking goes on,
 * `revive` catches up, `events` is in Lamport order, `stop --purge` leaves nothing.
 *
 * Needs the replicated cluster (bully election, majority replication) in node/src/cluster.
 * Runs under `npm run test:docker`, not in the default cli suite.
 */
import { clusterLeftovers } from '../../src/services/drivers/docker/index.js';
import { canBind, freePort } from '../../src/services/ports.js';
import { withRpc } from '../../src/services/rpc-client.js';
import { json, runCli } from '../helpers/cli.js';
import { bookThrough } from './helpers/booking.js';
import { dockerCliSuite } from './helpers/suite.js';

const name = `dockercli_${process.pid}`;
const test = dockerCliSuite(name);

interface Status {
  name: string;
  driver: string;
  url: string;
  masterId: number | null;
  nodes: { id: number; role: string; alive: boolean; rpcUrl: string }[];
}

test.serial(
  'booking CLI on docker: start, book, kill --master, the booking survives, book again, revive, stop',
  async (t) => {
    t.timeout(10 * 60_000);
    const cli = (...args: string[]) => runCli([...args, '--name', name], { stateRoot: t.context.stateRoot });
    const port = await freePort();

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
    const status = json<Status>(started);
    t.is(status.driver, 'docker');
    t.is(status.nodes.length, 3);
    t.is(status.masterId, 3, 'the bully master is the highest id');

    const url = `ws://127.0.0.1:${port}/rpc`;
    const first = await bookThrough(url, 2);

    const killed = await cli('cluster', 'kill', '--master', '--json');
    t.is(killed.code, 0, killed.stderr);
    const report = json<{
      killed: number;
      previousMasterId: number;
      newMasterId: number;
      failoverMs: number;
    }>(killed);
    t.is(report.previousMasterId, 3);
    t.is(report.newMasterId, 2);
    t.true(report.failoverMs > 0 && report.failoverMs < 30_000, `failoverMs ${report.failoverMs}`);
    t.log(`failover in ${report.failoverMs} ms`);

    const again = await bookThrough(url, 2, 60_000);
    t.is(again.status.masterId, 2);
    const survived = await withRpc(url, {}, (rpc) => rpc.call('bookings.get', { code: first.booking.code }));
    t.is(survived.status, 'confirmed');
    t.deepEqual(survived.seatIds, first.booking.seatIds);

    const revived = await cli('cluster', 'revive', '--node', '3', '--json');
    t.is(revived.code, 0, revived.stderr);
    const events = await cli('cluster', 'events', '--json');
    t.is(events.code, 0, events.stderr);
    const timeline = json<{ lamport: number; nodeId: number }[]>(events);
    t.true(timeline.length > 0);
    for (let i = 1; i < timeline.length; i++) {
      const [a, b] = [timeline[i - 1]!, timeline[i]!];
      t.true(
        a.lamport < b.lamport || (a.lamport === b.lamport && a.nodeId <= b.nodeId),
        'events out of Lamport order',
      );
    }

    const stopped = await cli('cluster', 'stop', '--purge', '--json');
    t.is(stopped.code, 0, stopped.stderr);
    t.deepEqual(json(stopped), { stopped: true });
    t.deepEqual(await clusterLeftovers(name), { containers: [], networks: [], volumes: [] });
    t.true(await canBind(port));
  },
);

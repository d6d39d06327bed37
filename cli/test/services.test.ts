/**
 * The CLI's pure parts (durations, who is master, event order, log lines, MySQL URLs) and the
 * generated nginx config, which the real nginx binary must accept.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { ClusterEvent, ClusterStatus } from '@booking/node/protocol';
import test from 'ava';
import fc from 'fast-check';
import { usageLine } from '../src/base-command.js';
import { getDriver } from '../src/services/drivers/index.js';
import { formatMs, parseDuration } from '../src/services/duration.js';
import { formatLogLine, parseLogLine } from '../src/services/log-format.js';
import { normalizeServerUrl, redact } from '../src/services/mysql.js';
import { renderNginxConfig } from '../src/services/nginx/config.js';
import {
  agreedMaster,
  majority,
  mergeEvents,
  type NodeObservation,
  settledMaster,
} from '../src/services/observe.js';
import { ensureSystemPackage, systemPackages } from '../src/services/system-packages.js';

test('durations: bare milliseconds and units', (t) => {
  t.is(parseDuration('300000'), 300_000);
  t.is(parseDuration('500ms'), 500);
  t.is(parseDuration('90s'), 90_000);
  t.is(parseDuration('5m'), 300_000);
  t.is(parseDuration('1.5h'), 5_400_000);
  for (const bad of ['', 'soon', '5 minutes', '-1s', '0', '1d']) {
    t.throws(() => parseDuration(bad), undefined, bad);
  }
  t.is(formatMs(412), '412 ms');
  t.is(formatMs(1234), '1.23 s');
});

test('usage errors from oclif become one line', (t) => {
  t.is(
    usageLine('Parsing --hold-ttl \n\t"x" is not a duration\nSee more help with --help'),
    '--hold-ttl: "x" is not a duration',
  );
  t.is(
    usageLine('The following error occurred:\n  Missing required flag node\nSee more help with --help'),
    'Missing required flag node',
  );
});

function status(
  nodeId: number,
  role: ClusterStatus['role'],
  masterId: number | null,
  epoch: number,
): ClusterStatus {
  return {
    nodeId,
    role,
    masterId,
    epoch,
    lamport: 10,
    commitIndex: 5,
    appliedIndex: 5,
    peers: [],
  };
}

function obs(id: number, s: ClusterStatus | null): NodeObservation {
  return { id, rpcUrl: `ws://127.0.0.1:${7100 + id}/rpc`, process: s ? 'running' : 'stopped', status: s };
}

test('a master counts once a majority names it in its epoch', (t) => {
  t.is(majority(1), 1);
  t.is(majority(3), 2);
  t.is(majority(4), 3);
  const all = [
    obs(1, status(1, 'slave', 3, 2)),
    obs(2, status(2, 'slave', 3, 2)),
    obs(3, status(3, 'master', 3, 2)),
  ];
  t.like(agreedMaster(all, 3), { masterId: 3, epoch: 2, supporters: [1, 2, 3] });
  // One node down: still a majority, not everyone.
  const oneDown = [obs(1, status(1, 'slave', 3, 2)), obs(2, null), obs(3, status(3, 'master', 3, 2))];
  t.like(agreedMaster(oneDown, 2), { masterId: 3 });
  t.is(agreedMaster(oneDown, 3), null);
});

test('solo nodes that each think they are master do not make a cluster', (t) => {
  const solos = [1, 2, 3].map((id) => obs(id, status(id, 'master', id, 1)));
  t.is(agreedMaster(solos, 2), null);
});

test('a stale master in an old epoch loses to the newer one', (t) => {
  const split = [
    obs(1, status(1, 'slave', 2, 5)),
    obs(2, status(2, 'master', 2, 5)),
    obs(3, status(3, 'master', 3, 4)), // paused old master waking up
  ];
  t.like(agreedMaster(split, 2), { masterId: 2, epoch: 5 });
  const candidates = [obs(1, status(1, 'candidate', null, 5)), obs(2, status(2, 'candidate', null, 5))];
  t.is(agreedMaster(candidates, 1), null);
});

test('settled: the highest node at once, a lower one only after it held', (t) => {
  let clock = 0;
  const check = settledMaster(3, { holdMs: 1000, now: () => clock });
  const underTwo = [
    obs(1, status(1, 'slave', 2, 4)),
    obs(2, status(2, 'master', 2, 4)),
    obs(3, status(3, 'slave', 2, 4)),
  ];
  t.is(check(underTwo), null, 'node 3 will take over: not settled yet');
  clock = 999;
  t.is(check(underTwo), null);
  clock = 1000;
  t.like(check(underTwo), { master: { masterId: 2 }, since: 0 });
  const underThree = [
    obs(1, status(1, 'slave', 3, 5)),
    obs(2, status(2, 'slave', 3, 5)),
    obs(3, status(3, 'master', 3, 5)),
  ];
  clock = 1200;
  t.like(check(underThree), { master: { masterId: 3, epoch: 5 }, since: 1200 });
  const notKilled = settledMaster(2, { holdMs: 0, accept: (m) => m.masterId !== 3 });
  t.is(notKilled(underThree), null);
});

test('events merge in (lamport, nodeId) order, each once', (t) => {
  const at = '2026-01-01T00:00:00.000Z';
  const ev = (nodeId: number, lamport: number, type = 'x'): ClusterEvent => ({
    nodeId,
    lamport,
    type,
    at,
    detail: {},
  });
  const merged = mergeEvents([
    [ev(1, 1), ev(1, 5), ev(2, 7)],
    [ev(2, 2), ev(2, 5), ev(2, 7)],
    [ev(3, 5), ev(1, 1)],
  ]);
  t.deepEqual(
    merged.map((e) => [e.lamport, e.nodeId]),
    [
      [1, 1],
      [2, 2],
      [5, 1],
      [5, 2],
      [5, 3],
      [7, 2],
    ],
  );
  fc.assert(
    fc.property(
      fc.array(fc.array(fc.record({ nodeId: fc.integer({ min: 1, max: 5 }), lamport: fc.nat(1000) }))),
      (lists) => {
        const out = mergeEvents(lists.map((l) => l.map((e) => ev(e.nodeId, e.lamport))));
        for (let i = 1; i < out.length; i++) {
          const [a, b] = [out[i - 1]!, out[i]!];
          if (a.lamport > b.lamport || (a.lamport === b.lamport && a.nodeId >= b.nodeId)) return false;
        }
        return true;
      },
    ),
  );
});

test('log lines: pino records pretty-printed, anything else as it is', (t) => {
  const line = parseLogLine(
    'n2 | {"level":30,"time":0,"node":2,"msg":"booking node listening","url":"http://x"}',
  );
  t.is(line.nodeId, 2);
  t.like(line.record, { nodeId: 2, msg: 'booking node listening' });
  t.is(formatLogLine(line), 'n2 00:00:00.000 INFO  booking node listening  url=http://x');
  const plain = parseLogLine('n1 | booking-node: cannot start: ECONNREFUSED');
  t.deepEqual(plain.record, { nodeId: 1, msg: 'booking-node: cannot start: ECONNREFUSED' });
  t.is(formatLogLine(plain), 'n1 booking-node: cannot start: ECONNREFUSED');
});

test('MySQL URLs: server only, password never shown', (t) => {
  t.is(normalizeServerUrl('mysql://root@127.0.0.1:3306/'), 'mysql://root@127.0.0.1:3306');
  t.is(normalizeServerUrl('mysql://u:p%40ss@db:3307'), 'mysql://u:p%40ss@db:3307');
  t.is(redact('mysql://u:secret@db:3307'), 'mysql://u:***@db:3307');
  t.throws(() => normalizeServerUrl('postgres://x@y'), { message: /invalid MySQL URL/ });
  t.throws(() => normalizeServerUrl('mysql://root@h:1/booking'), { message: /names a database/ });
});

function nginxAccepts(config: string): { ok: boolean; output: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'booking-nginx-test-'));
  mkdirSync(path.join(dir, 'tmp'));
  const file = path.join(dir, 'nginx.conf');
  writeFileSync(file, config);
  const r = spawnSync('/usr/sbin/nginx', ['-t', '-p', dir, '-c', file, '-e', path.join(dir, 'error.log')], {
    encoding: 'utf8',
  });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

test('the generated nginx config passes nginx -t, with and without a web app build', async (t) => {
  await ensureSystemPackage(systemPackages.nginx);
  const nodes = [
    { id: 1, address: '127.0.0.1:7101' },
    { id: 2, address: '127.0.0.1:7102' },
    { id: 3, address: '127.0.0.1:7103' },
  ];
  for (const spaRoot of [null, mkdtempSync(path.join(os.tmpdir(), 'booking-spa-'))]) {
    const runtimeDir = mkdtempSync(path.join(os.tmpdir(), 'booking-nginx-rt-'));
    mkdirSync(path.join(runtimeDir, 'tmp'));
    const config = renderNginxConfig({
      listen: '127.0.0.1:18089',
      nodes,
      spaRoot,
      runtimeDir,
      foreground: true,
      clusterName: "it's",
    });
    const result = nginxAccepts(config);
    t.true(result.ok, result.output);
  }
});

test('nginx config: /rpc over every node with passive failover, direct routes per node', (t) => {
  const config = renderNginxConfig({
    listen: '80',
    nodes: [
      { id: 1, address: 'node1:7101' },
      { id: 2, address: 'node2:7101' },
    ],
    spaRoot: '/usr/share/booking/spa',
  });
  t.regex(
    config,
    /upstream booking_nodes \{[^}]*server node1:7101 max_fails=1 fail_timeout=2s;\s*server node2:7101 max_fails=1/,
  );
  t.regex(
    config,
    /location = \/rpc \{[^}]*proxy_set_header Upgrade \$http_upgrade;[^}]*proxy_read_timeout 15s;[^}]*proxy_next_upstream error timeout/,
  );
  t.regex(config, /location = \/nodes\/2\/rpc \{\s*proxy_pass http:\/\/booking_node_2\/rpc;/);
  t.regex(config, /try_files \$uri \$uri\/ \/index\.html;/);
  t.notRegex(config, /pid |daemon off/, 'no runtime paths for a container');
  t.throws(() => renderNginxConfig({ listen: '80', nodes: [], spaRoot: null }));
});

test('the local driver never loads dockerode; unknown drivers are usage errors', async (t) => {
  const driver = await getDriver('local');
  t.is(driver.name, 'local');
  const loaded = Object.keys(createRequire(import.meta.url).cache);
  t.false(
    loaded.some((file) => file.includes('dockerode')),
    'dockerode is not loaded',
  );
  await t.throwsAsync(getDriver('vm'), { message: 'unknown driver "vm"' });
});

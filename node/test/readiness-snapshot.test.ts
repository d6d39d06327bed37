/** Readiness while a snapshot from the master is received or installed: catching up, whatever the lag. */
import test from 'ava';
import { readiness } from '../src/health.js';
import type { ClusterStatus } from '../src/protocol/model.js';

const status = (role: ClusterStatus['role'], masterId: number): ClusterStatus => ({
  nodeId: 1,
  role,
  masterId,
  epoch: 2,
  lamport: 40,
  commitIndex: 10,
  appliedIndex: 10,
  peers: [
    { nodeId: 2, url: 'ws://127.0.0.1:7102', alive: true, role: 'slave', commitIndex: 10 },
    { nodeId: 3, url: 'ws://127.0.0.1:7103', alive: true, role: 'master', commitIndex: 10 },
  ],
});

test('a slave installing a snapshot is catching up even when its applied index looks current', (t) => {
  const base = { serving: false, catalog: 'loaded' as const, stopping: false };
  t.deepEqual(readiness({ ...base, status: status('slave', 3) }), { ready: true });
  const verdict = readiness({ ...base, status: status('slave', 3), installingSnapshot: true });
  t.like(verdict, { ready: false, reason: 'catching-up' });
  t.regex((verdict as { detail: string }).detail, /installing a snapshot from master 3/);
  // A stopping node says so first.
  t.like(readiness({ ...base, status: status('slave', 3), installingSnapshot: true, stopping: true }), {
    reason: 'shutting-down',
  });
});

/** `npx booking-node` as an operator runs it: configuration errors are one line and an exit code. */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { dropDatabase } from '../src/store/db.js';
import { MYSQL_SERVER } from './helpers/with-node.js';

const BIN = fileURLToPath(new URL('../bin/booking-node.mjs', import.meta.url));

function run(env: Record<string, string>, untilLine?: RegExp) {
  const child = spawn(process.execPath, [BIN], {
    env: { PATH: process.env.PATH ?? '', BOOKING_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => {
    stdout += c;
  });
  child.stderr.on('data', (c) => {
    stderr += c;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = untilLine
    ? new Promise<void>((resolve, reject) => {
        const check = () => untilLine.test(stdout) && resolve();
        child.stdout.on('data', check);
        void exited.then(() => reject(new Error(`exited before ready: ${stderr}`)));
      })
    : Promise.resolve();
  return { child, exited, ready, out: () => ({ stdout, stderr }) };
}

for (const [variable, value] of [
  ['BOOKING_PORT', 'eighty'],
  ['BOOKING_NODE_ID', '-3'],
  ['BOOKING_PEERS', '2=http://nowhere'],
  ['BOOKING_MYSQL_URL', 'postgres://x/y'],
  ['BOOKING_HOLD_TTL_MS', '0'],
] as const) {
  test(`an invalid ${variable} stops the node with one line naming it`, async (t) => {
    const node = run({ [variable]: value });
    t.is(await node.exited, 2);
    const lines = node.out().stderr.trim().split('\n');
    t.is(lines.length, 1, node.out().stderr);
    t.regex(lines[0]!, new RegExp(`^booking-node: invalid configuration: ${variable}: `));
  });
}

test('an unreachable MySQL is one line naming the server', async (t) => {
  const node = run({ BOOKING_MYSQL_URL: 'mysql://root@127.0.0.1:1/booking_nowhere' });
  t.is(await node.exited, 1);
  t.regex(
    node.out().stderr.trim(),
    /^booking-node: cannot start: .*ECONNREFUSED.*mysql:\/\/root@127\.0\.0\.1:1\?\)$/,
  );
});

test('a node started from the binary serves /healthz and stops cleanly on SIGTERM', async (t) => {
  const db = `booking_test_bin_${randomBytes(4).toString('hex')}`;
  t.teardown(() => dropDatabase(`${MYSQL_SERVER}/${db}`));
  const node = run({ BOOKING_PORT: '0', BOOKING_MYSQL_URL: `${MYSQL_SERVER}/${db}` }, /listening/);
  t.teardown(() => node.child.kill('SIGKILL'));
  await node.ready;
  const url = /"url":"(http:\/\/[^"]+)"/.exec(node.out().stdout)?.[1];
  t.truthy(url, node.out().stdout);
  const health = (await (await fetch(`${url}/healthz`)).json()) as { role: string };
  t.is(health.role, 'master');
  node.child.kill('SIGTERM');
  t.is(await node.exited, 0);
});

import test from 'ava';
import { rpcErrorCodes } from '../src/protocol/errors.js';
import { rpcError } from './helpers/rpc-client.js';
import { ADMIN_TOKEN, withNode } from './helpers/with-node.js';

type Frame = {
  jsonrpc: string;
  id: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: { field?: string } };
};

test('JSON-RPC envelopes: parse errors, invalid requests, unknown and prototype methods', (t) =>
  withNode(t, async ({ connect }) => {
    const c = await connect();
    const err = async (text: string) => ((await c.raw(text)) as Frame).error?.code;
    t.is(await err('{"jsonrpc":"2.0","method":'), rpcErrorCodes.PARSE_ERROR);
    t.is(await err('[]'), rpcErrorCodes.INVALID_REQUEST);
    t.is(await err('{}'), rpcErrorCodes.INVALID_REQUEST);
    t.is(await err('42'), rpcErrorCodes.INVALID_REQUEST);
    t.is(await err('"hello"'), rpcErrorCodes.INVALID_REQUEST);
    t.is(await err('null'), rpcErrorCodes.INVALID_REQUEST);
    t.is(await err('{"jsonrpc":"1.0","id":1,"method":"cluster.status"}'), rpcErrorCodes.INVALID_REQUEST);
    t.is(await err('{"jsonrpc":"2.0","id":{},"method":"cluster.status"}'), rpcErrorCodes.INVALID_REQUEST);
    t.is(
      await err('{"jsonrpc":"2.0","id":1,"method":"cluster.status","params":7}'),
      rpcErrorCodes.INVALID_REQUEST,
    );
    for (const method of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'nope', '']) {
      const code = await err(JSON.stringify({ jsonrpc: '2.0', id: 1, method }));
      t.true(
        code === rpcErrorCodes.METHOD_NOT_FOUND || code === rpcErrorCodes.INVALID_REQUEST,
        `${method}: ${code}`,
      );
    }
    const batch = (await c.raw('[null]')) as Frame[];
    t.true(Array.isArray(batch), 'a batch is answered with an array, even of one');
    t.is(batch[0]!.error?.code, rpcErrorCodes.INVALID_REQUEST);
    const mixed = (await c.raw(
      JSON.stringify([
        { jsonrpc: '2.0', id: 'a', method: 'cluster.status', params: {} },
        { jsonrpc: '2.0', method: 'cluster.status', params: {} },
        1,
        { jsonrpc: '2.0', id: 'b', method: 'nope' },
      ]),
    )) as Frame[];
    t.deepEqual(
      mixed.map((m) => [m.id, m.error?.code ?? 'ok']),
      [
        ['a', 'ok'],
        [null, rpcErrorCodes.INVALID_REQUEST],
        ['b', rpcErrorCodes.METHOD_NOT_FOUND],
      ],
      'notifications get no reply; the rest keep their ids',
    );
    t.is(
      await c.raw('{"jsonrpc":"2.0","method":"cluster.status","params":{}}', 300),
      null,
      'a notification gets no reply',
    );
    t.is(
      await c.raw('[{"jsonrpc":"2.0","method":"nope"}]', 300),
      null,
      'a batch of notifications gets no reply',
    );
    t.is((await c.call('cluster.status', {})).role, 'master', 'the connection is still usable');
  }));

test('params are validated before any work, and the error names the field', (t) =>
  withNode(t, async ({ connect }) => {
    const c = await connect();
    const bad = async (method: string, params: unknown) => {
      const frame = (await c.raw(JSON.stringify({ jsonrpc: '2.0', id: 9, method, params }))) as Frame;
      t.is(frame.error?.code, rpcErrorCodes.INVALID_PARAMS, `${method} ${JSON.stringify(params)}`);
      return frame.error?.data?.field;
    };
    t.is(await bad('seats.hold', { showId: 'show-soon', seatIds: 'A1' }), 'seatIds');
    t.is(await bad('seats.hold', { showId: 'show-soon', seatIds: ['A1', 'A1'] }), 'seatIds');
    t.is(await bad('seats.hold', { showId: 'show-soon', seatIds: [] }), 'seatIds');
    t.is(await bad('seats.hold', { showId: 12, seatIds: ['A1'] }), 'showId');
    t.is(await bad('seats.hold', { showId: 'show-soon', seatIds: ['A1'], extra: 1 }), '(params)');
    t.is(
      await bad('bookings.book', {
        showId: 'show-soon',
        seatIds: ['A1'],
        customer: { name: 'x', email: 'no' },
      }),
      'customer.email',
    );
    t.is(await bad('bookings.get', { code: 'x'.repeat(100) }), 'code');
    t.is(await bad('seats.map', ['show-soon']), '(params)');
    t.is(await bad('catalog.shows', { date: '24.11.2026' }), 'date');
    t.is(await bad('constructor' in {} ? 'seats.map' : 'seats.map', { showId: { toString: 1 } }), 'showId');
    t.is((await c.call('seats.map', { showId: 'show-soon' })).showId, 'show-soon');
  }));

test('frames over 64 KiB close the socket with 1009, and the node stays up', (t) =>
  withNode(t, async ({ connect }) => {
    const c = await connect();
    const huge = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'bookings.get',
      params: { code: 'x'.repeat(10 * 1024 * 1024) },
    });
    c.ws.send(huge);
    t.is(await c.waitClosed(5000), 1009);
    const d = await connect();
    t.is((await d.call('cluster.status', {})).role, 'master');
  }));

test('a flooding connection gets RATE_LIMITED, and other connections do not', (t) =>
  withNode(
    t,
    async ({ connect }) => {
      const flooder = await connect();
      const calm = await connect();
      const results = await Promise.allSettled(
        Array.from({ length: 1000 }, () => flooder.call('cluster.status', {})),
      );
      const limited = results.filter(
        (r) => r.status === 'rejected' && (r.reason as { reason?: string }).reason === 'RATE_LIMITED',
      );
      t.true(limited.length > 0, 'some calls were refused');
      t.true(
        results.some((r) => r.status === 'fulfilled'),
        'a burst is served',
      );
      t.is((await calm.call('cluster.status', {})).role, 'master');
    },
    {},
    { rate: { burst: 100, perSecond: 50 } },
  ));

test('admin methods need the token, by header or auth.login', (t) =>
  withNode(t, async ({ connect }) => {
    const anon = await connect();
    t.is((await rpcError(anon.call('admin.stepDown', {}))).reason, 'UNAUTHORIZED');
    t.is((await rpcError(anon.call('auth.login', { token: 'wrong-token' }))).reason, 'UNAUTHORIZED');
    t.deepEqual(await anon.call('auth.login', { token: ADMIN_TOKEN }), { admin: true });
    t.deepEqual(await anon.call('admin.stepDown', {}), { nodeId: 1, steppedDown: false });
    const bearer = await connect({ token: ADMIN_TOKEN });
    const report = await bearer.call('admin.importCatalog', { source: 'bundled' });
    t.is(report.movies, 2, 'the fixture catalog re-imported');
    t.is((await bearer.call('catalog.movies', {})).length, 2, 're-importing changes nothing');
  }));

test('rpc.discover is an OpenRPC document covering every method with param schemas', (t) =>
  withNode(t, async ({ connect }) => {
    const c = await connect();
    const doc = (await c.call('rpc.discover', {})) as {
      openrpc: string;
      methods: {
        name: string;
        params: { name: string; required: boolean; schema: { type?: string } }[];
        result: { schema: unknown };
      }[];
    };
    t.regex(doc.openrpc, /^1\.\d+\.\d+$/);
    const hold = doc.methods.find((m) => m.name === 'seats.hold')!;
    t.deepEqual(
      hold.params.map((p) => [p.name, p.required]),
      [
        ['showId', true],
        ['seatIds', true],
        ['holdId', false],
      ],
    );
    t.is(hold.params[1]!.schema.type, 'array');
    for (const name of [
      'catalog.movies',
      'bookings.book',
      'tickets.verify',
      'cluster.events',
      'seats.subscribe',
    ]) {
      t.truthy(doc.methods.find((m) => m.name === name)?.result.schema, name);
    }
  }));

test('GET /healthz and /metrics', (t) =>
  withNode(t, async ({ node, connect }) => {
    const c = await connect();
    await c.call('bookings.book', {
      showId: 'show-big',
      seatIds: ['B1'],
      customer: { name: 'M', email: 'm@example.org' },
    });
    const health = (await (await fetch(`${node.url}/healthz`)).json()) as {
      nodeId: number;
      role: string;
      epoch: number;
    };
    t.like(health, { nodeId: 1, role: 'master' });
    t.true(health.epoch >= 1);
    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    t.regex(metrics, /booking_rpc_calls_total\{method="bookings.book",outcome="ok",node="1"\} 1/);
    t.regex(metrics, /booking_commit_batch_entries_count/);
  }));

/**
 * Throws thousands of random messages at a running node, each followed by a sentinel call on the
 * same socket: every frame that comes back must be a well-formed JSON-RPC answer, the sentinel
 * must be answered (the connection stays usable), and afterwards the node must still book
 * correctly. Answers may overtake each other (a write waits for its show's mutex, a status
 * read does not), so frames are checked for shape, not matched to the message before them.
 */
import test from 'ava';
import fc from 'fast-check';
import { methodDocs } from '../src/protocol/methods.js';
import type { TestClient } from './helpers/rpc-client.js';
import { withNode } from './helpers/with-node.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 5000);

const oddMethods = [
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'rpc.',
  '',
  'seats.',
  'admin.x',
];
const anyMethod = fc.oneof(
  fc.constantFrom(...Object.keys(methodDocs), ...oddMethods),
  fc.string({ maxLength: 20 }),
);
const anyId = fc.oneof(
  fc.integer(),
  fc.string({ maxLength: 8 }),
  fc.constant(null),
  fc.double(),
  fc.boolean(),
);
const anyParams = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.record(
    {
      showId: fc.oneof(fc.constantFrom('show-soon', 'show-big', 'show-started'), fc.string()),
      seatIds: fc.array(fc.oneof(fc.constantFrom('A1', 'B2', 'Z99'), fc.string()), { maxLength: 12 }),
      holdId: fc.string(),
      code: fc.string(),
      customer: fc.jsonValue({ maxDepth: 2 }),
      idempotencyKey: fc.jsonValue({ maxDepth: 1 }),
      afterCommitIndex: fc.oneof(fc.integer(), fc.double(), fc.string()),
      __proto__: fc.jsonValue({ maxDepth: 1 }),
    },
    { requiredKeys: [] },
  ),
);
const request = fc.record(
  {
    jsonrpc: fc.oneof(fc.constant('2.0'), fc.constant('1.0'), fc.jsonValue({ maxDepth: 0 })),
    id: anyId,
    method: anyMethod,
    params: anyParams,
  },
  { requiredKeys: [] },
);
/** What goes on the wire: requests, batches, random JSON, broken JSON. */
const frame = fc.oneof(
  { weight: 5, arbitrary: request.map((r) => JSON.stringify(r)) },
  {
    weight: 2,
    arbitrary: fc
      .array(fc.oneof(request, fc.jsonValue({ maxDepth: 2 })), { maxLength: 6 })
      .map((b) => JSON.stringify(b)),
  },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: request.map((r) => JSON.stringify(r).slice(0, -1)) },
);

const isInteger = (v: unknown) => typeof v === 'number' && Number.isInteger(v);

/** One JSON-RPC 2.0 response object, as the spec shapes it. */
function wellFormedResponse(value: unknown): boolean {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const r = value as Record<string, unknown>;
  if (r.jsonrpc !== '2.0' || !('id' in r)) return false;
  if ('result' in r === 'error' in r) return false;
  if ('error' in r) {
    const e = r.error as Record<string, unknown> | null;
    return !!e && isInteger(e.code) && typeof e.message === 'string';
  }
  return true;
}

/** Sends `text`, then a sentinel; collects every frame up to the sentinel's answer. */
async function exchange(client: TestClient, text: string, n: number): Promise<unknown[]> {
  const sentinel = `sentinel-${n}`;
  client.ws.send(text);
  client.ws.send(JSON.stringify({ jsonrpc: '2.0', id: sentinel, method: 'cluster.status', params: {} }));
  const frames: unknown[] = [];
  for (;;) {
    const next = await client.nextFrame(5000);
    if (next === null)
      throw new Error(`no answer to the sentinel after ${JSON.stringify(text).slice(0, 200)}`);
    if ((next as { id?: unknown }).id === sentinel) return frames;
    frames.push(next);
  }
}

test(`${RUNS} random messages get well-formed answers on a socket that stays usable, and booking still works`, (t) =>
  withNode(
    t,
    async ({ connect }) => {
      const client = await connect();
      let n = 0;
      await fc.assert(
        fc.asyncProperty(frame, async (text) => {
          const frames = await exchange(client, text, n++);
          for (const f of frames) {
            const ok = Array.isArray(f) ? f.length > 0 && f.every(wellFormedResponse) : wellFormedResponse(f);
            if (!ok) {
              t.log(`malformed answer ${JSON.stringify(f)} after ${text}`);
              return false;
            }
          }
          return true;
        }),
        { numRuns: RUNS, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31) },
      );
      t.is(client.closeCode, undefined, 'the fuzzed socket is still open');

      const fresh = await connect();
      const booking = await fresh.call('bookings.book', {
        showId: 'show-soon',
        seatIds: ['C3', 'C4'],
        customer: { name: 'After Fuzz', email: 'after@example.org' },
      });
      t.deepEqual(booking.seatIds, ['C3', 'C4']);
      const found = await fresh.call('bookings.get', { code: booking.code });
      t.is(found.status, 'confirmed');
      const map = await fresh.call('seats.map', {
        showId: 'show-soon',
        afterCommitIndex: booking.commitIndex,
      });
      const booked = map.rows.flatMap((r) => r.seats.filter((s) => s.status === 'booked').map((s) => s.id));
      t.deepEqual(booked, ['C3', 'C4'], 'nothing the fuzzer sent booked a seat');
    },
    {},
    { rate: { burst: 1_000_000, perSecond: 1_000_000 } },
  ));

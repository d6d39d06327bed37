/** Codes and ids come from pooled system randomness: well formed, and no bytes handed out twice. */
import test from 'ava';
import { newBookingCode, newId, normaliseBookingCode } from '../../src/booking/codes.js';
import { mulberry32, randomInt } from '../../src/cluster/prng.js';

test('ids and codes stay well formed and distinct across many pool refills', (t) => {
  const ids = new Set<string>();
  const codes = new Set<string>();
  // 4 KiB per fill, 26 bytes per pair: this crosses about 60 refills.
  for (let i = 0; i < 10_000; i++) {
    const id = newId('b');
    const code = newBookingCode();
    t.regex(id, /^b_[0-9A-HJKMNP-TV-Z]{10}[A-Za-z0-9_-]{22}$/);
    t.is(normaliseBookingCode(code), code);
    ids.add(id);
    codes.add(code);
  }
  t.is(ids.size, 10_000);
  t.is(codes.size, 10_000);
});

test('ids sort by their creation time, byte for byte, and stay unguessable within one millisecond', (t) => {
  // The database compares ids with a binary collation: byte order must be time order.
  const random = mulberry32(7);
  const times = Array.from({ length: 2_000 }, () => randomInt(random, 2 ** 44));
  times.push(0, 1, 31, 32, Date.parse('2026-12-07T00:00:00Z'), 2 ** 50 - 1);
  const byTime = [...times].sort((a, b) => a - b).map((ms) => ({ ms, id: newId('b', ms) }));
  const byBytes = [...byTime].sort((a, b) => Buffer.compare(Buffer.from(a.id), Buffer.from(b.id)));
  t.deepEqual(
    byBytes.map((x) => x.ms),
    byTime.map((x) => x.ms),
  );
  const sameMs = new Set(Array.from({ length: 1_000 }, () => newId('h', 1_765_000_000_000)));
  t.is(sameMs.size, 1_000);
  t.is(newId('b', 0).slice(0, 12), 'b_0000000000');
  t.is(newId('b', 2 ** 50 - 1).slice(0, 12), 'b_ZZZZZZZZZZ');
});

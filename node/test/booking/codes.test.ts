/** Codes and ids come from pooled system randomness: well formed, and no bytes handed out twice. */
import test from 'ava';
import { newBookingCode, newId, normaliseBookingCode } from '../../src/booking/codes.js';

test('ids and codes stay well formed and distinct across many pool refills', (t) => {
  const ids = new Set<string>();
  const codes = new Set<string>();
  // 4 KiB per fill, 26 bytes per pair: this crosses about 60 refills.
  for (let i = 0; i < 10_000; i++) {
    const id = newId('b');
    const code = newBookingCode();
    t.regex(id, /^b_[A-Za-z0-9_-]{22}$/);
    t.is(normaliseBookingCode(code), code);
    ids.add(id);
    codes.add(code);
  }
  t.is(ids.size, 10_000);
  t.is(codes.size, 10_000);
});

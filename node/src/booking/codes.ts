/**
 * Booking codes are the customer's secret: 80 random bits in Crockford base32 (16 characters,
 * no I, L, O or U), so they can be read aloud and typed back with forgiving normalisation.
 */
import { randomFillSync } from 'node:crypto';

/**
 * Random bytes from the system in 4 KiB fills, each byte handed out once: a `randomBytes` call per
 * id was a system call per id, and two ids per booking cost the master 1.8 % of its CPU under the
 * bench (node's own randomUUID pools the same way).
 */
const pool = Buffer.alloc(4096);
let offset = pool.length;
function random(n: number): Buffer {
  if (offset + n > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const out = Buffer.from(pool.subarray(offset, offset + n));
  offset += n;
  return out;
}

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function newBookingCode(): string {
  const bytes = random(10);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

/** Accepts lower case, dashes and spaces, and the usual look-alikes; null if it cannot be a code. */
export function normaliseBookingCode(input: string): string | null {
  const code = input.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
  return /^[0-9ABCDEFGHJKMNPQRSTVWXYZ]{16}$/.test(code) ? code : null;
}

/**
 * Opaque ids (holds, bookings): the creation time first (milliseconds, 10 Crockford base32
 * characters, so byte order is time order), then 128 random bits, URL-safe. Time first because
 * the id is the primary key of `bookings` and `holds`: fully random keys scattered every insert
 * over the whole clustered index, and once a node's tables outgrew MariaDB's buffer pool each
 * booking cost page reads and evictions (measured: 2 page reads and 4.7 page flushes per booking
 * at 130,000 bookings a node; docs/performance.md). The random part keeps a hold id, which is a
 * capability, unguessable.
 */
export function newId(prefix: string, nowMs: number = Date.now()): string {
  let time = '';
  let t = Math.max(0, Math.floor(nowMs));
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  return `${prefix}_${time}${random(16).toString('base64url')}`;
}

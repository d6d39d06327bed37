/**
 * Booking codes are the customer's secret: 80 random bits in Crockford base32 (16 characters,
 * no I, L, O or U), so they can be read aloud and typed back with forgiving normalisation.
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function newBookingCode(): string {
  const bytes = randomBytes(10);
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

/** Opaque ids (holds, bookings): 128 random bits, URL-safe. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(16).toString('base64url')}`;
}

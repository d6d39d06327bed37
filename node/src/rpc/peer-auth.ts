/**
 * Proof of the cluster secret for `/peer`, carried in the WebSocket upgrade itself, so a listener
 * decides before it accepts the socket and never reads a frame from a stranger. The secret never
 * crosses the wire: proofs are HMACs with a key derived for this purpose only (config.deriveKey).
 *
 *   dialer → listener (request headers)   x-booking-peer-id: <from>
 *                                          x-booking-peer-ts: <ms since epoch>
 *                                          x-booking-peer-nonce: <32 random bytes, hex>
 *                                          x-booking-peer-proof: HMAC(dialer|from|to|ts|nonce)
 *   listener → dialer (101 headers)        x-booking-peer-id: <to>
 *                                          x-booking-peer-proof: HMAC(listener|to|from|nonce)
 *
 * A recorded upgrade cannot be replayed: the timestamp must be within the allowed skew of the
 * listener's clock and each nonce is accepted once while it is fresh. Each proof names who talks
 * to whom and in which role, so it cannot be reflected back or used with another pair of nodes.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export const HEADER = {
  id: 'x-booking-peer-id',
  ts: 'x-booking-peer-ts',
  nonce: 'x-booking-peer-nonce',
  proof: 'x-booking-peer-proof',
} as const;

export function newNonce(): string {
  return randomBytes(32).toString('hex');
}

function mac(key: Buffer, parts: (string | number)[]): string {
  return createHmac('sha256', key).update(parts.join('|')).digest('hex');
}

export function dialerProof(key: Buffer, from: number, to: number, ts: number, nonce: string): string {
  return mac(key, ['dialer', from, to, ts, nonce]);
}

export function listenerProof(key: Buffer, from: number, to: number, nonce: string): string {
  return mac(key, ['listener', from, to, nonce]);
}

export function proofEquals(expected: string, given: unknown): boolean {
  if (typeof given !== 'string' || !/^[0-9a-f]{64}$/.test(given)) return false;
  return timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(given, 'hex'));
}

/** The headers a dialer sends, and the nonce it must see the listener's proof over. */
export function dialerHeaders(
  key: Buffer,
  from: number,
  to: number,
  now: number,
): { headers: Record<string, string>; nonce: string } {
  const nonce = newNonce();
  const ts = Math.floor(now);
  return {
    nonce,
    headers: {
      [HEADER.id]: String(from),
      [HEADER.ts]: String(ts),
      [HEADER.nonce]: nonce,
      [HEADER.proof]: dialerProof(key, from, to, ts, nonce),
    },
  };
}

/**
 * Nonces seen recently. Bounded: when full, new upgrades are refused (fail closed) until entries
 * expire; only upgrades with a valid proof are remembered, so a stranger cannot fill it.
 */
export class ReplayGuard {
  readonly #seen = new Map<string, number>();
  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
  ) {}

  /** Records `nonce`; false if it was seen while fresh, or there is no room. */
  admit(nonce: string, now: number): 'fresh' | 'replayed' | 'full' {
    for (const [n, expires] of this.#seen) {
      if (expires > now) break;
      this.#seen.delete(n);
    }
    if (this.#seen.has(nonce)) return 'replayed';
    if (this.#seen.size >= this.maxEntries) return 'full';
    this.#seen.set(nonce, now + this.ttlMs);
    return 'fresh';
  }

  get size(): number {
    return this.#seen.size;
  }
}

export type DialerCheck = { ok: true; from: number; nonce: string } | { ok: false; why: string };

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return typeof v === 'string' ? v : undefined;
}

/** Checks an upgrade request's proof; `replay` is consulted only once the proof is valid. */
export function checkDialer(
  key: Buffer,
  headers: IncomingHttpHeaders,
  self: number,
  peers: ReadonlySet<number>,
  now: number,
  maxSkewMs: number,
  replay: ReplayGuard,
): DialerCheck {
  const id = header(headers, HEADER.id);
  const ts = header(headers, HEADER.ts);
  const nonce = header(headers, HEADER.nonce);
  const proof = header(headers, HEADER.proof);
  if (id === undefined || ts === undefined || nonce === undefined || proof === undefined) {
    return { ok: false, why: 'no proof headers' };
  }
  // Only the canonical decimal a dialer writes: "01" would name peer 1 with another header.
  const from = /^[1-9]\d{0,8}$/.test(id) ? Number(id) : Number.NaN;
  if (!peers.has(from)) return { ok: false, why: 'not a configured peer' };
  const at = /^[1-9]\d{0,15}$/.test(ts) ? Number(ts) : Number.NaN;
  if (!Number.isSafeInteger(at) || Math.abs(now - at) > maxSkewMs) {
    return { ok: false, why: 'timestamp outside the allowed clock skew' };
  }
  if (!/^[0-9a-f]{64}$/.test(nonce)) return { ok: false, why: 'malformed nonce' };
  if (!proofEquals(dialerProof(key, from, self, at, nonce), proof)) return { ok: false, why: 'wrong proof' };
  const fresh = replay.admit(nonce, now);
  if (fresh === 'replayed') return { ok: false, why: 'replayed nonce' };
  if (fresh === 'full') return { ok: false, why: 'too many recent upgrades' };
  return { ok: true, from, nonce };
}

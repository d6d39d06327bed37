/**
 * Challenge-response proof of the cluster secret for `/peer` connections. The secret itself never
 * crosses the wire: each side proves it by an HMAC over a fresh nonce chosen by the other side, so
 * a recorded handshake cannot be replayed. Both directions are proven (the dialer proves itself to
 * the listener, the listener to the dialer), and each proof names who is talking to whom, so a proof
 * cannot be reflected back or reused for another pair of nodes.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export function newNonce(): string {
  return randomBytes(32).toString('hex');
}

function mac(secret: string, parts: (string | number)[]): string {
  return createHmac('sha256', `booking-peer-auth:${secret}`).update(parts.join('|')).digest('hex');
}

/** What the dialer (`from`) sends to the listener (`to`) in answer to the listener's nonce. */
export function dialerProof(secret: string, listenerNonce: string, from: number, to: number): string {
  return mac(secret, ['dialer', listenerNonce, from, to]);
}

/** What the listener (`from`) sends back, over the dialer's nonce. */
export function listenerProof(secret: string, dialerNonce: string, from: number, to: number): string {
  return mac(secret, ['listener', dialerNonce, from, to]);
}

export function proofEquals(expected: string, given: unknown): boolean {
  if (typeof given !== 'string' || !/^[0-9a-f]{64}$/.test(given)) return false;
  return timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(given, 'hex'));
}

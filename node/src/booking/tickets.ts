/**
 * Ticket tokens: `base64url(payload).base64url(signature)`, Ed25519-signed with a key derived
 * from the cluster secret, so every node can sign and verify without sharing a key file.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  hkdfSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';

export interface TicketPayload {
  v: 1;
  /** booking id */
  b: string;
  /** show id */
  s: string;
  /** seats */
  st: string[];
  /** issued at, ISO */
  iat: string;
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

const keyCache = new Map<string, { privateKey: KeyObject; publicKey: KeyObject }>();

export function ticketKeys(secret: string): { privateKey: KeyObject; publicKey: KeyObject } {
  const cacheKey = createHash('sha256').update(secret).digest('hex');
  let keys = keyCache.get(cacheKey);
  if (!keys) {
    const seed = Buffer.from(hkdfSync('sha256', secret, 'booking-ticket-salt', 'ed25519 ticket key', 32));
    const privateKey = createPrivateKey({
      key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
      format: 'der',
      type: 'pkcs8',
    });
    keys = { privateKey, publicKey: createPublicKey(privateKey) };
    keyCache.set(cacheKey, keys);
  }
  return keys;
}

export function signTicket(secret: string, payload: TicketPayload): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const signature = sign(null, Buffer.from(body), ticketKeys(secret).privateKey).toString('base64url');
  return `${body}.${signature}`;
}

/** The payload if the signature is good, else null. Never throws on garbage. */
export function verifyTicket(secret: string, token: string): TicketPayload | null {
  const parts = token.split('.');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return null;
  const [body, signature] = parts as [string, string];
  try {
    if (!verify(null, Buffer.from(body), ticketKeys(secret).publicKey, Buffer.from(signature, 'base64url')))
      return null;
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<TicketPayload>;
    if (
      payload.v !== 1 ||
      typeof payload.b !== 'string' ||
      typeof payload.s !== 'string' ||
      !Array.isArray(payload.st)
    ) {
      return null;
    }
    return payload as TicketPayload;
  } catch {
    return null;
  }
}

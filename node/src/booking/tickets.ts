/**
 * Ticket tokens are JWTs in JWS compact form, signed with EdDSA (Ed25519, RFC 8037): a door
 * scanner verifies them offline with any JOSE library and the published key (`ticketJwks`). The
 * key is derived from the cluster secret (HKDF, its own label), so every node signs and verifies
 * with the same key without a key file, and the key says nothing about the secret or other keys.
 *
 *   header  {"alg":"EdDSA"}   (the cluster has one ticket key: its JWKS names it by thumbprint, but
 *                             the header does not repeat it; every character of the token is in
 *                             the QR code, and QR encoding time grows with its version)
 *   claims  {"iss":"booking","sub":<booking id>,"show":<show id>,"seats":[...],"iat":<seconds>}
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { deriveKey, KEY_LABELS } from '../config.js';
import { RecentMap } from './recent-map.js';

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

export const TICKET_ISSUER = 'booking';

export interface TicketJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

interface TicketKeys {
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: TicketJwk;
  /** The encoded protected header, the same for every ticket. */
  header: string;
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
/** Tokens longer than this are not tickets: refused before any parsing. */
const MAX_TOKEN_CHARS = 4096;

const keyCache = new Map<string, TicketKeys>();

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function ticketKeys(secret: string): TicketKeys {
  const cacheKey = createHash('sha256').update(secret).digest('hex');
  let keys = keyCache.get(cacheKey);
  if (!keys) {
    const seed = deriveKey(secret, KEY_LABELS.ticketSigning);
    const privateKey = createPrivateKey({
      key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
      format: 'der',
      type: 'pkcs8',
    });
    const publicKey = createPublicKey(privateKey);
    const x = publicKey.export({ format: 'jwk' }).x as string;
    // RFC 7638: the thumbprint hashes the required members in lexicographic order.
    const kid = createHash('sha256')
      .update(JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x }))
      .digest('base64url');
    const jwk: TicketJwk = { kty: 'OKP', crv: 'Ed25519', x, kid, alg: 'EdDSA', use: 'sig' };
    keys = { privateKey, publicKey, jwk, header: b64({ alg: 'EdDSA' }) };
    keyCache.set(cacheKey, keys);
  }
  return keys;
}

/** The public key set scanners verify tickets with (serve it as `/.well-known/jwks.json`). */
export function ticketJwks(secret: string): { keys: TicketJwk[] } {
  return { keys: [ticketKeys(secret).jwk] };
}

export function signTicket(secret: string, payload: TicketPayload): string {
  const keys = ticketKeys(secret);
  const claims = b64({
    iss: TICKET_ISSUER,
    sub: payload.b,
    show: payload.s,
    seats: payload.st,
    iat: Math.floor(Date.parse(payload.iat) / 1000),
  });
  const input = `${keys.header}.${claims}`;
  return `${input}.${sign(null, Buffer.from(input), keys.privateKey).toString('base64url')}`;
}

/** The fields a ticket signs; they never change once a booking exists. */
export interface Ticketed {
  id: string;
  showId: string;
  seatIds: readonly string[];
  createdAt: string;
}

/**
 * The ticket of a booking. Ed25519 signatures are deterministic (RFC 8032), so this is the same
 * token on every node and every read: it is signed where the answer leaves for the client, not
 * decided on the master and carried in the log and the row (a third of an entry's bytes).
 */
export function ticketFor(secret: string, b: Ticketed): string {
  return signTicket(secret, { v: 1, b: b.id, s: b.showId, st: [...b.seatIds], iat: b.createdAt });
}

/**
 * Signs tickets on the node that answers, remembering the recent ones by booking id (a booking's
 * fields never change): a booking's answer and its cancel's carry the same token, signed once.
 */
export class TicketSigner {
  readonly #recent: RecentMap<string, string>;
  constructor(
    private readonly secret: string,
    capacity: number,
  ) {
    this.#recent = new RecentMap(capacity);
  }

  tokenFor(b: Ticketed): string {
    let token = this.#recent.get(b.id);
    if (token === undefined) {
      token = ticketFor(this.secret, b);
      this.#recent.set(b.id, token);
    }
    return token;
  }
}

const isStringArray = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((x) => typeof x === 'string');

/** The payload if the token is a ticket signed with this cluster's key, else null. Never throws. */
export function verifyTicket(secret: string, token: string): TicketPayload | null {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_CHARS) return null;
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [header, claims, signature] = parts as [string, string, string];
  const keys = ticketKeys(secret);
  // Only the exact header this cluster issues: no `alg` games (none, HS256 with the public key).
  if (header !== keys.header || !/^[\w-]+$/.test(claims) || !/^[\w-]{86}$/.test(signature)) return null;
  try {
    if (
      !verify(null, Buffer.from(`${header}.${claims}`), keys.publicKey, Buffer.from(signature, 'base64url'))
    ) {
      return null;
    }
    const c = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (
      c.iss !== TICKET_ISSUER ||
      typeof c.sub !== 'string' ||
      typeof c.show !== 'string' ||
      !isStringArray(c.seats) ||
      typeof c.iat !== 'number' ||
      !Number.isSafeInteger(c.iat)
    ) {
      return null;
    }
    return { v: 1, b: c.sub, s: c.show, st: c.seats, iat: new Date(c.iat * 1000).toISOString() };
  } catch {
    return null;
  }
}

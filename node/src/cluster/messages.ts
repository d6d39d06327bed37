import type { Entry } from './entry.js';

/**
 * Peer messages: plain JSON objects, sent over the wire unchanged. Every message carries
 * `{from, to, epoch, lamport}`; `epoch` means the epoch the message is about (see each type).
 *
 * Bully messages (`election`, `ok`) and the pre-vote (`pre-vote`, `pre-vote-reply`) only decide who
 * tries first and whether trying is worth an epoch; they change no persisted state, so safety never
 * depends on them. Everything that does (`coordinator`, `append`, `fetch`) is refused when its epoch
 * is below the receiver's promised epoch, answered by a `reject` carrying the newer one.
 */
export interface Envelope {
  from: number;
  to: number;
  epoch: number;
  lamport: number;
}

/**
 * "My master is gone": sent to higher ids only. epoch = sender's promised epoch (informative). The
 * sender's log end lets a higher node answer OK only if it could win the pre-vote against it; older
 * senders omit it.
 */
export interface ElectionMessage extends Envelope {
  type: 'election';
  lastEpoch?: number;
  lastIndex?: number;
}

/**
 * Answer to ELECTION from a higher id that is alive and at least as up to date: "stand back, I will
 * take it from here".
 */
export interface OkMessage extends Envelope {
  type: 'ok';
}

/**
 * "Would you accept me as a candidate now?" (Raft's pre-vote, thesis 9.6). Asked before a node raises
 * its epoch, so a node that cannot reach a majority, or that a live master still leads, never bumps
 * the epoch. epoch = the sender's promised epoch (informative; the answer changes nothing durable).
 * `round` pairs replies with this attempt; `takeover` marks a caught-up higher id taking over from
 * a lower master (classic bully), which a live master does not veto.
 */
export interface PreVoteMessage extends Envelope {
  type: 'pre-vote';
  round: number;
  lastEpoch: number;
  lastIndex: number;
  takeover: boolean;
}

/** epoch = the voter's promised epoch, so the candidate's real round picks an epoch above it. */
export interface PreVoteReplyMessage extends Envelope {
  type: 'pre-vote-reply';
  round: number;
  granted: boolean;
}

/** Candidacy for `epoch` and the start of the view change: "promise me this epoch". */
export interface CoordinatorMessage extends Envelope {
  type: 'coordinator';
}

/** A promise for `epoch`, with where the promiser's log ends (the view-change adoption input). */
export interface PromiseMessage extends Envelope {
  type: 'promise';
  lastEpoch: number;
  lastIndex: number;
  commitIndex: number;
}

/** The candidate of `epoch` asks the most up-to-date promiser for its log from `fromIndex`. */
export interface FetchMessage extends Envelope {
  type: 'fetch';
  fromIndex: number;
}

/**
 * The promiser's log from `fromIndex`, which is later than asked if it compacted the start away;
 * `prevEpoch` is the epoch of its entry at fromIndex - 1, so the candidate can check it agrees.
 */
export interface FetchReplyMessage<P = unknown> extends Envelope {
  type: 'fetch-reply';
  fromIndex: number;
  prevEpoch?: number;
  entries: Entry<P>[];
  commitIndex: number;
}

/** Replication and heartbeat (entries may be empty) from the master of `epoch`. */
export interface AppendMessage<P = unknown> extends Envelope {
  type: 'append';
  prevIndex: number;
  prevEpoch: number;
  entries: Entry<P>[];
  commitIndex: number;
}

/** The slave's log matches the master's up to `matchIndex`, durably (sent after the persist). */
export interface AppendOkMessage extends Envelope {
  type: 'append-ok';
  matchIndex: number;
}

/** The slave lacks or disagrees at `rejectedIndex`; `hintIndex` is where the master should retry. */
export interface AppendNackMessage extends Envelope {
  type: 'append-nack';
  rejectedIndex: number;
  hintIndex: number;
}

/**
 * A slave's sign of life to its master while its own write is still running (a stalled database):
 * it promises nothing, so it may go out before the write; the master counts it towards its
 * majority lease like an acknowledgement, without moving any match index.
 */
export interface AliveMessage extends Envelope {
  type: 'alive';
}

/** "You are stale": epoch = the receiver's promised epoch. A master that gets one steps down. */
export interface RejectMessage extends Envelope {
  type: 'reject';
  refused: string;
}

export type PeerMessage<P = unknown> =
  | ElectionMessage
  | OkMessage
  | PreVoteMessage
  | PreVoteReplyMessage
  | CoordinatorMessage
  | PromiseMessage
  | FetchMessage
  | FetchReplyMessage<P>
  | AppendMessage<P>
  | AppendOkMessage
  | AppendNackMessage
  | AliveMessage
  | RejectMessage;

export type PeerMessageType = PeerMessage['type'];

type Body<M> = M extends Envelope ? Omit<M, 'from' | 'to' | 'lamport'> : never;
/** A message before the core stamps `from`, `to` and `lamport` on it. */
export type PeerMessageBody<P> = Body<PeerMessage<P>>;

type Obj = Record<string, unknown>;

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function hasCounts(o: Obj, keys: readonly string[]): boolean {
  return keys.every((k) => isCount(o[k]));
}

/** Entries must be well-formed and contiguous from `firstIndex`; a gap would corrupt the log. */
function isEntries(v: unknown, firstIndex: number): v is Entry<unknown>[] {
  if (!Array.isArray(v)) return false;
  for (let k = 0; k < v.length; k++) {
    const e: unknown = v[k];
    if (typeof e !== 'object' || e === null) return false;
    const o = e as Obj;
    if (o['index'] !== firstIndex + k || !hasCounts(o, ['epoch', 'lamport'])) return false;
    if (o['kind'] === 'command') {
      if (!('payload' in o)) return false;
    } else if (o['kind'] !== 'barrier') {
      return false;
    }
  }
  return true;
}

/**
 * Shape check for anything that arrives from a socket. Returns null for anything malformed; the core
 * ignores it. Payloads stay opaque here (see `ClusterConfig.isPayload`).
 */
export function parsePeerMessage(raw: unknown): PeerMessage<unknown> | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const o = raw as Obj;
  if (!hasCounts(o, ['from', 'to', 'epoch', 'lamport'])) return null;
  switch (o['type']) {
    case 'election':
      if (('lastEpoch' in o || 'lastIndex' in o) && !hasCounts(o, ['lastEpoch', 'lastIndex'])) return null;
      break;
    case 'ok':
    case 'coordinator':
    case 'alive':
      break;
    case 'pre-vote':
      if (!hasCounts(o, ['round', 'lastEpoch', 'lastIndex']) || typeof o['takeover'] !== 'boolean')
        return null;
      break;
    case 'pre-vote-reply':
      if (!isCount(o['round']) || typeof o['granted'] !== 'boolean') return null;
      break;
    case 'promise':
      if (!hasCounts(o, ['lastEpoch', 'lastIndex', 'commitIndex'])) return null;
      break;
    case 'fetch':
      if (!isCount(o['fromIndex']) || o['fromIndex'] < 1) return null;
      break;
    case 'fetch-reply':
      if (!hasCounts(o, ['fromIndex', 'commitIndex']) || !isEntries(o['entries'], o['fromIndex'] as number))
        return null;
      if ('prevEpoch' in o && !isCount(o['prevEpoch'])) return null;
      break;
    case 'append':
      if (!hasCounts(o, ['prevIndex', 'prevEpoch', 'commitIndex'])) return null;
      if (!isEntries(o['entries'], (o['prevIndex'] as number) + 1)) return null;
      break;
    case 'append-ok':
      if (!isCount(o['matchIndex'])) return null;
      break;
    case 'append-nack':
      if (!hasCounts(o, ['rejectedIndex', 'hintIndex'])) return null;
      break;
    case 'reject':
      if (typeof o['refused'] !== 'string') return null;
      break;
    default:
      return null;
  }
  return o as unknown as PeerMessage<unknown>;
}

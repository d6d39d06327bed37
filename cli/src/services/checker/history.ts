/**
 * The operation history of a chaos run: what every client asked, when, of which endpoint, and
 * what it was told. One JSON object per line (JSONL) so a run that dies half-way still leaves a
 * readable prefix, and so `grep`/`jq` work on it.
 *
 * Each operation is an `invoke` record followed later by exactly one completion: `ok` (the
 * service acknowledged it), `fail` (the service said no, and the error guarantees nothing
 * happened) or `info` (we do not know: timeout, socket closed mid-call, an internal error).
 * An invoke that never got a completion is read as `info`.
 */
import type { ParamsOf, ResultOf } from '@booking/node/protocol';

export type NodeId = number;
export type OpId = number;

/** The writes the checker reasons about, plus `bookings.get` (reads are checked against acks). */
export const opMethods = [
  'seats.hold',
  'seats.release',
  'bookings.confirm',
  'bookings.book',
  'bookings.cancel',
  'bookings.get',
] as const;
export type OpMethod = (typeof opMethods)[number];

export type OpParams<M extends OpMethod> = ParamsOf<M>;
export type OpResult<M extends OpMethod> = ResultOf<M>;

/** An error the service answered with: JSON-RPC code, `data.reason` and `data.seatIds` when present. */
export interface OpError {
  code: number;
  reason?: string;
  seatIds?: string[];
  message: string;
}

/** Why the outcome is unknown. `code`/`reason` are there when the service answered an error that does not prove "nothing happened". */
export interface UnknownOutcome {
  message: string;
  code?: number;
  reason?: string;
}

interface OpRecordBase {
  /** Unique in the history; the completion carries the invoke's opId. */
  opId: OpId;
  /** The client (worker) that issued the op; one op at a time per process. */
  process: number;
  /** Monotonic milliseconds since the run started (performance.now() based): orders events. */
  time: number;
  /** The client's wall clock, ISO-8601: only used to compare with hold `expiresAt`. */
  wallTime: string;
  /** Where the call went: `nginx`, or a node as `n<id>`, or a URL. */
  endpoint: string;
}

export type InvokeRecord = {
  [M in OpMethod]: OpRecordBase & { type: 'invoke'; method: M; params: OpParams<M> };
}[OpMethod];

export type OkRecord = {
  [M in OpMethod]: OpRecordBase & { type: 'ok'; method: M; result: OpResult<M> };
}[OpMethod];

export interface FailRecord extends OpRecordBase {
  type: 'fail';
  method: OpMethod;
  error: OpError;
}

export interface InfoRecord extends OpRecordBase {
  type: 'info';
  method: OpMethod;
  error: UnknownOutcome;
}

export type FaultKind = 'kill' | 'pause' | 'resume' | 'revive' | 'partition' | 'heal';
export const faultKinds: readonly FaultKind[] = ['kill', 'pause', 'resume', 'revive', 'partition', 'heal'];

/** A fault the nemesis injected, so reports can mark it on the timeline. `node` is null for cluster-wide faults (heal all). */
export interface FaultRecord {
  type: 'fault';
  kind: FaultKind;
  node: NodeId | null;
  time: number;
  wallTime: string;
  /** Free text, e.g. the partition's sides. */
  detail?: string;
  /** The node was master when the fault hit it (failover times are measured from these). */
  wasMaster?: boolean;
}

export type CompletionRecord = OkRecord | FailRecord | InfoRecord;
export type OpRecord = InvokeRecord | CompletionRecord;
export type HistoryRecord = OpRecord | FaultRecord;
export type History = readonly HistoryRecord[];

/**
 * Reasons that prove the write did not happen: the booking rules or the validator rejected it.
 * Everything else (NO_MASTER after a forward, -32603, transport errors) may hide an applied
 * write and must be recorded as `info`, or the checker would call a real booking a phantom.
 */
const definiteReasons = new Set([
  'MOVIE_NOT_FOUND',
  'SHOW_NOT_FOUND',
  'SEAT_NOT_FOUND',
  'HOLD_NOT_FOUND',
  'BOOKING_NOT_FOUND',
  'SEATS_UNAVAILABLE',
  'TOO_MANY_SEATS',
  'HOLD_EXPIRED',
  'ALREADY_CANCELLED',
  'SHOW_STARTED',
  'RATE_LIMITED',
  'UNAUTHORIZED',
  'INVALID_TICKET',
]);
const definiteRpcCodes = new Set([-32700, -32600, -32601, -32602]);

/** How the recorder should complete an op that got a JSON-RPC error: `fail` only when nothing can have happened. */
export function classifyError(error: { code: number; reason?: string }): 'fail' | 'info' {
  if (error.reason !== undefined) return definiteReasons.has(error.reason) ? 'fail' : 'info';
  return definiteRpcCodes.has(error.code) ? 'fail' : 'info';
}

// ---------------------------------------------------------------------------------------------
// JSONL

export class HistoryParseError extends Error {
  readonly line: number;
  constructor(line: number, message: string) {
    super(`history line ${line}: ${message}`);
    this.name = 'HistoryParseError';
    this.line = line;
  }
}

/** One record as one line (no trailing newline). JSON.stringify never emits a raw newline, so a line is a record. */
export function serializeRecord(record: HistoryRecord): string {
  return JSON.stringify(record);
}

/** A whole history as JSONL, newline-terminated. */
export function serializeHistory(records: Iterable<HistoryRecord>): string {
  let out = '';
  for (const r of records) out += serializeRecord(r) + '\n';
  return out;
}

/** Parses JSONL. Blank lines are skipped; anything else malformed throws HistoryParseError naming the line. */
export function parseHistory(text: string): HistoryRecord[] {
  const records: HistoryRecord[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '') continue;
    records.push(parseRecord(line, i + 1));
  }
  return records;
}

/** Parses and structurally validates one line. `lineNo` only labels the error. */
export function parseRecord(line: string, lineNo = 1): HistoryRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (e) {
    throw new HistoryParseError(lineNo, `not JSON (${(e as Error).message})`);
  }
  const problem = recordProblem(value);
  if (problem !== null) throw new HistoryParseError(lineNo, problem);
  return value as HistoryRecord;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStrArr = (v: unknown): v is string[] => Array.isArray(v) && v.every(isStr);
const isIso = (v: unknown): v is string => isStr(v) && !Number.isNaN(Date.parse(v));

/** Returns what is wrong with a would-be record, or null. Checks what the checker relies on, not every field. */
export function recordProblem(v: unknown): string | null {
  if (!isObj(v)) return 'a record must be a JSON object';
  const type = v['type'];
  if (type === 'fault') {
    if (!faultKinds.includes(v['kind'] as FaultKind))
      return `fault.kind must be one of ${faultKinds.join(', ')}`;
    if (!(v['node'] === null || (isNum(v['node']) && Number.isInteger(v['node']))))
      return 'fault.node must be an integer node id or null';
    if (!isNum(v['time'])) return 'fault.time must be a number (ms since run start)';
    if (!isIso(v['wallTime'])) return 'fault.wallTime must be an ISO-8601 date-time';
    if (v['detail'] !== undefined && !isStr(v['detail'])) return 'fault.detail must be a string';
    if (v['wasMaster'] !== undefined && typeof v['wasMaster'] !== 'boolean')
      return 'fault.wasMaster must be a boolean';
    return null;
  }
  if (type !== 'invoke' && type !== 'ok' && type !== 'fail' && type !== 'info')
    return 'type must be one of invoke, ok, fail, info, fault';
  if (!(isNum(v['opId']) && Number.isInteger(v['opId']))) return `${type}.opId must be an integer`;
  if (!(isNum(v['process']) && Number.isInteger(v['process']))) return `${type}.process must be an integer`;
  if (!isNum(v['time'])) return `${type}.time must be a number (ms since run start)`;
  if (!isIso(v['wallTime'])) return `${type}.wallTime must be an ISO-8601 date-time`;
  if (!isStr(v['endpoint'])) return `${type}.endpoint must be a string`;
  const method = v['method'];
  if (!opMethods.includes(method as OpMethod)) return `${type}.method must be one of ${opMethods.join(', ')}`;
  const m = method as OpMethod;
  switch (type) {
    case 'invoke':
      return paramsProblem(m, v['params']);
    case 'ok':
      return resultProblem(m, v['result']);
    case 'fail': {
      const e = v['error'];
      if (!isObj(e) || !isNum(e['code']) || !isStr(e['message']))
        return 'fail.error must be {code: number, reason?, seatIds?, message: string}';
      if (e['reason'] !== undefined && !isStr(e['reason'])) return 'fail.error.reason must be a string';
      if (e['seatIds'] !== undefined && !isStrArr(e['seatIds'])) return 'fail.error.seatIds must be strings';
      return null;
    }
    case 'info': {
      const e = v['error'];
      if (!isObj(e) || !isStr(e['message'])) return 'info.error must be {message: string, code?, reason?}';
      return null;
    }
  }
}

function paramsProblem(m: OpMethod, p: unknown): string | null {
  if (!isObj(p)) return `invoke.params of ${m} must be an object`;
  const need = (k: string, ok: (x: unknown) => boolean, what: string): string | null =>
    ok(p[k]) ? null : `invoke.params.${k} of ${m} must be ${what}`;
  const customer = (x: unknown): boolean => isObj(x) && isStr(x['name']) && isStr(x['email']);
  const optKey = (x: unknown): boolean => x === undefined || isStr(x);
  switch (m) {
    case 'seats.hold':
      return (
        need('showId', isStr, 'a string') ??
        need('seatIds', isStrArr, 'an array of strings') ??
        need('holdId', optKey, 'a string when present')
      );
    case 'seats.release':
      return need('holdId', isStr, 'a string');
    case 'bookings.confirm':
      return (
        need('holdId', isStr, 'a string') ??
        need('customer', customer, '{name, email}') ??
        need('idempotencyKey', optKey, 'a string when present')
      );
    case 'bookings.book':
      return (
        need('showId', isStr, 'a string') ??
        need('seatIds', isStrArr, 'an array of strings') ??
        need('customer', customer, '{name, email}') ??
        need('idempotencyKey', optKey, 'a string when present')
      );
    case 'bookings.cancel':
    case 'bookings.get':
      return need('code', isStr, 'a string');
  }
}

function resultProblem(m: OpMethod, r: unknown): string | null {
  if (!isObj(r)) return `ok.result of ${m} must be an object`;
  switch (m) {
    case 'seats.hold':
      if (!isStr(r['holdId']) || !isStr(r['showId']) || !isStrArr(r['seatIds']) || !isIso(r['expiresAt']))
        return 'ok.result of seats.hold must be a Hold {holdId, showId, seatIds, expiresAt (ISO), commitIndex}';
      return null;
    case 'seats.release':
      return isStr(r['holdId']) ? null : 'ok.result of seats.release must be {holdId, released: true}';
    default:
      return bookingProblem(r, `ok.result of ${m}`);
  }
}

/** Structural check of a Booking as the checker uses it (also used on final-state reads). */
export function bookingProblem(b: unknown, where: string): string | null {
  if (!isObj(b)) return `${where} must be a Booking object`;
  for (const k of ['id', 'code', 'showId'] as const)
    if (!isStr(b[k])) return `${where}.${k} must be a string`;
  if (!isStrArr(b['seatIds'])) return `${where}.seatIds must be an array of strings`;
  if (b['status'] !== 'confirmed' && b['status'] !== 'cancelled')
    return `${where}.status must be confirmed or cancelled`;
  const c = b['customer'];
  if (!isObj(c) || !isStr(c['name']) || !isStr(c['email'])) return `${where}.customer must be {name, email}`;
  if (!isNum(b['lamport'])) return `${where}.lamport must be a number`;
  return null;
}

// ---------------------------------------------------------------------------------------------
// Recording

export interface RecorderClock {
  /** Monotonic ms since run start. */
  now(): number;
  /** Wall clock as ISO-8601. */
  wallNow(): string;
}

/**
 * Hands out op ids and builds records so that every invoke gets exactly one completion: a
 * second completion of the same op throws (that would be a recorder bug, not a service bug).
 * `pending()` lists ops still in flight, to close them as `info` when the run ends.
 */
export class HistoryRecorder {
  readonly #clock: RecorderClock;
  readonly #emit: (r: HistoryRecord) => void;
  readonly #open = new Map<OpId, { method: OpMethod; process: number; endpoint: string }>();
  #next = 1;

  constructor(clock: RecorderClock, emit: (record: HistoryRecord) => void) {
    this.#clock = clock;
    this.#emit = emit;
  }

  invoke<M extends OpMethod>(process: number, endpoint: string, method: M, params: OpParams<M>): OpId {
    const opId = this.#next++;
    this.#open.set(opId, { method, process, endpoint });
    this.#emit({ type: 'invoke', opId, process, endpoint, method, params, ...this.#stamp() } as InvokeRecord);
    return opId;
  }

  ok<M extends OpMethod>(opId: OpId, result: OpResult<M>): void {
    const op = this.#close(opId);
    this.#emit({ type: 'ok', opId, ...op, result, ...this.#stamp() } as OkRecord);
  }

  fail(opId: OpId, error: OpError): void {
    this.#emit({ type: 'fail', opId, ...this.#close(opId), error, ...this.#stamp() });
  }

  info(opId: OpId, error: UnknownOutcome): void {
    this.#emit({ type: 'info', opId, ...this.#close(opId), error, ...this.#stamp() });
  }

  fault(kind: FaultKind, node: NodeId | null, detail?: string, wasMaster?: boolean): void {
    this.#emit({
      type: 'fault',
      kind,
      node,
      ...this.#stamp(),
      ...(detail === undefined ? {} : { detail }),
      ...(wasMaster === undefined ? {} : { wasMaster }),
    });
  }

  pending(): OpId[] {
    return [...this.#open.keys()];
  }

  #close(opId: OpId): { method: OpMethod; process: number; endpoint: string } {
    const op = this.#open.get(opId);
    if (op === undefined) throw new Error(`op ${opId} is not in flight (completed twice, or never invoked)`);
    this.#open.delete(opId);
    return op;
  }

  #stamp(): { time: number; wallTime: string } {
    return { time: this.#clock.now(), wallTime: this.#clock.wallNow() };
  }
}

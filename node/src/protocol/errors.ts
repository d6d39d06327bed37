/**
 * Application error reasons of the wire protocol. Codes sit outside the JSON-RPC reserved
 * range (-32768..-32000) so a client can tell "the call was wrong" from "the booking rule said no".
 */
export const errorReasons = {
  MOVIE_NOT_FOUND: 1001,
  SHOW_NOT_FOUND: 1002,
  SEAT_NOT_FOUND: 1003,
  HOLD_NOT_FOUND: 1004,
  BOOKING_NOT_FOUND: 1005,
  SEATS_UNAVAILABLE: 1010,
  TOO_MANY_SEATS: 1011,
  HOLD_EXPIRED: 1012,
  ALREADY_CANCELLED: 1013,
  SHOW_STARTED: 1014,
  NO_MASTER: 1020,
  RATE_LIMITED: 1029,
  UNAUTHORIZED: 1030,
  INVALID_TICKET: 1040,
  /** The idempotency key was first used with other params: the request is refused, nothing is booked. */
  IDEMPOTENCY_KEY_REUSED: 1041,
} as const;

export type ErrorReason = keyof typeof errorReasons;

/** The standard JSON-RPC 2.0 error codes. */
export const rpcErrorCodes = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
} as const;

export interface AppErrorData {
  reason: ErrorReason;
  /** With SEATS_UNAVAILABLE: the seats someone else holds or booked. */
  seatIds?: string[];
  [extra: string]: unknown;
}

/** Thrown by domain code; the RPC layer turns it into a JSON-RPC error with `data.reason`. */
export class AppError extends Error {
  readonly code: number;
  readonly data: AppErrorData;
  constructor(reason: ErrorReason, message: string, extra: Omit<AppErrorData, 'reason'> = {}) {
    super(message);
    this.name = 'AppError';
    this.code = errorReasons[reason];
    this.data = { ...extra, reason };
  }
  get reason(): ErrorReason {
    return this.data.reason;
  }
}

export function isErrorReason(value: unknown): value is ErrorReason {
  return typeof value === 'string' && Object.hasOwn(errorReasons, value);
}

import { type ErrorReason, isErrorReason } from '@booking/node/protocol/errors';

/** An error answer from a node: `reason` is set for application errors (see errorReasons). */
export class RpcError extends Error {
  readonly code: number;
  readonly data: unknown;
  readonly reason: ErrorReason | undefined;
  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = 'RpcError';
    this.code = code;
    this.data = data;
    const reason = (data as { reason?: unknown } | undefined)?.reason;
    this.reason = isErrorReason(reason) ? reason : undefined;
  }
  /** With SEATS_UNAVAILABLE: the seats someone else took. */
  get seatIds(): string[] {
    const ids = (this.data as { seatIds?: unknown } | undefined)?.seatIds;
    return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
  }
}

/**
 * The socket failed under a call. `sent` tells whether the request may have reached a node:
 * an unsent call is always safe to repeat, a sent one only if it is idempotent.
 */
export class ConnectionError extends Error {
  readonly sent: boolean;
  constructor(message: string, sent: boolean) {
    super(message);
    this.name = 'ConnectionError';
    this.sent = sent;
  }
}

export class TimeoutError extends ConnectionError {
  constructor(method: string, ms: number) {
    super(`${method} got no answer within ${ms} ms`, true);
    this.name = 'TimeoutError';
  }
}

export function hasReason(error: unknown, reason: ErrorReason): error is RpcError {
  return error instanceof RpcError && error.reason === reason;
}

/** A line a person can read, for any error the api layer throws. */
export function describeError(error: unknown): string {
  if (error instanceof RpcError) {
    switch (error.reason) {
      case 'SEATS_UNAVAILABLE':
        return `Sorry, ${error.seatIds.join(', ') || 'those seats'} just went to someone else.`;
      case 'HOLD_EXPIRED':
      case 'HOLD_NOT_FOUND':
        return 'Your hold on these seats has expired. Please pick your seats again.';
      case 'NO_MASTER':
        return 'The booking service is electing a new leader. Please try again in a moment.';
      case 'BOOKING_NOT_FOUND':
        return 'No booking has that code.';
      case 'TOO_MANY_SEATS':
        return 'You can book at most 10 seats at once.';
      case 'SHOW_STARTED':
        return 'This show has already started.';
      case 'ALREADY_CANCELLED':
        return 'This booking is already cancelled.';
      case 'RATE_LIMITED':
        return 'Too many requests; please slow down.';
      default:
        return error.message;
    }
  }
  if (error instanceof ConnectionError) return 'Lost the connection to the booking service. Retrying…';
  return error instanceof Error ? error.message : String(error);
}

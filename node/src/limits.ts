/**
 * Every limit of a booking node, in one place: what a stranger can make a node allocate or wait
 * for, and how big the write path's batches get. docs/security.md and docs/performance.md explain
 * the figures; change them here, nowhere else.
 */

// ---- the write path ----

/** Entries in one batch: one transaction and one message per slave carry at most this many. */
export const MAX_BATCH_ENTRIES = 512;
/** How long a proposal may wait for its commit before the client is told to retry (indefinite). */
export const PROPOSE_TIMEOUT_MS = 5000;
/** Cap on the back-off between retries of a failed database write of the log. */
export const RETRY_BACKOFF_MAX_MS = 1000;
/** Entries the applied-rejection memory keeps, for proposers that wait on them. */
export const REMEMBERED_REJECTIONS = 4096;

// ---- reads ----

/** How long a read with `afterCommitIndex` waits for this node to apply that index. */
export const READ_WAIT_MS = 2000;
/** Readers parked on `afterCommitIndex` at once; past it they are answered at once. */
export const MAX_READ_WAITERS = 10_000;
/** An `afterCommitIndex` further than this beyond the node's commit index is answered at once. */
export const MAX_READ_AHEAD = 100_000;

// ---- holds ----

/** Seats in one hold or one booking. */
export const MAX_SEATS_PER_HOLD = 10;
/** Expiry entries name at most this many holds each. */
export const MAX_EXPIRIES_PER_ENTRY = 500;

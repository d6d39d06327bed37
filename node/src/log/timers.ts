/**
 * Time as the write log's driver sees it. Production passes `realTimers`; the simulation passes a
 * virtual clock, so one seed runs the production driver (replicated-log.ts) with time, storage and
 * transport under its control.
 */
export type TimerHandle = unknown;

export interface Timers {
  /** Milliseconds, monotonic (performance.now in production). */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle): void;
  /** Runs `fn` after the I/O already waiting (Node's check phase): socket data first, then `fn`. */
  setImmediate(fn: () => void): void;
}

export const realTimers: Timers = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
  setImmediate: (fn) => {
    setImmediate(fn);
  },
};

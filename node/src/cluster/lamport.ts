/**
 * Lamport clock. Pure: callers persist `time` where they must (log entries, events) and
 * restore it with `witness` after a restart, so time never runs backwards across crashes.
 */
export class LamportClock {
  #time: number;
  constructor(start = 0) {
    this.#time = start;
  }
  get time(): number {
    return this.#time;
  }
  /** A local event or a send: advance and return the new time. */
  tick(): number {
    this.#time += 1;
    return this.#time;
  }
  /** A receive (or a restored persisted time): jump past it. */
  witness(remote: number): number {
    this.#time = Math.max(this.#time, remote) + 1;
    return this.#time;
  }
}

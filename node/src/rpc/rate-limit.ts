/**
 * A token bucket per connection: a burst is fine, a flood is answered with RATE_LIMITED. One token
 * is one call (a batch of n costs n), so batching cannot multiply what a client may ask for.
 */
export class TokenBucket {
  #tokens: number;
  #last: number;
  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#tokens = capacity;
    this.#last = now();
  }
  take(count = 1): boolean {
    const t = this.now();
    this.#tokens = Math.min(this.capacity, this.#tokens + ((t - this.#last) / 1000) * this.perSecond);
    this.#last = t;
    if (this.#tokens < count) return false;
    this.#tokens -= count;
    return true;
  }
}

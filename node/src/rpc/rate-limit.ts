/** A token bucket per connection: a burst is fine, a flood is answered with RATE_LIMITED. */
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

/**
 * A latency histogram with bounded relative error (log-spaced buckets, HdrHistogram's idea in a
 * few lines): constant memory however long the run, mergeable across clients, and percentiles
 * within `precision` of the exact nearest-rank value.
 */

export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  max: number;
  p50: number;
  p95: number;
  p99: number;
  p999: number;
}

export class Histogram {
  readonly #counts = new Map<number, number>();
  readonly #lowest: number;
  readonly #logBase: number;
  #count = 0;
  #sum = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;

  /**
   * @param precision relative error of a reported percentile (0.01 = 1 %)
   * @param lowest values at or below this (ms) share the first bucket
   */
  constructor(
    readonly precision = 0.01,
    lowest = 0.001,
  ) {
    if (!(precision > 0 && precision < 1)) throw new RangeError('precision must be in (0, 1)');
    this.#lowest = lowest;
    this.#logBase = Math.log1p(2 * precision);
  }

  record(value: number, times = 1): void {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`not a latency: ${value}`);
    const i = this.#index(value);
    this.#counts.set(i, (this.#counts.get(i) ?? 0) + times);
    this.#count += times;
    this.#sum += value * times;
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
  }

  merge(other: Histogram): void {
    if (other.precision !== this.precision) throw new Error('cannot merge histograms of different precision');
    for (const [i, c] of other.#counts) this.#counts.set(i, (this.#counts.get(i) ?? 0) + c);
    this.#count += other.#count;
    this.#sum += other.#sum;
    this.#min = Math.min(this.#min, other.#min);
    this.#max = Math.max(this.#max, other.#max);
  }

  get count(): number {
    return this.#count;
  }

  /** The nearest-rank q-quantile (0 < q ≤ 1), within `precision` of the exact value. NaN when empty. */
  quantile(q: number): number {
    if (!(q > 0 && q <= 1)) throw new RangeError('quantile must be in (0, 1]');
    if (this.#count === 0) return Number.NaN;
    const rank = Math.ceil(q * this.#count);
    let seen = 0;
    for (const i of [...this.#counts.keys()].sort((a, b) => a - b)) {
      seen += this.#counts.get(i)!;
      if (seen >= rank) return Math.min(this.#max, Math.max(this.#min, this.#mid(i)));
    }
    return this.#max;
  }

  summary(): LatencySummary {
    const empty = this.#count === 0;
    return {
      count: this.#count,
      min: empty ? Number.NaN : this.#min,
      mean: empty ? Number.NaN : this.#sum / this.#count,
      max: empty ? Number.NaN : this.#max,
      p50: this.quantile(0.5),
      p95: this.quantile(0.95),
      p99: this.quantile(0.99),
      p999: this.quantile(0.999),
    };
  }

  #index(value: number): number {
    if (value <= this.#lowest) return 0;
    return Math.ceil(Math.log(value / this.#lowest) / this.#logBase);
  }

  /** A value in bucket i whose distance to both bucket edges is within `precision`. */
  #mid(i: number): number {
    if (i === 0) return this.#lowest;
    const lo = this.#lowest * Math.exp((i - 1) * this.#logBase);
    const hi = this.#lowest * Math.exp(i * this.#logBase);
    return (2 * lo * hi) / (lo + hi);
  }
}

/** Exact nearest-rank quantile of a sorted array: the reference the histogram is tested against. */
export function exactQuantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

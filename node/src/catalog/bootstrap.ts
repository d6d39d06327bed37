/**
 * The bundled catalog of a new cluster: loaded once, through the log like any write, by a node
 * while it serves as master. A later master finds it applied and does nothing.
 *
 * An import can fail half-way: it is a stream of writes, and a failover in the middle loses the
 * undecided ones (NO_MASTER). The node that started it may be master again by the time the
 * failure surfaces (it stepped down and won the next election while its write timed out), and
 * then no "became serving" would ever come to start another try: the cluster stayed up with no
 * catalog. So a failed or interrupted try is retried for as long as this node serves, and a
 * "serving" that arrives while a try runs is remembered, not dropped.
 */
export interface CatalogBootstrapDeps {
  /** Movies in this node's applied state: more than 0 means the catalog is there. */
  countMovies(): Promise<number>;
  /** Is this node the master now? */
  isMaster(): boolean;
  /** Imports the bundled catalog through the log; rejects when its writes are not committed. */
  importBundled(): Promise<unknown>;
  onLoaded(report: unknown): void;
  onFailed(error: unknown): void;
  /** Timers, injected so a test runs them on its own clock. */
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

/** Pause before another try while still master: lets the election or the disk settle. */
export const CATALOG_RETRY_MS = 500;

export class CatalogBootstrap {
  #present = false;
  #running = false;
  #again = false;
  #timer: unknown = null;
  #closed = false;

  constructor(private readonly deps: CatalogBootstrapDeps) {}

  get loaded(): boolean {
    return this.#present;
  }

  /** Call whenever the node starts to serve (and on every retry). */
  serving(): void {
    if (this.#present || this.#closed) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    this.#again = false;
    void this.#attempt();
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== null) this.deps.clearTimer(this.#timer);
    this.#timer = null;
  }

  async #attempt(): Promise<void> {
    let failed = false;
    try {
      if ((await this.deps.countMovies()) > 0) this.#present = true;
      else if (this.deps.isMaster()) {
        const report = await this.deps.importBundled();
        this.#present = true;
        this.deps.onLoaded(report);
      }
    } catch (error) {
      failed = true;
      this.deps.onFailed(error);
    } finally {
      this.#running = false;
    }
    if (this.#present || this.#closed) return;
    if (this.#again || (failed && this.deps.isMaster())) {
      this.#again = false;
      this.#timer = this.deps.setTimer(() => {
        this.#timer = null;
        this.serving();
      }, CATALOG_RETRY_MS);
    }
  }
}

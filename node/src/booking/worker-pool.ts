/**
 * The worker_threads pool (piscina) for QR rendering. When the node runs from TypeScript sources
 * (tsx), workers need the same loader, so it is passed to them.
 *
 * Codes asked for in one turn of the event loop go to a thread as one task: the bookings of a
 * committed batch are answered in the same turn, and posting a task (a message, a thread wake-up)
 * cost the node more than drawing a code did (docs/performance.md, 2026-12-07).
 */
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { QR_BATCH_CODES, QR_CACHE_CODES } from '../limits.js';
import { RecentMap } from './recent-map.js';
import type { TicketTask } from './ticket-worker.js';

interface Waiting {
  resolve: (svg: string) => void;
  reject: (error: unknown) => void;
}

export class TicketWorkers {
  readonly #pool: Piscina;
  /** QR SVGs are deterministic, so recent ones are kept instead of drawn again. */
  readonly #cache = new RecentMap<string, string>(QR_CACHE_CODES);
  /** Codes asked for since the last post, by token (one drawing for the same token asked twice). */
  #queued = new Map<string, Waiting[]>();
  #scheduled = false;
  #tasks = 0;
  #codes = 0;

  constructor(threads = 2) {
    const fromSource = import.meta.url.endsWith('.ts');
    const filename = fileURLToPath(new URL(`./ticket-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url));
    this.#pool = new Piscina({
      filename,
      // A fixed pool: piscina ends idle threads above minThreads at once by default, and a new
      // thread that loads tsx and the QR library costs hundreds of milliseconds, which under
      // load happened on nearly every booking.
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: Number.POSITIVE_INFINITY,
      execArgv: fromSource ? ['--import', import.meta.resolve('tsx')] : [],
    });
  }

  /** Tasks posted to the threads, and the codes they carried (codes / tasks: the batch size). */
  get tasks(): number {
    return this.#tasks;
  }
  get codes(): number {
    return this.#codes;
  }

  qr(text: string): Promise<string> {
    const cached = this.#cache.get(text);
    if (cached !== undefined) return Promise.resolve(cached);
    return new Promise((resolve, reject) => {
      const waiting = this.#queued.get(text);
      if (waiting) waiting.push({ resolve, reject });
      else this.#queued.set(text, [{ resolve, reject }]);
      if (this.#queued.size >= QR_BATCH_CODES) this.#post();
      else if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => {
          this.#scheduled = false;
          this.#post();
        });
      }
    });
  }

  #post(): void {
    const batch = this.#queued;
    if (batch.size === 0) return;
    this.#queued = new Map();
    const texts = [...batch.keys()];
    this.#tasks++;
    this.#codes += texts.length;
    this.#pool.run({ op: 'qr', texts } satisfies TicketTask).then(
      (svgs: string[]) => {
        texts.forEach((text, i) => {
          const svg = svgs[i]!;
          this.#cache.set(text, svg);
          for (const w of batch.get(text)!) w.resolve(svg);
        });
      },
      (error: unknown) => {
        for (const list of batch.values()) for (const w of list) w.reject(error);
      },
    );
  }

  close(): Promise<void> {
    return this.#pool.destroy();
  }
}

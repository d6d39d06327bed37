/**
 * The worker_threads pool (piscina) for ticket signing and QR rendering. When the node runs
 * from TypeScript sources (tsx), workers need the same loader, so it is passed to them.
 */
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { TicketTask } from './ticket-worker.js';
import type { TicketPayload } from './tickets.js';

export class TicketWorkers {
  readonly #pool: Piscina;
  readonly #secret: string;
  readonly #qrCache = new Map<string, string>();

  constructor(secret: string, threads = 2) {
    this.#secret = secret;
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

  sign(payload: TicketPayload): Promise<string> {
    return this.#pool.run({ op: 'sign', secret: this.#secret, payload } satisfies TicketTask);
  }

  /** QR SVGs are deterministic, so recent ones are cached instead of rendered again. */
  async qr(text: string): Promise<string> {
    const cached = this.#qrCache.get(text);
    if (cached) return cached;
    const svg: string = await this.#pool.run({ op: 'qr', text } satisfies TicketTask);
    if (this.#qrCache.size >= 2000) this.#qrCache.delete(this.#qrCache.keys().next().value!);
    this.#qrCache.set(text, svg);
    return svg;
  }

  close(): Promise<void> {
    return this.#pool.destroy();
  }
}

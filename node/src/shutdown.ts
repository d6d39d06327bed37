/**
 * Graceful stop. On SIGTERM a node stops taking connections, stops reading new calls, lets the
 * calls it already started finish (up to a deadline), hands mastership over, and closes client
 * sockets with 1001 ("going away") so clients reconnect at once to another node. A second signal,
 * or the hard deadline, exits at once.
 *
 * Calls a client sent but the node never started are dropped unanswered: the client sees the
 * socket close and can safely retry them elsewhere, since nothing of them ran.
 */
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { WebSocket, WebSocketServer } from 'ws';

/** How long calls already running may take to finish. */
export const DRAIN_DEADLINE_MS = 5_000;
/** How long clients get to answer the 1001 close before their sockets are cut. */
export const CLOSE_WAIT_MS = 1_000;
/** Past this the process exits whatever is still running (drain, hand-over, teardown). */
export const STOP_DEADLINE_MS = 8_000;

export interface StopParts {
  /** Late-bound: the HTTP server is created after the routes that report the stop. */
  server(): Server;
  clients: WebSocketServer;
  calls: { readonly inFlight: number; idle(timeoutMs: number): Promise<boolean> };
  cluster: { isMaster(): boolean; stepDown(): Promise<boolean> };
  logger: Logger;
}

export interface DrainReport {
  /** Calls still running when the deadline passed (0: all answered). */
  unfinished: number;
  steppedDown: boolean;
  ms: number;
}

export class GracefulStop {
  #draining = false;
  constructor(private readonly parts: StopParts) {
    // A client whose upgrade was already under way when the stop began is told to go elsewhere.
    parts.clients.on('connection', (ws: WebSocket) => {
      if (this.#draining) this.#goAway(ws);
    });
  }

  /** True from the start of a stop: readiness answers 503 from then on. */
  get draining(): boolean {
    return this.#draining;
  }

  async drain(deadlineMs = DRAIN_DEADLINE_MS): Promise<DrainReport> {
    const started = performance.now();
    this.#draining = true;
    const server = this.parts.server();
    server.close();
    server.closeIdleConnections();
    for (const ws of this.parts.clients.clients) ws.removeAllListeners('message');
    const idle = await this.parts.calls.idle(deadlineMs);
    const unfinished = idle ? 0 : this.parts.calls.inFlight;
    // Only now: the calls above committed while this node was still master. Writes that slaves
    // forward from here on are refused with NO_MASTER, which they retry with the next master; the
    // others elect it as soon as the peer links close (in close()).
    const steppedDown = this.parts.cluster.isMaster() ? await this.parts.cluster.stepDown() : false;
    const report = { unfinished, steppedDown, ms: Math.round(performance.now() - started) };
    this.parts.logger.info(report, 'drained');
    return report;
  }

  /** Closes every client socket: with 1001 after a drain, at once otherwise. */
  async closeClients(waitMs = CLOSE_WAIT_MS): Promise<void> {
    const sockets = [...this.parts.clients.clients];
    if (!this.#draining) {
      for (const ws of sockets) ws.terminate();
      return;
    }
    const closed = sockets.map(
      (ws) =>
        new Promise<void>((resolve) =>
          ws.readyState === ws.CLOSED ? resolve() : ws.once('close', () => resolve()),
        ),
    );
    for (const ws of sockets) this.#goAway(ws);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(closed),
      new Promise((resolve) => {
        timer = setTimeout(resolve, waitMs);
      }),
    ]);
    clearTimeout(timer);
    for (const ws of sockets) if (ws.readyState !== ws.CLOSED) ws.terminate();
  }

  #goAway(ws: WebSocket): void {
    ws.removeAllListeners('message');
    ws.close(1001, 'node shutting down');
  }
}

// The stop of each running node, found by its config: main() only holds the RunningNode.
const stops = new WeakMap<object, GracefulStop>();

export function registerStop(key: object, stop: GracefulStop): GracefulStop {
  stops.set(key, stop);
  return stop;
}

export function stopOf(key: object): GracefulStop | undefined {
  return stops.get(key);
}

/**
 * SIGTERM and SIGINT: drain, then `close()`, then exit 0. A second signal, or STOP_DEADLINE_MS,
 * exits 1 at once.
 */
export function stopOnSignals(
  node: { close(): Promise<void>; logger: Logger },
  stop: GracefulStop | undefined,
  exit: (code: number) => never = process.exit,
): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      node.logger.warn({ signal }, 'second signal: exiting now');
      exit(1);
    }
    stopping = true;
    node.logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      node.logger.warn({ deadlineMs: STOP_DEADLINE_MS }, 'stop deadline passed: exiting now');
      exit(1);
    }, STOP_DEADLINE_MS).unref();
    void (async () => {
      await stop?.drain().catch((error) => node.logger.warn({ err: error }, 'drain failed'));
      await node.close().catch((error) => node.logger.warn({ err: error }, 'close failed'));
      exit(0);
    })();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** Ports on 127.0.0.1: ask the OS for free ones, and wait for a listener to appear or go away. */
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { canBind } from '@booking/node/free-ports';

export { canBind, freePort, freePorts } from '@booking/node/free-ports';

/** Does something accept TCP connections on host:port? */
export function isListening(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (result: boolean) => {
      socket.removeAllListeners();
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(true)); // accepted by the kernel but silent: still bound
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${what}`);
    await sleep(opts.intervalMs ?? 100);
  }
}

export function waitForPortClosed(port: number, timeoutMs = 10_000, host = '127.0.0.1'): Promise<void> {
  return waitFor(`port ${port} to close`, () => canBind(port, host), { timeoutMs });
}

export function waitForPortOpen(port: number, timeoutMs = 30_000, host = '127.0.0.1'): Promise<void> {
  return waitFor(`port ${port} to open`, () => isListening(port, host), { timeoutMs });
}

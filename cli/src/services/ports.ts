/** Ports on 127.0.0.1: ask the OS for free ones, and wait for a listener to appear or go away. */
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A port the OS says is free right now (listen on 0, read it, close). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('the OS gave no port'))));
    });
  });
}

/** `count` distinct free ports (held open together so the OS cannot hand out one twice). */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, host, () => resolve());
      });
      servers.push(server);
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

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

/** Can we bind host:port ourselves? (Stricter than !isListening: also catches a bound but paused process.) */
export function canBind(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
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

/**
 * Free ports on loopback for processes that bind them later: the CLI's nodes and Nginx, and every
 * suite's test clusters. One implementation, because the hazard is machine-wide (see freePorts).
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';

/**
 * The kernel's ephemeral range: where it picks the port of every listen(0) and of every outgoing
 * connection, on the whole machine.
 */
function ephemeralRange(): { low: number; high: number } {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (low && high && low <= high) return { low, high };
  } catch {
    // not Linux, or /proc is not mounted: the kernel's default
  }
  return { low: 32768, high: 60999 };
}

/** The lowest port handed out: clear of the well-known and registered ports services sit on. */
const LOWEST_PORT = 10_000;

/**
 * `count` distinct ports that are free now and that nobody else is handed before we bind them.
 *
 * A port from listen(0) goes back to the kernel's pool when it is closed, and the next listen(0)
 * anywhere on the machine may get it: in CI a cluster starting beside this one took such a port
 * for one of its nodes, this cluster's Nginx could not bind it, and a test talked to the other
 * cluster. So the ports are drawn at random from below the ephemeral range, where the kernel
 * never hands out a port on its own, and checked by binding them.
 */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const { low } = ephemeralRange();
  const span = low - LOWEST_PORT;
  if (span < 1000) return ephemeralPorts(count, host); // a machine whose range starts low
  const chosen = new Set<number>();
  for (let tries = 0; chosen.size < count; tries++) {
    if (tries > 50 * count) return ephemeralPorts(count, host);
    const port = LOWEST_PORT + Math.floor(Math.random() * span);
    if (!chosen.has(port) && (await canBind(port, host))) chosen.add(port);
  }
  return [...chosen];
}

/** A port that is free now and stays out of everyone else's way until we bind it (see freePorts). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [port] = await freePorts(1, host);
  return port!;
}

/** `count` distinct ports from the kernel (held open together so it cannot hand out one twice). */
async function ephemeralPorts(count: number, host: string): Promise<number[]> {
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

/** Can we bind host:port ourselves? (Stricter than !isListening: also catches a bound but paused process.) */
export function canBind(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

#!/usr/bin/env node
// `npm start`: makes sure MariaDB runs, then starts the product. Until the `booking` CLI can
// start a whole cluster, this runs one booking node with the default configuration.
import { spawn } from 'node:child_process';
import { ensureMariaDb } from './ensure-system.mjs';

try {
  await ensureMariaDb();
} catch (error) {
  process.stderr.write(`setup: ${error.message}\n`);
  process.exit(1);
}
const port = process.env.BOOKING_PORT ?? '7101';
process.stdout.write(`starting one booking node: ws://127.0.0.1:${port}/rpc (Ctrl-C stops it)\n`);
const child = spawn(process.execPath, ['node/bin/booking-node.mjs'], {
  stdio: 'inherit',
  env: { BOOKING_PORT: port, ...process.env },
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 1));

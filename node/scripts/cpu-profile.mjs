// A CPU profile of a running node: open its inspector first (`kill -USR1 <pid>`), then
//   node node/scripts/cpu-profile.mjs [port=9229] [seconds=15] [out=/tmp/prof.cpuprofile]
// and open the file in Chrome DevTools (Performance) or any .cpuprofile viewer. Loopback only.

import { writeFileSync } from 'node:fs';
import WebSocket from 'ws';

const [port, seconds, out] = [
  process.argv[2] ?? '9229',
  Number(process.argv[3] ?? 15),
  process.argv[4] ?? '/tmp/prof.cpuprofile',
];
const list = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
const ws = new WebSocket(list[0].webSocketDebuggerUrl);
await new Promise((r) => ws.once('open', r));
let id = 0;
const pending = new Map();
ws.on('message', (d) => {
  const m = JSON.parse(d);
  if (m.id && pending.has(m.id)) {
    pending.get(m.id)(m.result);
    pending.delete(m.id);
  }
});
const call = (method, params = {}) =>
  new Promise((r) => {
    const i = ++id;
    pending.set(i, r);
    ws.send(JSON.stringify({ id: i, method, params }));
  });
await call('Profiler.enable');
await call('Profiler.setSamplingInterval', { interval: 500 });
await call('Profiler.start');
await new Promise((r) => setTimeout(r, seconds * 1000));
const { profile } = await call('Profiler.stop');
writeFileSync(out, JSON.stringify(profile));
ws.close();
console.log('wrote', out);

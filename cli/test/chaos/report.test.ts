import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterEvent } from '@booking/node/protocol';
import test from 'ava';
import { type ReportInput, renderReport, writeReport } from '../../src/services/chaos/report.js';
import { lastElection, niceTicks, spaceTime } from '../../src/services/chaos/svg.js';

const ev = (
  nodeId: number,
  lamport: number,
  type: string,
  detail: Record<string, unknown> = {},
): ClusterEvent => ({
  nodeId,
  lamport,
  type,
  at: new Date(1_900_000_000_000 + lamport).toISOString(),
  detail,
});

/** Two elections: n3 wins the first, n3 is killed, n2 wins the second. */
const events: ClusterEvent[] = [
  ev(1, 1, 'election-started'),
  ev(3, 2, 'became-candidate'),
  ev(3, 5, 'became-master'),
  ev(1, 6, 'became-slave', { masterId: 3 }),
  ev(2, 7, 'became-slave', { masterId: 3 }),
  ev(1, 40, 'election-started', { reason: 'master lost' }),
  ev(2, 41, 'election-started', { reason: 'master lost' }),
  ev(2, 43, 'became-candidate'),
  ev(1, 45, 'became-slave', { masterId: 2 }),
  ev(2, 46, 'became-master'),
  ev(2, 47, 'view-change-done'),
];

test('the last election is the window from its first election-started to the end', (t) => {
  t.deepEqual(
    lastElection(events).map((e) => e.lamport),
    [40, 41, 43, 45, 46, 47],
  );
  t.deepEqual(lastElection(events.slice(0, 2)), [], 'no master yet: no election to show');
});

test('space-time diagram: a lane per node, a dot per event, an arrow per new slave', (t) => {
  const svg = spaceTime(lastElection(events));
  t.regex(svg, /^<svg[^>]*>/);
  t.true(svg.endsWith('</svg>'));
  t.is(svg.match(/<circle /g)?.length, 6);
  t.is(svg.match(/marker-end=/g)?.length, 1, 'n1 became slave of n2');
  t.regex(svg, />n1</);
  t.regex(svg, />n2</);
  t.notRegex(svg, />n3</, 'the dead master took no part');
  t.regex(spaceTime([]), /No election/);
});

test('nice ticks cover the maximum with round steps', (t) => {
  t.deepEqual(niceTicks(9), [0, 2, 4, 6, 8, 10]);
  t.deepEqual(niceTicks(1800), [0, 500, 1000, 1500, 2000]);
  t.deepEqual(niceTicks(0), [0, 1]);
});

const input = (): ReportInput => ({
  title: 'Chaos run <seed 7>',
  generatedAt: '2030-01-01T00:00:00.000Z',
  verdict: {
    verdict: 'invalid',
    anomalies: [
      {
        kind: 'lost-booking',
        message: 'acknowledged booking b_1 is missing',
        ops: [],
        nodes: [{ nodeId: 1, booking: null }],
        bookingIds: ['b_1'],
      },
    ],
    unknown: [],
  },
  figures: [
    { label: 'failover median', value: '420 ms', target: '≤ 500 ms', met: true },
    { label: 'failover worst', value: '1.9 s', target: '≤ 1.5 s', met: false },
  ],
  series: [0, 1000, 2000, 3000].map((t, i) => ({
    t,
    okPerSec: 100 * i,
    errorsPerSec: i === 2 ? 5 : 0,
    p50: 3,
    p99: i === 2 ? Number.NaN : 9,
  })),
  faults: [
    {
      type: 'fault',
      kind: 'kill',
      node: 3,
      time: 1500,
      wallTime: '2030-01-01T00:00:01.500Z',
      wasMaster: true,
    },
    { type: 'fault', kind: 'revive', node: 3, time: 2500, wallTime: '2030-01-01T00:00:02.500Z' },
  ],
  failovers: [
    { at: 1500, kind: 'kill', node: 3, ms: 420 },
    { at: 2800, kind: 'pause', node: 2, ms: null },
  ],
  events,
  schedule: ['1.50s kill master', '2.50s revive (undo step 0)'],
});

test('the report shows verdict, anomalies, figures against targets, charts with faults marked', (t) => {
  const { html, charts } = renderReport(input());
  t.deepEqual(Object.keys(charts).sort(), ['election.svg', 'failovers.svg', 'latency.svg', 'throughput.svg']);
  t.regex(html, /Verdict: <strong>INVALID<\/strong>/);
  t.regex(html, /lost-booking/);
  t.regex(html, /✗ not met/);
  t.regex(html, /Chaos run &#60;seed 7&#62;/, 'text is escaped');
  t.notRegex(html, /<seed 7>/);
  // Each fault is a marker on both time charts.
  for (const name of ['throughput.svg', 'latency.svg']) {
    t.regex(charts[name]!, /kill n3 \(master\) at 1.50s/);
    t.regex(charts[name]!, /revive n3 at 2.50s/);
  }
  // A failover that never finished is shown as such, next to the target lines.
  t.regex(charts['failovers.svg']!, /2: none/);
  t.regex(charts['failovers.svg']!, /median target 500 ms/);
  for (const svg of Object.values(charts)) t.is(svg.match(/<svg/g)?.length, 1);
});

test('writeReport writes index.html and one file per chart', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'chaos-report-'));
  try {
    const index = await writeReport(join(dir, 'r'), input());
    t.is(index, join(dir, 'r', 'index.html'));
    t.deepEqual((await readdir(join(dir, 'r'))).sort(), [
      'election.svg',
      'failovers.svg',
      'index.html',
      'latency.svg',
      'throughput.svg',
    ]);
    t.regex(await readFile(index, 'utf8'), /<!doctype html>/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

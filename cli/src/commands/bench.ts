import path from 'node:path';
import { Flags } from '@oclif/core';
import { BaseCommand, nameFlag } from '../base-command.js';
import { type BenchResult, runBench } from '../services/bench/run.js';
import { writeReport } from '../services/chaos/report.js';
import { openCluster } from '../services/cluster.js';
import { parseDuration } from '../services/duration.js';
import { exitCodes } from '../services/errors.js';
import { DEFAULT_MYSQL_URL, normalizeServerUrl } from '../services/mysql.js';
import { stateDir } from '../services/paths.js';

const ms = (x: number) => (Number.isFinite(x) ? `${x.toFixed(x < 10 ? 2 : 1)} ms` : '–');

export default class Bench extends BaseCommand<typeof Bench> {
  static override summary = 'Booking load through Nginx: bookings/s, latency percentiles, errors by reason.';
  static override description =
    'Closed-loop clients book two-seat pairs through Nginx (each client cancels its oldest booking once it ' +
    'holds four, so any duration fits the catalog). --baseline runs the same booking transactions straight ' +
    'against one MySQL in the same run and prints the ratio. --hot is a flash sale: every client goes for ' +
    'the seats of one fresh show, and the result says whether exactly its seats were sold, none twice. ' +
    'A report (HTML and SVG) is written under .booking/<name>/bench/. Every client comes from 127.0.0.1, ' +
    "so more clients than Nginx's per-address caps (256 sockets by default) are refused with HTTP 429; the " +
    'error says how to start the cluster with higher caps (BOOKING_LIMIT_* variables, docs/security.md).';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --clients 64 --duration 30s --baseline',
    '<%= config.bin %> <%= command.id %> --hot --clients 128',
    '<%= config.bin %> <%= command.id %> --baseline --json | jq .ratio',
  ];
  static override flags = {
    name: nameFlag,
    clients: Flags.integer({
      summary: 'Concurrent clients (one WebSocket each).',
      default: 32,
      min: 1,
      max: 1024,
    }),
    duration: Flags.string({
      summary: 'How long to measure, after a one-second warm-up (e.g. 10s, 1m).',
      default: '10s',
      parse: async (v) => String(parseDuration(v)),
    }),
    hot: Flags.boolean({ summary: 'Flash sale: many clients, the few seats of one show.' }),
    baseline: Flags.boolean({
      summary:
        'Also run the same bookings straight against one MySQL and print the ratio: one transaction per booking that inserts its seat claims and lets the (show, seat) key decide.',
      exclusive: ['hot'],
    }),
    'baseline-read': Flags.boolean({
      summary: 'With --baseline: the weaker baseline that reads the show’s claims before it writes.',
      dependsOn: ['baseline'],
    }),
    'mysql-url': Flags.string({
      summary: 'MySQL server for --baseline (default: the cluster’s own, else mysql://root@127.0.0.1:3306).',
    }),
    seed: Flags.integer({ summary: 'Seed of the seat order.', default: 1 }),
  };

  async run(): Promise<BenchResult> {
    const f = this.flags;
    const { state } = await openCluster(f.name);
    const result = await runBench(
      state,
      {
        clients: f.clients,
        durationMs: parseDuration(f.duration),
        hot: f.hot,
        baseline: f.baseline,
        baselineRead: f['baseline-read'],
        baselineMysqlUrl: normalizeServerUrl(
          f['mysql-url'] ?? (state.driver === 'local' ? state.spec.mysqlUrl : DEFAULT_MYSQL_URL),
        ),
        seed: f.seed,
      },
      this.progress,
    );
    const dir = path.join(stateDir(f.name), 'bench', new Date().toISOString().replace(/[:.]/g, '-'));
    const c = result.cluster;
    const index = await writeReport(dir, {
      title: `Bench ${result.mode}: ${result.clients} clients, ${result.nodes} nodes`,
      generatedAt: new Date().toISOString(),
      figures: [
        {
          label: 'bookings/s (cluster)',
          value: String(c.bookingsPerSec),
          target: '≥ 2000',
          met: c.bookingsPerSec >= 2000,
        },
        {
          label: 'p50 / p95 / p99 / p99.9',
          value: [c.latencyMs.p50, c.latencyMs.p95, c.latencyMs.p99, c.latencyMs.p999].map(ms).join(' / '),
        },
        ...(result.clients === 64
          ? [
              {
                label: 'p99 at 64 clients',
                value: ms(c.latencyMs.p99),
                target: '≤ 25 ms',
                met: c.latencyMs.p99 <= 25,
              },
            ]
          : []),
        ...(result.baseline
          ? [
              { label: 'bookings/s (single MySQL)', value: String(result.baseline.bookingsPerSec) },
              {
                label: 'ratio cluster / MySQL',
                value: String(result.ratio ?? '–'),
                target: '≥ 1.0',
                met: (result.ratio ?? 0) >= 1,
              },
            ]
          : []),
        {
          label: 'elections / NO_MASTER during the run',
          value: `${result.stability.elections} / ${result.stability.noMaster}`,
          target: '0 / 0',
          met: result.stability.elections === 0 && result.stability.noMaster === 0,
        },
        ...(result.flashSale
          ? [
              {
                label: 'flash sale: seats sold / total, sold twice',
                value: `${result.flashSale.sold} / ${result.flashSale.seatsTotal}, ${result.flashSale.soldTwice}`,
                target: 'all, 0',
                met: result.flashSale.exact,
              },
            ]
          : []),
      ],
      series: result.series,
      faults: [],
      failovers: [],
      events: [],
    });
    this.endProgress();
    this.log(
      `${result.mode === 'hot' ? 'Flash sale' : 'Bench'} through ${result.url}: ${result.clients} clients, ${c.seconds} s`,
    );
    this.log(
      `  cluster      ${String(c.bookingsPerSec).padStart(7)} bookings/s  p50 ${ms(c.latencyMs.p50)}  p95 ${ms(c.latencyMs.p95)}  p99 ${ms(c.latencyMs.p99)}  p99.9 ${ms(c.latencyMs.p999)}  (${c.bookings} booked, ${c.cancels} cancelled)`,
    );
    if (result.baseline) {
      const b = result.baseline;
      this.log(
        `  single MySQL ${String(b.bookingsPerSec).padStart(7)} bookings/s  p50 ${ms(b.latencyMs.p50)}  p95 ${ms(b.latencyMs.p95)}  p99 ${ms(b.latencyMs.p99)}  p99.9 ${ms(b.latencyMs.p999)}`,
      );
      this.log(`  ratio cluster / MySQL: ${result.ratio ?? '–'}`);
    }
    const st = result.stability;
    this.log(
      `  elections during the run: ${st.elections}${st.electionsStarted === null ? '' : ` (${st.electionsStarted} started)`}, NO_MASTER answers: ${st.noMaster}, master ${st.masterBefore ?? '–'} → ${st.masterAfter ?? '–'}`,
    );
    const errors = Object.entries(c.errors);
    this.log(`  errors: ${errors.length === 0 ? 'none' : errors.map(([k, v]) => `${k} ${v}`).join(', ')}`);
    if (result.flashSale) {
      const s = result.flashSale;
      this.log(
        `  flash sale on ${s.showId}: ${s.sold} of ${s.seatsTotal} seats sold in ${s.bookings} bookings, ${s.soldTwice} sold twice, ${s.bookedOnMap} booked on the seat map: ${s.exact ? 'exact' : 'NOT EXACT'}`,
      );
    }
    this.log(`  report: ${index}`);
    if (result.flashSale && !result.flashSale.exact) {
      // Still print the figures (and the JSON): they are the evidence. The exit code says it failed.
      this.warnLine(`the flash sale did not sell exactly the show's seats: see ${index}`);
      process.exitCode = exitCodes.failed;
    }
    return result;
  }
}

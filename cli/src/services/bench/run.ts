/**
 * `booking bench`: booking load through Nginx, and in the same run, when asked, the same booking
 * transactions straight against one MySQL (the baseline) — so the ratio compares two numbers
 * measured on the same machine at the same time, never a number against a remembered one.
 *
 * Steady mode: each client books two-seat pairs from its own slice of the catalog and cancels its
 * oldest booking once it holds four (so a finite catalog lasts for any duration; both sides run
 * this same mix). `--hot` is a flash sale: every client goes for the seats of one fresh show
 * until none is left; the result says whether exactly the show's seats were sold, none twice.
 */

import { MysqlBaseline } from '@booking/node/bench/mysql-baseline';
import { processLimits } from '@booking/node/limits';
import type { Booking } from '@booking/node/protocol';
import type { ClusterState } from '../drivers/driver.js';
import { CliError } from '../errors.js';
import { RpcClient } from '../rpc-client.js';
import type { LatencySummary } from './histogram.js';
import { closedLoop, type LoadResult, type OpKind } from './load.js';
import type { SeriesPoint } from './series.js';
import { ClientPlan, deal, type SeatPair, type ShowSeats, seatPairs, shuffle } from './workload.js';

export interface BenchOptions {
  clients: number;
  durationMs: number;
  hot: boolean;
  baseline: boolean;
  /** The baseline reads the show's claims before it writes (the weaker design the first runs used). */
  baselineRead?: boolean;
  /** MySQL server for the baseline (no database name). */
  baselineMysqlUrl: string;
  seed: number;
  warmupMs?: number;
  /** Bookings a client holds before it cancels its oldest. */
  keep?: number;
}

export interface SideFigures {
  bookings: number;
  cancels: number;
  seconds: number;
  bookingsPerSec: number;
  writesPerSec: number;
  latencyMs: LatencySummary;
  errors: Record<string, number>;
}

export interface FlashSale {
  showId: string;
  seatsTotal: number;
  /** Seats in acknowledged bookings. */
  sold: number;
  /** Seats that two acknowledged bookings share. */
  soldTwice: number;
  /** Seats the show's seat map shows as booked at the end. */
  bookedOnMap: number;
  bookings: number;
  exact: boolean;
}

export interface BenchResult {
  url: string;
  nodes: number;
  clients: number;
  durationS: number;
  mode: 'steady' | 'hot';
  cluster: SideFigures;
  baseline?: SideFigures;
  /** cluster bookings/s ÷ baseline bookings/s, same run. */
  ratio?: number;
  flashSale?: FlashSale;
  series: SeriesPoint[];
  baselineSeries?: SeriesPoint[];
  /** What the cluster did meanwhile: elections run and NO_MASTER answers clients got. */
  stability: Stability;
}

export interface Stability {
  /** Epochs the cluster moved through during the run (each is one completed election). */
  elections: number;
  /** Elections the nodes started (completed or not), from their booking_elections_started_total. */
  electionsStarted: number | null;
  noMaster: number;
  masterBefore: number | null;
  masterAfter: number | null;
}

interface ClusterMoment {
  epoch: number;
  masterId: number | null;
  electionsStarted: number | null;
}

/** Epoch, master and elections started, as the nodes report them (loopback only). */
async function moment(state: ClusterState): Promise<ClusterMoment> {
  let epoch = 0;
  let masterId: number | null = null;
  let started: number | null = null;
  for (const n of state.nodes) {
    const status = await RpcClient.connect(n.rpcUrl, { connectTimeoutMs: 2000, callTimeoutMs: 2000 })
      .then(async (rpc) => {
        try {
          return await rpc.call('cluster.status', {});
        } finally {
          await rpc.close();
        }
      })
      .catch(() => null);
    if (status && status.epoch >= epoch) {
      epoch = status.epoch;
      masterId = status.masterId;
    }
    const metrics = await fetch(`${n.rpcUrl.replace(/^ws/, 'http').replace(/\/rpc$/, '')}/metrics`, {
      signal: AbortSignal.timeout(2000),
    })
      .then((r) => (r.ok ? r.text() : ''))
      .catch(() => '');
    const line = metrics.split('\n').find((l) => l.startsWith('booking_elections_started_total'));
    if (line) started = (started ?? 0) + Number(line.split(' ').at(-1));
  }
  return { epoch, masterId, electionsStarted: started };
}

function stabilityOf(before: ClusterMoment, after: ClusterMoment, errors: Record<string, number>): Stability {
  return {
    elections: Math.max(0, after.epoch - before.epoch),
    electionsStarted:
      before.electionsStarted === null || after.electionsStarted === null
        ? null
        : Math.max(0, after.electionsStarted - before.electionsStarted),
    noMaster: errors.NO_MASTER ?? 0,
    masterBefore: before.masterId,
    masterAfter: after.masterId,
  };
}

export type Progress = (step: string, detail?: string) => void;

/** ws://127.0.0.1:<port>/rpc for the cluster's public URL (always loopback). */
export function rpcUrlOf(state: ClusterState): string {
  return `ws://127.0.0.1:${state.nginx.port}/rpc`;
}

function figuresOf(r: LoadResult): SideFigures {
  return {
    bookings: r.bookings,
    cancels: r.otherWrites,
    seconds: Math.round(r.seconds * 100) / 100,
    bookingsPerSec: Math.round(r.bookingsPerSec),
    writesPerSec: Math.round(r.writesPerSec),
    latencyMs: r.latency,
    errors: r.errors,
  };
}

/** Future shows with their available seats, read through the cluster. */
async function clusterShows(rpc: RpcClient, minStartMs: number): Promise<ShowSeats[]> {
  const shows = (await rpc.call('catalog.shows', {})).filter(
    (s) => Date.parse(s.startsAt) > minStartMs && s.seatsAvailable > 0,
  );
  const out: ShowSeats[] = [];
  for (const s of shows) {
    const map = await rpc.call('seats.map', { showId: s.id });
    out.push({
      showId: s.id,
      seatIds: map.rows.flatMap((r) => r.seats.filter((x) => x.status === 'available').map((x) => x.id)),
    });
  }
  return out;
}

interface Side {
  book(client: number, pair: SeatPair): Promise<string>;
  cancel(client: number, code: string): Promise<void>;
}

async function steady(side: Side, shows: ShowSeats[], o: BenchOptions): Promise<LoadResult[]> {
  const hands = deal(seatPairs(shows, o.seed), o.clients);
  const plans = hands.map((h) => new ClientPlan(h, o.keep ?? 4));
  const op = async (client: number): Promise<OpKind | null> => {
    const step = plans[client]!.next();
    if (step === null) return null;
    if (step.kind === 'cancel') {
      await side.cancel(client, step.code);
      return 'other';
    }
    plans[client]!.booked(await side.book(client, step.pair), step.pair);
    return 'book';
  };
  const warm = await closedLoop({ clients: o.clients, durationMs: o.warmupMs ?? 1000, op });
  const run = await closedLoop({ clients: o.clients, durationMs: o.durationMs, op });
  return [warm, run];
}

const customerOf = (client: number) => ({
  name: `Bench client ${client}`,
  email: `bench${client}@example.org`,
});

/**
 * Every bench client comes from 127.0.0.1, so Nginx's per-address caps (limits.ts) count them all
 * as one stranger: above the cap they are refused with HTTP 429. Say so, and how to raise the caps,
 * rather than show the first refusal; and close the sockets that did open.
 */
async function connectClients(url: string, clients: number): Promise<RpcClient[]> {
  const settled = await Promise.allSettled(
    Array.from({ length: clients }, () => RpcClient.connect(url, { callTimeoutMs: 10_000 })),
  );
  const open = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failures = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
  if (failures.length === 0) return open;
  await Promise.all(open.map((c) => c.close()));
  const refused = failures.filter((e) => /HTTP 429/.test(e.message)).length;
  if (refused === 0) throw failures[0];
  const limits = processLimits();
  throw new CliError(
    `${refused} of ${clients} bench clients were refused with HTTP 429: Nginx caps the sockets (${limits.NGINX_CONNECTIONS_PER_ADDRESS}) and new connections (a burst of ${limits.NGINX_RPC_REQUEST_BURST}) of one client address, and every bench client comes from 127.0.0.1`,
    `Use --clients ${Math.min(limits.NGINX_CONNECTIONS_PER_ADDRESS, limits.RPC_MAX_CONNECTIONS_PER_ADDRESS)} or fewer, or restart the cluster with higher caps, e.g. BOOKING_LIMIT_NGINX_CONNECTIONS_PER_ADDRESS=${clients * 2} BOOKING_LIMIT_RPC_MAX_CONNECTIONS_PER_ADDRESS=${clients * 2} BOOKING_LIMIT_NGINX_RPC_REQUEST_BURST=${clients * 5} booking cluster start (docs/security.md lists the limits)`,
  );
}

export async function runBench(
  state: ClusterState,
  o: BenchOptions,
  progress: Progress,
): Promise<BenchResult> {
  const url = rpcUrlOf(state);
  progress('Connecting clients through Nginx', `${o.clients} × ${url}`);
  const conns = await connectClients(url, o.clients);
  try {
    const cluster: Side = {
      book: async (c, pair) =>
        (await conns[c]!.call('bookings.book', { ...pair, customer: customerOf(c) })).code,
      cancel: async (c, code) => {
        await conns[c]!.call('bookings.cancel', { code });
      },
    };
    progress('Reading shows and seat maps');
    const shows = await clusterShows(conns[0]!, Date.now() + 3600_000);
    const base = {
      url,
      nodes: state.nodes.length,
      clients: o.clients,
      durationS: o.durationMs / 1000,
    };
    const before = await moment(state);
    if (o.hot) {
      progress('Flash sale', `${o.clients} clients, one show`);
      const sale = await flashSale(conns, shows, o);
      return {
        ...base,
        mode: 'hot',
        ...sale,
        stability: stabilityOf(before, await moment(state), sale.cluster.errors),
      };
    }
    progress('Booking through Nginx', `${o.durationMs / 1000} s`);
    const [, run] = await steady(cluster, shows, o);
    const result: BenchResult = {
      ...base,
      mode: 'steady',
      cluster: figuresOf(run!),
      series: run!.series,
      stability: stabilityOf(before, await moment(state), run!.errors),
    };
    if (o.baseline) {
      progress('Same bookings straight against one MySQL', `${o.durationMs / 1000} s`);
      const mysql = await MysqlBaseline.open(o.baselineMysqlUrl, o.clients);
      try {
        const side: Side = {
          book: (c, pair) =>
            o.baselineRead ? mysql.bookWithRead(pair, customerOf(c)) : mysql.book(pair, customerOf(c)),
          cancel: (_c, code) => mysql.cancel(code),
        };
        const [, b] = await steady(side, mysql.shows(), o);
        result.baseline = figuresOf(b!);
        result.baselineSeries = b!.series;
        result.ratio =
          b!.bookingsPerSec > 0
            ? Math.round((run!.bookingsPerSec / b!.bookingsPerSec) * 100) / 100
            : undefined;
      } finally {
        await mysql.close();
      }
    }
    return result;
  } finally {
    await Promise.all(conns.map((c) => c.close()));
  }
}

async function flashSale(
  conns: RpcClient[],
  shows: ShowSeats[],
  o: BenchOptions,
): Promise<{ cluster: SideFigures; flashSale: FlashSale; series: SeriesPoint[] }> {
  const rpc = conns[0]!;
  const all = await rpc.call('catalog.shows', {});
  // A fresh show (nothing held or sold), the smallest such: few seats, many clients.
  const fresh = all
    .filter((s) => s.seatsAvailable === s.seatsTotal && shows.some((x) => x.showId === s.id))
    .sort((a, b) => a.seatsTotal - b.seatsTotal)[0];
  if (!fresh) throw new Error('no show without bookings is left for a flash sale: import a fresh catalog');
  const seatIds = shows.find((s) => s.showId === fresh.id)!.seatIds;
  const acked: Booking[] = [];
  // Each client knows only the initial map and what it is told: it tries random seats in its own
  // order, drops the ones it learns are taken, and stops when it believes none is left.
  const left = conns.map((_, c) => shuffle(seatIds, o.seed + c));
  const op = async (c: number): Promise<OpKind | null> => {
    const mine = left[c]!;
    if (mine.length === 0) return null;
    const want = mine.slice(0, 1 + (c % 2));
    try {
      const b = await conns[c]!.call('bookings.book', {
        showId: fresh.id,
        seatIds: want,
        customer: customerOf(c),
      });
      acked.push(b);
      mine.splice(0, want.length);
      return 'book';
    } catch (error) {
      const taken = (error as { data?: { seatIds?: string[] } }).data?.seatIds ?? want;
      for (const s of taken) {
        const at = mine.indexOf(s);
        if (at >= 0) mine.splice(at, 1);
      }
      throw error;
    }
  };
  const run = await closedLoop({ clients: conns.length, durationMs: Math.max(o.durationMs, 60_000), op });
  const counts = new Map<string, number>();
  for (const b of acked) for (const s of b.seatIds) counts.set(s, (counts.get(s) ?? 0) + 1);
  const map = await rpc.call('seats.map', { showId: fresh.id });
  const bookedOnMap = map.rows.flatMap((r) => r.seats).filter((s) => s.status === 'booked').length;
  const sold = [...counts.values()].reduce((a, b) => a + b, 0);
  const soldTwice = [...counts.values()].filter((n) => n > 1).length;
  return {
    cluster: figuresOf(run),
    series: run.series,
    flashSale: {
      showId: fresh.id,
      seatsTotal: fresh.seatsTotal,
      sold,
      soldTwice,
      bookedOnMap,
      bookings: acked.length,
      exact: sold === fresh.seatsTotal && soldTwice === 0 && bookedOnMap === sold,
    },
  };
}

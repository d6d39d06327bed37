/** Prometheus metrics of one node, on its own registry so several nodes can share a process in tests. */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export function createMetrics(nodeId: number) {
  const registry = new Registry();
  registry.setDefaultLabels({ node: String(nodeId) });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    rpcCalls: new Counter({
      name: 'booking_rpc_calls_total',
      help: 'JSON-RPC calls by method and outcome',
      labelNames: ['method', 'outcome'] as const,
      registers: [registry],
    }),
    rpcSeconds: new Histogram({
      name: 'booking_rpc_duration_seconds',
      help: 'JSON-RPC call latency',
      labelNames: ['method'] as const,
      buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    commitBatch: new Histogram({
      name: 'booking_commit_batch_entries',
      help: 'Log entries per group commit',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers: [registry],
    }),
    connections: new Gauge({
      name: 'booking_ws_connections',
      help: 'Open client WebSockets',
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: 'booking_rate_limited_total',
      help: 'Calls refused for flooding',
      registers: [registry],
    }),
    persistSeconds: new Histogram({
      name: 'booking_persist_seconds',
      help: 'Time to make one batch of log entries durable on this node',
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
    applyFailures: new Counter({
      name: 'booking_apply_failures_total',
      help: 'Failed attempts to write applied entries (retried; the database was unavailable)',
      registers: [registry],
    }),
    applyRejections: new Counter({
      name: 'booking_apply_rejections_total',
      help: 'Committed entries rejected when applied (an invariant violation: never expected)',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    invariantViolations: new Counter({
      name: 'booking_invariant_violations_total',
      help: 'Decisions the master found inconsistent with its own state (never expected)',
      registers: [registry],
    }),
    commitSeconds: new Histogram({
      name: 'booking_commit_seconds',
      help: 'From proposal to committed and applied on the master (the replication round trip of a write)',
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    forwardSeconds: new Histogram({
      name: 'booking_forward_seconds',
      help: 'Writes a slave forwarded to the master, until the answer came back',
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    snapshotInstalls: new Counter({
      name: 'booking_snapshot_installs_total',
      help: 'Snapshots from the master installed here, by outcome (ok, refused: it would not move this node forward, failed)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    snapshotSends: new Counter({
      name: 'booking_snapshot_sends_total',
      help: 'Snapshot transfers this master ran to slaves that needed compacted entries, by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    electionsStarted: new Counter({
      name: 'booking_elections_started_total',
      help: 'Elections this node started',
      registers: [registry],
    }),
    /** Event-loop delay: what starves heartbeats and timers under load. */
    observeEventLoop(): () => void {
      const h = monitorEventLoopDelay({ resolution: 10 });
      h.enable();
      new Gauge({
        name: 'booking_event_loop_lag_seconds',
        help: 'Event-loop delay since the last scrape, by quantile',
        labelNames: ['quantile'] as const,
        registers: [registry],
        collect() {
          this.set({ quantile: '0.5' }, h.percentile(50) / 1e9);
          this.set({ quantile: '0.99' }, h.percentile(99) / 1e9);
          this.set({ quantile: '1' }, h.max / 1e9);
          h.reset();
        },
      });
      return () => h.disable();
    },
    /** Gauges read from the log when scraped. */
    observeLog(read: () => LogFigures): void {
      const gauge = (name: string, help: string, value: (f: LogFigures) => number) =>
        new Gauge({
          name,
          help,
          registers: [registry],
          collect() {
            this.set(value(read()));
          },
        });
      gauge('booking_applied_index', 'Last applied log index', (f) => f.appliedIndex);
      gauge('booking_commit_index', 'Last committed log index known here', (f) => f.commitIndex);
      gauge(
        'booking_apply_lag_entries',
        'Committed entries not applied yet',
        (f) => f.commitIndex - f.appliedIndex,
      );
      gauge('booking_apply_failing', '1 while writing applied entries keeps failing', (f) =>
        f.applyFailing ? 1 : 0,
      );
      gauge('booking_entries_in_flight', 'Entries in the log not committed yet', (f) =>
        Math.max(0, f.lastIndex - f.commitIndex),
      );
      gauge('booking_log_retained_entries', 'Log entries kept in memory', (f) => f.retained);
      gauge('booking_log_first_index', 'First log index kept (1 until compaction)', (f) => f.firstIndex);
      gauge(
        'booking_snapshot_index',
        'Index the log was last compacted to or a snapshot installed at (0: none yet)',
        (f) => f.snapshotIndex,
      );
      gauge('booking_read_waiters', 'Readers waiting for an index to be applied', (f) => f.readWaiters);
      gauge(
        'booking_rejected_entries',
        'Entries rejected by the state machine since start',
        (f) => f.rejected,
      );
    },
  };
}

export interface LogFigures {
  appliedIndex: number;
  commitIndex: number;
  lastIndex: number;
  /** Entries of the log held in memory (after the snapshot point). */
  retained: number;
  firstIndex: number;
  snapshotIndex: number;
  readWaiters: number;
  rejected: number;
  applyFailing: boolean;
}

export type Metrics = ReturnType<typeof createMetrics>;

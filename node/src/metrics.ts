/** Prometheus metrics of one node, on its own registry so several nodes can share a process in tests. */
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
    appliedIndex: new Gauge({
      name: 'booking_applied_index',
      help: 'Last applied log index',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

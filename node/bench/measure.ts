/** Closed-loop load: `clients` workers each run `op` back to back until the deadline or the work runs out. */
export interface LoadResult {
  ok: number;
  errors: Record<string, number>;
  seconds: number;
  latenciesMs: number[];
}

export async function closedLoop<W>(
  clients: number,
  durationMs: number,
  work: W[],
  op: (client: number, item: W) => Promise<void>,
): Promise<LoadResult> {
  const latenciesMs: number[] = [];
  const errors: Record<string, number> = {};
  let next = 0;
  let ok = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      while (performance.now() < deadline && next < work.length) {
        const item = work[next++]!;
        const t0 = performance.now();
        try {
          await op(client, item);
          latenciesMs.push(performance.now() - t0);
          ok++;
        } catch (error) {
          const reason = (error as { reason?: string; message?: string }).reason ?? (error as Error).message;
          errors[reason] = (errors[reason] ?? 0) + 1;
        }
      }
    }),
  );
  return { ok, errors, seconds: (performance.now() - started) / 1000, latenciesMs };
}

export function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return Number.NaN;
  return sortedMs[Math.min(sortedMs.length - 1, Math.floor((p / 100) * sortedMs.length))]!;
}

export interface Figures {
  bookings: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: Record<string, number>;
}

export function figures(result: LoadResult): Figures {
  const sorted = [...result.latenciesMs].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    bookings: result.ok,
    perSecond: Math.round(result.ok / result.seconds),
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    errors: result.errors,
  };
}

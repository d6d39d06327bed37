/** Durations on the command line: `300000`, `500ms`, `30s`, `5m`, `1h` (a bare number is milliseconds). */
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!match) throw new Error(`"${text}" is not a duration (examples: 300000, 30s, 5m, 1h)`);
  const ms = Math.round(Number(match[1]) * UNITS[match[2] ?? 'ms']!);
  if (!Number.isSafeInteger(ms) || ms < 1) throw new Error(`"${text}" is not a positive duration`);
  return ms;
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

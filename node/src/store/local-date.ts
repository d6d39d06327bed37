/** The local calendar date of an ISO time with offset, as the theater sees it: `2026-11-24T23:30:00+01:00` → 2026-11-24. */
export function localDateOf(iso: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T/.exec(iso);
  if (!match) throw new Error(`not an ISO date-time: ${iso}`);
  return match[1]!;
}

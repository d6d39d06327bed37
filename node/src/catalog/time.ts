/**
 * Wall-clock helpers for theater time zones, on top of Intl only (no tz library): upstream
 * showtimes are local `YYYY-MM-DD` + `HH:MM`, our model wants ISO-8601 with the offset that was
 * in force at that moment, which changes twice a year.
 */

const DATE_RE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const TIME_RE = /^([01]\d|2[0-3]):[0-5]\d$/;
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

export function isLocalDate(s: string): boolean {
  if (!DATE_RE.test(s)) return false;
  // Rejects 2026-02-30 and friends, which the regex lets through.
  return new Date(`${s}T00:00:00Z`).toISOString().slice(0, 10) === s;
}

export function isLocalTime(s: string): boolean {
  return TIME_RE.test(s);
}

export function isIsoWithOffset(s: string): boolean {
  return ISO_RE.test(s) && !Number.isNaN(Date.parse(s));
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallAt(ms: number, timeZone: string): Wall {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(ms)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts['year'] ?? 0,
    month: parts['month'] ?? 0,
    day: parts['day'] ?? 0,
    hour: parts['hour'] ?? 0,
    minute: parts['minute'] ?? 0,
    second: parts['second'] ?? 0,
  };
}

/** Minutes east of UTC in force in `timeZone` at instant `ms`. */
export function offsetMinutesAt(ms: number, timeZone: string): number {
  const w = wallAt(ms, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60_000);
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** The instant as ISO-8601 in the zone's wall time with its offset, e.g. `2026-11-24T19:30:00+01:00`. */
export function formatInZone(ms: number, timeZone: string): string {
  const w = wallAt(ms, timeZone);
  return (
    `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}` +
    formatOffset(offsetMinutesAt(ms, timeZone))
  );
}

/**
 * The instant of a local wall time. Around DST changes this follows Temporal's `compatible`
 * disambiguation: a time repeated in autumn takes the earlier instant, a time skipped in spring
 * is moved forward by the gap (02:30 becomes 03:30).
 */
export function zonedToInstant(date: string, time: string, timeZone: string): number {
  if (!isLocalDate(date)) throw new RangeError(`invalid date ${JSON.stringify(date)}`);
  if (!isLocalTime(time)) throw new RangeError(`invalid time ${JSON.stringify(time)}`);
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number];
  const [h, mi] = time.split(':').map(Number) as [number, number];
  const wall = Date.UTC(y, mo - 1, d, h, mi);
  // Offsets half a day either side bracket any single transition near this wall time.
  const before = offsetMinutesAt(wall - 12 * 3_600_000, timeZone);
  const after = offsetMinutesAt(wall + 12 * 3_600_000, timeZone);
  for (const off of before >= after ? [before, after] : [after, before]) {
    const ms = wall - off * 60_000;
    if (offsetMinutesAt(ms, timeZone) === off) return ms;
  }
  return wall - before * 60_000;
}

/** `date` + `time` in `timeZone` as ISO-8601 with offset. */
export function zonedIso(date: string, time: string, timeZone: string): string {
  return formatInZone(zonedToInstant(date, time, timeZone), timeZone);
}

/** The calendar date (`YYYY-MM-DD`) in `timeZone` at instant `at`. */
export function localDate(at: Date | number | string, timeZone: string): string {
  const ms = typeof at === 'number' ? at : new Date(at).getTime();
  if (Number.isNaN(ms)) throw new RangeError(`invalid instant ${String(at)}`);
  const w = wallAt(ms, timeZone);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`;
}

/** The wall-clock `HH:MM` in `timeZone` at instant `at`. */
export function localTime(at: Date | number | string, timeZone: string): string {
  const ms = typeof at === 'number' ? at : new Date(at).getTime();
  const w = wallAt(ms, timeZone);
  return `${pad(w.hour)}:${pad(w.minute)}`;
}

export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** Whole calendar days from `from` to `to` (both `YYYY-MM-DD`). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

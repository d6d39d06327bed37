/**
 * Node log lines as the drivers hand them over (`n<id> | <raw line>`), parsed and pretty-printed.
 * Nodes log pino JSON; anything else (a crash trace, nginx) is shown as it is.
 */
export interface LogLine {
  nodeId: number | null;
  /** The pino record with `nodeId` added, or `{nodeId, msg}` for a plain text line. */
  record: Record<string, unknown>;
  text: string;
}

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'node', 'nodeId']);

export function parseLogLine(raw: string): LogLine {
  const match = /^n(\d+) \| (.*)$/s.exec(raw);
  const nodeId = match ? Number(match[1]) : null;
  const text = match ? match[2]! : raw;
  let record: Record<string, unknown>;
  try {
    const parsed = JSON.parse(text) as unknown;
    record =
      parsed && typeof parsed === 'object' && !Array.isArray(parsed)
        ? { nodeId, ...(parsed as Record<string, unknown>) }
        : { nodeId, msg: text };
  } catch {
    record = { nodeId, msg: text };
  }
  return { nodeId, record, text };
}

function clock(time: unknown): string {
  if (typeof time !== 'number') return '';
  return new Date(time).toISOString().slice(11, 23);
}

export function formatLogLine(line: LogLine): string {
  const r = line.record;
  const prefix = line.nodeId === null ? '' : `n${line.nodeId} `;
  if (typeof r.level !== 'number') return `${prefix}${line.text}`;
  const extra = Object.entries(r)
    .filter(([key]) => !HIDDEN.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
    .join(' ');
  const level = (LEVELS[r.level] ?? String(r.level)).padEnd(5);
  return `${prefix}${clock(r.time)} ${level} ${String(r.msg ?? '')}${extra ? `  ${extra}` : ''}`;
}

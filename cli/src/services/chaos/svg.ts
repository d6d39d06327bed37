/**
 * Small, dependency-free SVG charts for the chaos and bench reports: a line chart with vertical
 * markers (faults) and horizontal reference lines (targets), a bar chart, and a Lamport
 * space-time diagram. Output is a standalone `<svg>` string, usable inline in HTML or as a file.
 */
import type { ClusterEvent } from '@booking/node/protocol';

export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const fmt = (n: number): string => {
  if (!Number.isFinite(n)) return '–';
  const a = Math.abs(n);
  if (a >= 10_000) return `${Math.round(n / 1000)}k`;
  if (a >= 1000) return `${(n / 1000).toFixed(1)}k`;
  if (Number.isInteger(n)) return String(n);
  if (a >= 100) return String(Math.round(n));
  return String(Number(n.toFixed(1)));
};

/** 0, and a few round ticks up to at least max. */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = 0; v < max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

export interface LineSeries {
  name: string;
  color: string;
  /** [x, y]; NaN y breaks the line. */
  points: [number, number][];
  dashed?: boolean;
}

export interface Marker {
  x: number;
  color: string;
  label: string;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  markers?: Marker[];
  hlines?: { y: number; color: string; label: string }[];
  width?: number;
  height?: number;
  /** x values are ms; ticks are shown in seconds. */
  xIsMs?: boolean;
}

const M = { top: 46, right: 20, bottom: 44, left: 58 };

function frame(width: number, height: number, title: string, body: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="system-ui, sans-serif" font-size="11">` +
    `<rect width="${width}" height="${height}" fill="#fff"/>` +
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="13" font-weight="600">${esc(title)}</text>` +
    body +
    '</svg>'
  );
}

export function lineChart(o: LineChartOptions): string {
  const width = o.width ?? 760;
  const height = o.height ?? 260;
  const w = width - M.left - M.right;
  const h = height - M.top - M.bottom;
  const xs = o.series.flatMap((s) => s.points.map((p) => p[0])).concat((o.markers ?? []).map((m) => m.x));
  const ys = o.series
    .flatMap((s) => s.points.map((p) => p[1]))
    .concat((o.hlines ?? []).map((l) => l.y))
    .filter(Number.isFinite);
  const xMax = Math.max(1, ...xs);
  const yTicks = niceTicks(Math.max(0, ...ys));
  const yMax = yTicks.at(-1)!;
  const X = (x: number) => M.left + (x / xMax) * w;
  const Y = (y: number) => M.top + h - (y / yMax) * h;
  let body = '';
  for (const t of yTicks) {
    body += `<line x1="${M.left}" x2="${M.left + w}" y1="${Y(t)}" y2="${Y(t)}" stroke="#eee"/>`;
    body += `<text x="${M.left - 6}" y="${Y(t) + 4}" text-anchor="end" fill="#555">${fmt(t)}</text>`;
  }
  for (const t of niceTicks(o.xIsMs ? xMax / 1000 : xMax, 8)) {
    const x = X(o.xIsMs ? t * 1000 : t);
    if (x > M.left + w + 1) continue;
    body += `<text x="${x}" y="${M.top + h + 16}" text-anchor="middle" fill="#555">${fmt(t)}</text>`;
  }
  body += `<line x1="${M.left}" x2="${M.left + w}" y1="${M.top + h}" y2="${M.top + h}" stroke="#999"/>`;
  body += `<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + h}" stroke="#999"/>`;
  body += `<text x="${M.left + w / 2}" y="${height - 8}" text-anchor="middle">${esc(o.xLabel)}</text>`;
  body += `<text transform="translate(14 ${M.top + h / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`;
  for (const m of o.markers ?? []) {
    body += `<line x1="${X(m.x)}" x2="${X(m.x)}" y1="${M.top}" y2="${M.top + h}" stroke="${m.color}" stroke-opacity="0.55"><title>${esc(m.label)}</title></line>`;
  }
  for (const l of o.hlines ?? []) {
    body += `<line x1="${M.left}" x2="${M.left + w}" y1="${Y(l.y)}" y2="${Y(l.y)}" stroke="${l.color}" stroke-dasharray="6 3"/>`;
    body += `<text x="${M.left + w - 4}" y="${Y(l.y) - 4}" text-anchor="end" fill="${l.color}">${esc(l.label)}</text>`;
  }
  for (const s of o.series) {
    let d = '';
    let pen = false;
    for (const [x, y] of s.points) {
      if (!Number.isFinite(y)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${X(x).toFixed(1)} ${Y(y).toFixed(1)}`;
      pen = true;
    }
    body += `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"${s.dashed ? ' stroke-dasharray="4 3"' : ''}/>`;
  }
  // Legend: series, then the marker kinds.
  const legend: { name: string; color: string }[] = o.series.map((s) => ({ name: s.name, color: s.color }));
  for (const m of o.markers ?? [])
    if (!legend.some((l) => l.name === m.label.split(' ')[0]))
      legend.push({ name: m.label.split(' ')[0]!, color: m.color });
  legend.forEach((l, i) => {
    const x = M.left + 8 + i * 110;
    body += `<rect x="${x}" y="${M.top - 16}" width="10" height="3" fill="${l.color}"/>`;
    body += `<text x="${x + 14}" y="${M.top - 12}">${esc(l.name)}</text>`;
  });
  return frame(width, height, o.title, body);
}

export interface BarChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  bars: { label: string; value: number | null; color?: string }[];
  hlines?: { y: number; color: string; label: string }[];
  width?: number;
  height?: number;
}

export function barChart(o: BarChartOptions): string {
  const width = o.width ?? 760;
  const height = o.height ?? 260;
  const w = width - M.left - M.right;
  const h = height - M.top - M.bottom;
  const values = o.bars.flatMap((b) => (b.value === null ? [] : [b.value]));
  const yTicks = niceTicks(Math.max(0, ...values, ...(o.hlines ?? []).map((l) => l.y)));
  const yMax = yTicks.at(-1)!;
  const Y = (y: number) => M.top + h - (y / yMax) * h;
  const slot = Math.min(60, w / Math.max(1, o.bars.length));
  let body = '';
  for (const t of yTicks) {
    body += `<line x1="${M.left}" x2="${M.left + w}" y1="${Y(t)}" y2="${Y(t)}" stroke="#eee"/>`;
    body += `<text x="${M.left - 6}" y="${Y(t) + 4}" text-anchor="end" fill="#555">${fmt(t)}</text>`;
  }
  o.bars.forEach((b, i) => {
    const x = M.left + i * slot + slot * 0.15;
    if (b.value === null) {
      body += `<text x="${x + slot * 0.35}" y="${M.top + h - 4}" text-anchor="middle" fill="#c00">✗<title>${esc(b.label)}: none</title></text>`;
    } else {
      body += `<rect x="${x.toFixed(1)}" y="${Y(b.value).toFixed(1)}" width="${(slot * 0.7).toFixed(1)}" height="${(M.top + h - Y(b.value)).toFixed(1)}" fill="${b.color ?? '#4a7fd4'}"><title>${esc(b.label)}: ${fmt(b.value)}</title></rect>`;
    }
    const every = Math.ceil(o.bars.length / 30);
    if (i % every === 0)
      body += `<text x="${x + slot * 0.35}" y="${M.top + h + 14}" text-anchor="middle" fill="#555">${esc(b.label)}</text>`;
  });
  for (const l of o.hlines ?? []) {
    body += `<line x1="${M.left}" x2="${M.left + w}" y1="${Y(l.y)}" y2="${Y(l.y)}" stroke="${l.color}" stroke-dasharray="6 3"/>`;
    body += `<text x="${M.left + w - 4}" y="${Y(l.y) - 4}" text-anchor="end" fill="${l.color}">${esc(l.label)}</text>`;
  }
  body += `<line x1="${M.left}" x2="${M.left + w}" y1="${M.top + h}" y2="${M.top + h}" stroke="#999"/>`;
  body += `<text x="${M.left + w / 2}" y="${height - 8}" text-anchor="middle">${esc(o.xLabel)}</text>`;
  body += `<text transform="translate(14 ${M.top + h / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`;
  return frame(width, height, o.title, body);
}

/**
 * The events of the last election, from the first `election-started` after the master before
 * it to just before the next election. Empty when the events hold no election.
 */
export function lastElection(events: readonly ClusterEvent[], limit = 60): ClusterEvent[] {
  const sorted = [...events].sort((a, b) => a.lamport - b.lamport || a.nodeId - b.nodeId);
  const masters = sorted.map((e, i) => (e.type === 'became-master' ? i : -1)).filter((i) => i >= 0);
  const last = masters.at(-1);
  if (last === undefined) return [];
  const previous = masters.at(-2) ?? -1;
  let start = sorted.findIndex((e, i) => i > previous && i <= last && e.type === 'election-started');
  if (start < 0) start = previous + 1;
  let end = sorted.findIndex((e, i) => i > last && e.type === 'election-started');
  if (end < 0) end = sorted.length;
  return sorted.slice(start, Math.min(end, start + limit));
}

const eventColor: Record<string, string> = {
  'election-started': '#e08a00',
  'became-candidate': '#c4a000',
  'became-master': '#2a9d2a',
  'became-slave': '#4a7fd4',
  'stepped-down': '#c02020',
  'view-change-done': '#2a9d2a',
  'catch-up-started': '#888',
  'catch-up-finished': '#555',
};

/**
 * A Lamport space-time diagram: one lane per node, events placed by Lamport time. Arrows show
 * the causal link the events imply: a node that became slave of M heard M's coordinator message,
 * so an arrow runs from M's last election event before it.
 */
export function spaceTime(events: readonly ClusterEvent[], title = 'Last election (Lamport time)'): string {
  const width = 760;
  const nodes = [...new Set(events.map((e) => e.nodeId))].sort((a, b) => a - b);
  const height = Math.max(140, 70 + nodes.length * 56);
  if (events.length === 0)
    return frame(
      width,
      80,
      title,
      `<text x="20" y="50" fill="#555">No election in the recorded events.</text>`,
    );
  const sorted = [...events].sort((a, b) => a.lamport - b.lamport || a.nodeId - b.nodeId);
  const lanes = new Map(nodes.map((n, i) => [n, 50 + i * 56]));
  // Lamport times are sparse: place events by rank so close times stay readable, label with the time.
  const ranks = [...new Set(sorted.map((e) => e.lamport))];
  // Room for the first and last labels, which are centred on their dots.
  const left = 100;
  const right = width - 70;
  const X = (lamport: number) =>
    ranks.length === 1
      ? (left + right) / 2
      : left + (ranks.indexOf(lamport) / (ranks.length - 1)) * (right - left);
  let body =
    '<defs><marker id="arr" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto"><path d="M0 0L8 4L0 8z" fill="#777"/></marker></defs>';
  for (const [n, y] of lanes) {
    body += `<line x1="${left - 10}" x2="${right + 10}" y1="${y}" y2="${y}" stroke="#bbb"/>`;
    body += `<text x="10" y="${y + 4}" font-weight="600">n${n}</text>`;
  }
  for (const e of sorted) {
    if (e.type !== 'became-slave') continue;
    const masterId = Number((e.detail as { masterId?: unknown }).masterId);
    const from = sorted
      .filter(
        (x) =>
          x.nodeId === masterId &&
          x.lamport < e.lamport &&
          (x.type === 'became-candidate' || x.type === 'became-master' || x.type === 'election-started'),
      )
      .at(-1);
    const y1 = lanes.get(masterId);
    const y2 = lanes.get(e.nodeId);
    if (!from || y1 === undefined || y2 === undefined) continue;
    body += `<line x1="${X(from.lamport)}" y1="${y1}" x2="${X(e.lamport)}" y2="${y2 + (y2 > y1 ? -6 : 6)}" stroke="#777" marker-end="url(#arr)"/>`;
  }
  sorted.forEach((e, i) => {
    const x = X(e.lamport);
    const y = lanes.get(e.nodeId)!;
    const up = i % 2 === 0;
    body += `<circle cx="${x}" cy="${y}" r="5" fill="${eventColor[e.type] ?? '#333'}"><title>${esc(`n${e.nodeId} L${e.lamport} ${e.type} ${e.at} ${JSON.stringify(e.detail)}`)}</title></circle>`;
    body += `<text x="${x}" y="${up ? y - 10 : y + 18}" text-anchor="middle" font-size="9" fill="#333">${esc(e.type)} L${e.lamport}</text>`;
  });
  return frame(width, height, title, body);
}

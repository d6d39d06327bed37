/**
 * The report folder of a chaos (or bench) run: `index.html` with the verdict, the key figures
 * next to their targets, and inline SVG charts; each chart also as its own `.svg` file so the
 * docs can embed it. `renderReport` is pure; `writeReport` only writes its output.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterEvent } from '@booking/node/protocol';
import type { SeriesPoint } from '../bench/series.js';
import type { Anomaly, VerdictKind } from '../checker/check.js';
import type { FaultRecord } from '../checker/history.js';
import type { Failover } from './analysis.js';
import { barChart, esc, lastElection, lineChart, type Marker, spaceTime } from './svg.js';

export interface Figure {
  label: string;
  value: string;
  target?: string;
  /** Whether the value meets the target; undefined when there is none. */
  met?: boolean;
}

export interface ReportInput {
  title: string;
  generatedAt: string;
  verdict?: { verdict: VerdictKind; anomalies: Anomaly[]; unknown: string[] };
  figures: Figure[];
  series: SeriesPoint[];
  faults: FaultRecord[];
  failovers: Failover[];
  events: ClusterEvent[];
  schedule?: string[];
  /** Extra lines shown under the title (command line, machine). */
  notes?: string[];
}

const faultColor: Record<string, string> = {
  kill: '#d62728',
  pause: '#ff7f0e',
  resume: '#9467bd',
  revive: '#2ca02c',
  partition: '#8c564b',
  heal: '#17becf',
};

export function faultMarkers(faults: readonly FaultRecord[]): Marker[] {
  return faults.map((f) => ({
    x: f.time,
    color: faultColor[f.kind] ?? '#333',
    label: `${f.kind} n${f.node ?? '*'}${f.wasMaster ? ' (master)' : ''} at ${(f.time / 1000).toFixed(2)}s`,
  }));
}

export interface RenderedReport {
  html: string;
  /** file name → SVG */
  charts: Record<string, string>;
}

export function renderReport(r: ReportInput): RenderedReport {
  const markers = faultMarkers(r.faults);
  const charts: Record<string, string> = {};
  if (r.series.length > 0) {
    charts['throughput.svg'] = lineChart({
      title: 'Throughput (acknowledged writes/s), faults marked',
      xLabel: 'run time (s)',
      yLabel: 'ops/s',
      xIsMs: true,
      series: [
        { name: 'ok/s', color: '#1f77b4', points: r.series.map((p) => [p.t, p.okPerSec]) },
        {
          name: 'errors/s',
          color: '#d62728',
          dashed: true,
          points: r.series.map((p) => [p.t, p.errorsPerSec]),
        },
      ],
      markers,
    });
    charts['latency.svg'] = lineChart({
      title: 'Latency of acknowledged writes, faults marked',
      xLabel: 'run time (s)',
      yLabel: 'ms',
      xIsMs: true,
      series: [
        { name: 'p50', color: '#1f77b4', points: r.series.map((p) => [p.t, p.p50]) },
        { name: 'p99', color: '#9467bd', points: r.series.map((p) => [p.t, p.p99]) },
      ],
      markers,
    });
  }
  if (r.failovers.length > 0) {
    charts['failovers.svg'] = barChart({
      title: 'Failover: fault on the master → first acknowledged booking sent after it',
      xLabel: 'failover #',
      yLabel: 'ms',
      bars: r.failovers.map((f, i) => ({
        label: String(i + 1),
        value: f.ms,
        color: faultColor[f.kind] ?? '#333',
      })),
      hlines: [
        { y: 500, color: '#2a9d2a', label: 'median target 500 ms' },
        { y: 1500, color: '#c02020', label: 'worst target 1.5 s' },
      ],
    });
  }
  const election = lastElection(r.events);
  if (r.events.length > 0) charts['election.svg'] = spaceTime(election);

  const v = r.verdict;
  const verdictHtml = v
    ? `<p class="verdict ${v.verdict}">Verdict: <strong>${v.verdict.toUpperCase()}</strong></p>` +
      (v.anomalies.length > 0
        ? `<h2>Anomalies (${v.anomalies.length})</h2>` +
          v.anomalies
            .slice(0, 50)
            .map(
              (a) =>
                `<details><summary><code>${esc(a.kind)}</code> ${esc(a.message)}</summary><pre>${esc(JSON.stringify({ ops: a.ops, nodes: a.nodes }, null, 1))}</pre></details>`,
            )
            .join('')
        : '') +
      (v.unknown.length > 0
        ? `<h2>Could not decide</h2><ul>${v.unknown.map((u) => `<li>${esc(u)}</li>`).join('')}</ul>`
        : '')
    : '';
  const figures =
    r.figures.length === 0
      ? ''
      : `<table><tr><th>figure</th><th>measured</th><th>target</th><th></th></tr>${r.figures
          .map(
            (f) =>
              `<tr><td>${esc(f.label)}</td><td>${esc(f.value)}</td><td>${esc(f.target ?? '')}</td><td>${f.met === undefined ? '' : f.met ? '✓' : '✗ not met'}</td></tr>`,
          )
          .join('')}</table>`;
  const chartHtml = Object.values(charts)
    .map((svg) => `<figure>${svg}</figure>`)
    .join('\n');
  const schedule = r.schedule?.length
    ? `<details><summary>Fault schedule (${r.schedule.length} steps)</summary><pre>${esc(r.schedule.join('\n'))}</pre></details>`
    : '';
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(r.title)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:820px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left}
.verdict.valid strong{color:#2a9d2a}.verdict.invalid strong{color:#c02020}.verdict.unknown strong{color:#e08a00}
figure{margin:1.2em 0}pre{background:#f6f6f6;padding:8px;overflow:auto;font-size:11px}
</style></head><body>
<h1>${esc(r.title)}</h1>
<p>${esc(r.generatedAt)}${(r.notes ?? []).map((n) => `<br>${esc(n)}`).join('')}</p>
${verdictHtml}
${figures}
${chartHtml}
${schedule}
</body></html>
`;
  return { html, charts };
}

/** Writes index.html and the charts into `dir` (created if missing). Returns the index path. */
export async function writeReport(dir: string, r: ReportInput): Promise<string> {
  const { html, charts } = renderReport(r);
  await mkdir(dir, { recursive: true });
  await Promise.all(Object.entries(charts).map(([name, svg]) => writeFile(join(dir, name), svg)));
  const index = join(dir, 'index.html');
  await writeFile(index, html);
  return index;
}

/** Human output: plain-text tables and one-line summaries (no colour in the data, so it pipes well). */
import { ux } from '@oclif/core';
import type { StatusView } from '../services/observe.js';

export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [ux.colorize('bold', line(headers)), ...rows.map(line)].join('\n');
}

export function renderStatus(view: StatusView): string {
  const master = view.masterId === null ? ux.colorize('yellow', 'no master') : `master n${view.masterId}`;
  const head = `Cluster ${view.name} (${view.driver}) · ${view.url} · ${master} · epoch ${view.epoch}`;
  const rows = view.nodes.map((n) => [
    `n${n.id}`,
    n.role,
    n.alive ? 'yes' : 'no',
    n.commitIndex === null ? '-' : String(n.commitIndex),
    n.appliedIndex === null
      ? '-'
      : n.commitIndex !== null && n.appliedIndex < n.commitIndex
        ? ux.colorize('yellow', `${n.appliedIndex} (${n.commitIndex - n.appliedIndex} behind)`)
        : String(n.appliedIndex),
    n.lamport === null ? '-' : String(n.lamport),
    n.rpcUrl,
  ]);
  const stuck = view.nodes
    .filter((n) => n.applyError)
    .map((n) => `\n${ux.colorize('red', `n${n.id} cannot apply: ${n.applyError}`)}`)
    .join('');
  return `${head}\n${table(['NODE', 'ROLE', 'ALIVE', 'COMMIT', 'APPLIED', 'LAMPORT', 'RPC'], rows)}${stuck}`;
}

import path from 'node:path';
import { Flags } from '@oclif/core';
import { BaseCommand, nameFlag } from '../base-command.js';
import { type ChaosResult, runChaos } from '../services/chaos/run.js';
import { parseFaults } from '../services/chaos/schedule.js';
import { openCluster } from '../services/cluster.js';
import { parseDuration } from '../services/duration.js';
import { stateDir } from '../services/paths.js';

/** Exit codes of `booking chaos`: the verdict. */
export const verdictExitCodes = { valid: 0, invalid: 1, unknown: 2 } as const;

export default class Chaos extends BaseCommand<typeof Chaos> {
  static override summary = 'Load plus faults: record the history, check it, print the verdict.';
  static override description =
    'Concurrent clients book, confirm holds, cancel, read and retry through Nginx while a seeded schedule ' +
    'kills, pauses, resumes and revives nodes (the master most often), and with --faults partition on the ' +
    'docker driver cuts nodes off the cluster network and heals them. Afterwards every node is healed, the ' +
    'final state of every node is read and the history is checked: no acknowledged booking lost or changed, ' +
    'no seat sold twice, no booking nobody asked for, one booking per idempotency key, no expired hold ' +
    'confirmed. Writes history.jsonl, verdict.json and a report (HTML, SVG) under .booking/<name>/chaos/. ' +
    'Exit code: 0 valid, 1 invalid, 2 unknown. The same --seed replays the same fault schedule.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --duration 10m --interval 2s --seed 42',
    '<%= config.bin %> <%= command.id %> --faults kill,revive --json | jq .verdict',
    '<%= config.bin %> <%= command.id %> --faults kill,pause,revive,partition   # docker driver',
  ];
  static override flags = {
    name: nameFlag,
    duration: Flags.string({
      summary: 'Length of the run (e.g. 60s, 10m).',
      default: '60s',
      parse: async (v) => String(parseDuration(v)),
    }),
    faults: Flags.string({
      summary:
        'Faults to inject: kill, pause (with its resume), revive (restart killed nodes), partition (cut a node off the network, then heal it; docker driver).',
      default: 'kill,pause,revive',
      parse: async (v) => parseFaults(v).join(','),
    }),
    interval: Flags.string({
      summary: 'Mean time between two faults (jittered ±30 %).',
      default: '2.5s',
      parse: async (v) => String(parseDuration(v)),
    }),
    seed: Flags.integer({ summary: 'Seed of the fault schedule and the clients’ choices.', default: 1 }),
    clients: Flags.integer({ summary: 'Concurrent clients.', default: 6, min: 1, max: 256 }),
    out: Flags.string({
      summary: 'Folder for history, verdict and report (default .booking/<name>/chaos/<time>).',
    }),
  };

  async run(): Promise<ChaosResult> {
    const f = this.flags;
    const { state, driver } = await openCluster(f.name);
    const outDir =
      f.out ??
      path.join(stateDir(f.name), 'chaos', `${new Date().toISOString().replace(/[:.]/g, '-')}-seed${f.seed}`);
    const result = await runChaos(
      state,
      driver,
      {
        durationMs: parseDuration(f.duration),
        intervalMs: parseDuration(f.interval),
        faults: parseFaults(f.faults),
        seed: f.seed,
        clients: f.clients,
        outDir: path.resolve(outDir),
      },
      this.progress,
    );
    this.endProgress();
    const s = result.stats;
    const fo = result.failover;
    const num = (x: number) => (Number.isFinite(x) ? `${Math.round(x)} ms` : '–');
    this.log(`Verdict: ${result.verdict.toUpperCase()}`);
    this.log(
      `  ${s.ops} operations, ${s.acknowledgedBookings} acknowledged bookings, ${s.acknowledgedCancels} cancels; ` +
        `${result.faults.injected} faults injected (${result.faults.planned} planned, ${result.faults.skipped} skipped)`,
    );
    this.log(
      `  failovers: ${fo.count}, median ${num(fo.median)}, worst ${num(fo.max)}, unfinished ${fo.unfinished}`,
    );
    for (const a of result.anomalies) this.log(`  ${a.kind}: ${a.message}`);
    for (const u of result.unknown) this.log(`  could not decide: ${u}`);
    this.log(`  history: ${result.historyFile}`);
    this.log(`  report:  ${result.report}`);
    process.exitCode = verdictExitCodes[result.verdict];
    return result;
  }
}

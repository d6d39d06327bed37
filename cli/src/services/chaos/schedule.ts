/**
 * The nemesis plan of a chaos run: which fault, when, against whom. A pure function of its
 * options and seed, so `--seed` replays exactly the same plan (the cluster's answers may differ,
 * the plan does not).
 *
 * Targets are roles, not node ids, because who is master is only known while the run goes:
 * `master` is whoever is master when the step fires; `other` picks one of the live non-masters by
 * a seeded index. A heal step names the fault step it undoes, and the runner remembers which node
 * that fault hit. At most `maxDown` nodes are down at once (a minority by default, so the cluster
 * can keep booking); every fault is healed before the end of the run.
 */
import { mulberry32, randomInt } from '@booking/node/cluster/prng';

/**
 * What `--faults` can enable. `pause` brings its own `resume`; `revive` restarts killed nodes;
 * `partition` cuts a node off the cluster network and `heal`s it (drivers that can: docker).
 */
export const faultNames = ['kill', 'pause', 'revive', 'partition'] as const;
export type FaultName = (typeof faultNames)[number];

/** The fault steps of a plan, and the step that undoes each. */
export type FaultAction = 'kill' | 'pause' | 'partition';
export type HealAction = 'resume' | 'revive' | 'heal';
export const healOf: Record<FaultAction, HealAction> = { kill: 'revive', pause: 'resume', partition: 'heal' };

export type FaultTarget = { role: 'master' } | { role: 'other'; pick: number };

export type ScheduleStep =
  | { at: number; action: FaultAction; target: FaultTarget }
  /**
   * Undo fault step `of` (its index in `steps`): SIGCONT a paused node, restart a killed one,
   * reconnect a cut one.
   */
  | { at: number; action: HealAction; of: number };

export interface ScheduleOptions {
  seed: number;
  /** Length of the run in ms. Faults stop at `durationMs - quietMs`; the rest is healing and a quiet tail. */
  durationMs: number;
  /** Mean time between two fault steps, in ms (each interval is jittered by ±jitter). */
  intervalMs: number;
  nodes: number;
  faults: readonly FaultName[];
  /** How often a fault targets the master (0..1). */
  masterBias?: number;
  /** Relative jitter of each interval (0..1). */
  jitter?: number;
  /** Most nodes down at once; default: a minority, floor((nodes - 1) / 2). */
  maxDown?: number;
  /** How long a fault lasts before its heal, as a fraction of the interval. */
  downFraction?: number;
  /** Fault-free time at the end of the run, so the last failover settles before the final read. */
  quietMs?: number;
}

export interface Schedule {
  seed: number;
  steps: ScheduleStep[];
}

export function parseFaults(text: string): FaultName[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const bad = names.filter((n) => !(faultNames as readonly string[]).includes(n));
  if (bad.length > 0) throw new Error(`unknown fault ${bad.join(', ')}: use ${faultNames.join(', ')}`);
  if (names.length === 0) throw new Error(`--faults needs at least one of ${faultNames.join(', ')}`);
  return [...new Set(names)] as FaultName[];
}

export function buildSchedule(o: ScheduleOptions): Schedule {
  const random = mulberry32(o.seed);
  const masterBias = o.masterBias ?? 0.7;
  const jitter = o.jitter ?? 0.3;
  const maxDown = o.maxDown ?? Math.floor((o.nodes - 1) / 2);
  const downFraction = o.downFraction ?? 0.5;
  const quietMs = o.quietMs ?? Math.min(5000, o.durationMs / 6);
  const canKill = o.faults.includes('kill');
  const canPause = o.faults.includes('pause');
  const canRevive = o.faults.includes('revive');
  const canPartition = o.faults.includes('partition');
  const steps: ScheduleStep[] = [];
  if (maxDown < 1 || (!canKill && !canPause && !canPartition)) return { seed: o.seed, steps };

  const end = o.durationMs - quietMs;
  /** Fault steps still down: their index and when their heal is due (Infinity: never healed). */
  let down: { index: number; healAt: number; action: HealAction }[] = [];
  /** Killed nodes that are never revived stay down for good; they use up the budget. */
  let t = 0;
  for (;;) {
    t += Math.round(o.intervalMs * (1 - jitter + 2 * jitter * random()));
    if (t >= end) break;
    // Heals that fall due before this fault come first, in time order.
    for (const d of down.filter((x) => x.healAt <= t).sort((a, b) => a.healAt - b.healAt))
      steps.push({ at: d.healAt, action: d.action, of: d.index });
    down = down.filter((x) => x.healAt > t);
    if (down.length >= maxDown) continue;
    // Appended last, so plans without partition draw exactly what they drew before it existed.
    const kinds: FaultAction[] = [];
    if (canKill) kinds.push('kill');
    if (canPause) kinds.push('pause');
    if (canPartition) kinds.push('partition');
    const action = kinds[randomInt(random, kinds.length)]!;
    const target: FaultTarget =
      random() < masterBias ? { role: 'master' } : { role: 'other', pick: randomInt(random, 1 << 16) };
    const index = steps.length;
    steps.push({ at: t, action, target });
    const heals = action !== 'kill' || canRevive;
    const healAt = heals
      ? Math.min(end, t + Math.max(1, Math.round(o.intervalMs * downFraction * (0.5 + random()))))
      : Number.POSITIVE_INFINITY;
    down.push({ index, healAt, action: healOf[action] });
  }
  for (const d of down.filter((x) => Number.isFinite(x.healAt)).sort((a, b) => a.healAt - b.healAt))
    steps.push({ at: d.healAt, action: d.action, of: d.index });
  return { seed: o.seed, steps };
}

/** How many kill/pause/partition steps a schedule has (what `≥ N faults` counts). */
export function faultCount(s: Schedule): number {
  return s.steps.filter((x) => 'target' in x).length;
}

/** One line per step, for `--json` and the report. */
export function describeStep(step: ScheduleStep): string {
  const at = `${(step.at / 1000).toFixed(2)}s`;
  if ('target' in step)
    return `${at} ${step.action} ${step.target.role === 'master' ? 'master' : `other#${step.target.pick}`}`;
  return `${at} ${step.action} (undo step ${step.of})`;
}

/**
 * Virtual time for the driver simulation: one queue of tasks ordered by (time, insertion), run
 * one at a time by the simulation loop. Each node sees it through its own `Timers` (the port
 * replicated-log.ts takes), bound to one incarnation of the node:
 *
 * - a crash ends the incarnation: its timers, its pending storage writes and the messages it was
 *   about to read are dropped, exactly what a killed process loses;
 * - a pause (SIGSTOP) holds every task of the node until it resumes; its clock keeps running, so
 *   on resume the driver sees the elapsed time and catches up as it does in production;
 * - a clock jump moves the node's `now()` forward without firing anything (a VM stall).
 */
import type { TimerHandle, Timers } from '../../../src/log/timers.js';

interface Task {
  at: number;
  seq: number;
  run: () => void;
  owner: Incarnation | null;
  cancelled: boolean;
}

export class Incarnation {
  alive = true;
  paused = false;
  /** Tasks that came due while paused, in order. */
  held: Task[] = [];
  /** Added to the node's now(): forward clock jumps. */
  skew = 0;
  constructor(
    readonly node: number,
    readonly number: number,
  ) {}
}

export class Scheduler {
  now = 0;
  #seq = 0;
  #heap: Task[] = [];

  get pending(): number {
    return this.#heap.length;
  }

  /** Schedules `run` at `at` (never before now), owned by a node incarnation or by the world. */
  at(at: number, run: () => void, owner: Incarnation | null = null): Task {
    const task: Task = { at: Math.max(at, this.now), seq: this.#seq++, run, owner, cancelled: false };
    this.#push(task);
    return task;
  }

  /** Runs the next task; false when none is due by `until`. */
  runNext(until: number): boolean {
    const top = this.#heap[0];
    if (!top || top.at > until) return false;
    this.#pop();
    this.now = top.at;
    if (top.cancelled) return true;
    const o = top.owner;
    if (o && !o.alive) return true;
    if (o?.paused) {
      o.held.push(top);
      return true;
    }
    top.run();
    return true;
  }

  /** A paused incarnation resumes: what it held runs now, in the order it came due. */
  resume(o: Incarnation): void {
    o.paused = false;
    for (const t of o.held.splice(0)) {
      if (!t.cancelled) this.at(this.now, t.run, o);
    }
  }

  timersFor(o: Incarnation): Timers {
    return {
      now: () => this.now + o.skew,
      setTimeout: (fn, ms) => this.at(this.now + Math.max(0, ms), fn, o),
      clearTimeout: (h: TimerHandle) => {
        if (h) (h as Task).cancelled = true;
      },
      setInterval: (fn, ms) => {
        const every = Math.max(1, ms);
        // One handle for the whole series: clearing it stops every later firing.
        const handle = { cancelled: false } as Task;
        const fire = () => {
          if (handle.cancelled) return;
          this.at(this.now + every, fire, o);
          fn();
        };
        this.at(this.now + every, fire, o);
        return handle;
      },
      clearInterval: (h: TimerHandle) => {
        if (h) (h as Task).cancelled = true;
      },
      setImmediate: (fn) => {
        this.at(this.now, fn, o);
      },
    };
  }

  #push(t: Task): void {
    const h = this.#heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  #pop(): void {
    const h = this.#heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

const before = (a: Task, b: Task) => a.at < b.at || (a.at === b.at && a.seq < b.seq);

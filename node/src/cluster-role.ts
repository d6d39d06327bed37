/**
 * What the RPC layer needs to know about the cluster: who is master, the status to report, and
 * where a write must run. A lone node is always its own master; the replicated cluster
 * implements the same interface and forwards writes from slaves to the master.
 */
import { JSONRPCErrorException } from 'json-rpc-2.0';
import { AppError, isErrorReason, rpcErrorCodes } from './protocol/errors.js';
import type { MethodName } from './protocol/methods.js';
import type { ClusterStatus, Role } from './protocol/model.js';

export interface ClusterRole {
  status(): ClusterStatus;
  isMaster(): boolean;
  /**
   * Runs a write on the master: `local()` here if this node is master, else the same call is
   * forwarded to the master and its result returned. Throws NO_MASTER when there is none in time.
   */
  write<T>(
    method: MethodName,
    params: unknown,
    local: () => Promise<T>,
    via?: { forwarded?: boolean },
  ): Promise<T>;
  /** Admin: step down and let another node win an election. */
  stepDown(): Promise<boolean>;
  close(): Promise<void>;
}

export class SoloRole implements ClusterRole {
  constructor(
    private readonly info: () => {
      nodeId: number;
      epoch: number;
      lamport: number;
      commitIndex: number;
      appliedIndex: number;
      applyError: string | null;
    },
  ) {}
  status(): ClusterStatus {
    const i = this.info();
    return { ...i, role: 'master', masterId: i.nodeId, peers: [] };
  }
  isMaster(): boolean {
    return true;
  }
  write<T>(_method: MethodName, _params: unknown, local: () => Promise<T>): Promise<T> {
    return local();
  }
  async stepDown(): Promise<boolean> {
    return false;
  }
  async close(): Promise<void> {}
}

/** What the replicated role needs to know about the node's log and links (see main.ts). */
export interface ReplicatedRoleDeps {
  nodeId: number;
  peers: { id: number; url: string }[];
  failureTimeoutMs: number;
  log: {
    readonly serving: boolean;
    readonly appliedIndex: number;
    readonly applyError: Error | null;
    readonly commitIndex: number;
    readonly core: {
      readonly role: Role;
      readonly masterId: number | null;
      readonly epoch: number;
      readonly lamport: number;
    };
    stepDown(): boolean;
  };
  links: {
    connected(peer: number): boolean;
    heardAgo(peer: number): number | null;
    status(peer: number): { role: Role; commitIndex: number } | undefined;
    forward(to: number, method: string, params: unknown, timeoutMs: number): Promise<unknown>;
  };
  /** A forwarded write came back (answer or error) after `seconds`. */
  onForwarded?(seconds: number): void;
}

/** How long a write waits for a master (an election usually takes well under this). */
const NO_MASTER_WAIT_MS = 2000;
/** Above the master's own commit timeout, so a slow commit is reported by the master itself. */
const FORWARD_TIMEOUT_MS = 7000;
const RETRY_MS = 20;

/**
 * The role of a node in a cluster. Writes run here when this node is a serving master; otherwise
 * they are forwarded to the master, so clients may talk to any node. With no master, a write waits
 * briefly for the election, then fails with NO_MASTER ("retry shortly").
 */
export class ReplicatedRole implements ClusterRole {
  constructor(private readonly d: ReplicatedRoleDeps) {}

  status(): ClusterStatus {
    const core = this.d.log.core;
    return {
      nodeId: this.d.nodeId,
      role: core.role,
      masterId: core.masterId,
      epoch: core.epoch,
      lamport: core.lamport,
      commitIndex: this.d.log.commitIndex,
      appliedIndex: this.d.log.appliedIndex,
      applyError: this.d.log.applyError?.message ?? null,
      peers: this.d.peers.map((p) => {
        const ago = this.d.links.heardAgo(p.id);
        const alive = this.d.links.connected(p.id) && ago !== null && ago < this.d.failureTimeoutMs;
        const s = alive ? this.d.links.status(p.id) : undefined;
        return {
          nodeId: p.id,
          url: p.url,
          alive,
          role: s?.role ?? null,
          commitIndex: s?.commitIndex ?? null,
        };
      }),
    };
  }

  isMaster(): boolean {
    return this.d.log.serving;
  }

  async write<T>(
    method: MethodName,
    params: unknown,
    local: () => Promise<T>,
    via: { forwarded?: boolean } = {},
  ): Promise<T> {
    // A forwarded write runs here or fails at once: the slave that sent it retries with the master
    // it finds next, and a write is never passed along a chain of stale hops.
    if (via.forwarded) {
      if (this.d.log.serving) return local();
      throw new AppError('NO_MASTER', 'this node is not the serving master');
    }
    const deadline = performance.now() + NO_MASTER_WAIT_MS;
    for (;;) {
      if (this.d.log.serving) return local();
      const core = this.d.log.core;
      const master = core.role === 'slave' ? core.masterId : null;
      if (master !== null && master !== this.d.nodeId) {
        const sentAt = performance.now();
        try {
          const result = (await this.d.links.forward(master, method, params, FORWARD_TIMEOUT_MS)) as T;
          this.d.onForwarded?.((performance.now() - sentAt) / 1000);
          return result;
        } catch (error) {
          this.d.onForwarded?.((performance.now() - sentAt) / 1000);
          const f = error as ForwardFailed;
          const reason = (f.error?.data as { reason?: unknown } | undefined)?.reason;
          // Retry only what certainly did not run: never sent, or refused by a master that was not
          // serving (it checks before doing anything). A lost answer is reported, not retried.
          const safeToRetry = f.sent === false || reason === 'NO_MASTER';
          if (!safeToRetry || performance.now() > deadline) throw toLocalError(f);
        }
      }
      if (performance.now() > deadline) {
        throw new AppError('NO_MASTER', 'no master at the moment (election or no quorum); retry shortly');
      }
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  }

  async stepDown(): Promise<boolean> {
    return this.d.log.stepDown();
  }

  async close(): Promise<void> {}
}

/** What a master answers a slave whose forwarded write failed (a JSON-RPC error object). */
export interface ForwardError {
  code: number;
  message: string;
  data?: unknown;
}

/** A forwarded write that did not succeed: never sent, no answer, or the master's error. */
export class ForwardFailed extends Error {
  constructor(
    message: string,
    /** False when the call never left this node: retrying it cannot duplicate anything. */
    readonly sent: boolean,
    /** The master's answer, when it answered with an error. */
    readonly error?: ForwardError,
  ) {
    super(message);
  }
}

/** The master's error, as if this node had raised it; a lost link becomes NO_MASTER. */
function toLocalError(f: ForwardFailed): Error {
  const e = f.error;
  if (!e) return new AppError('NO_MASTER', `the master did not answer (${f.message}); retry shortly`);
  const data = (e.data ?? {}) as Record<string, unknown>;
  const { reason, ...extra } = data;
  if (isErrorReason(reason)) return new AppError(reason, e.message, extra);
  return new JSONRPCErrorException(e.message, e.code, e.data);
}

/** What a master answers a slave that forwarded a write. */
export function toForwardError(error: unknown): ForwardError {
  if (error instanceof AppError) return { code: error.code, message: error.message, data: error.data };
  if (error instanceof JSONRPCErrorException) {
    return {
      code: error.code,
      message: error.message,
      ...(error.data !== undefined ? { data: error.data } : {}),
    };
  }
  return { code: rpcErrorCodes.INTERNAL_ERROR, message: 'Internal error' };
}

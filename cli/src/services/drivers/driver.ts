/**
 * What a cluster driver does. The CLI commands talk to this interface only; `local` runs
 * nodes as child processes with a private nginx, `docker` runs them as containers through
 * dockerode. State that must outlive the CLI process is in ClusterState, saved as
 * `.booking/<name>/state.json` (the folder is mode 0700: it holds the secrets).
 */

export type DriverName = 'local' | 'docker';

export interface ClusterSpec {
  name: string;
  nodes: number;
  driver: DriverName;
  /** Published Nginx port (on 127.0.0.1). */
  port: number;
  /** Server URL without database name; each node uses database `booking_<name>_n<id>`. Local driver only. */
  mysqlUrl: string;
  holdTtlMs: number;
  heartbeatMs?: number;
  failureTimeoutMs?: number;
  /** Catalog to load into an empty cluster: `bundled` or `none`. */
  catalog: 'bundled' | 'none';
}

export interface NodeState {
  id: number;
  /**
   * How the CLI on the host reaches this node's /rpc directly: local, the node's own port
   * (ws://127.0.0.1:<port>/rpc); docker, Nginx's /nodes/<id>/rpc route on the published port.
   */
  rpcUrl: string;
  /** local: the child's pid; docker: the container id. */
  pid?: number;
  containerId?: string;
  /** Port the node listens on (local) or the container-internal port (docker). */
  port: number;
  logFile?: string;
}

export interface ClusterState {
  name: string;
  driver: DriverName;
  spec: ClusterSpec;
  /** Where people and clients go: http://localhost:<port> (SPA, /rpc through Nginx). */
  url: string;
  secret: string;
  adminToken: string;
  startedAt: string;
  /** Set by `cluster stop` (without --purge): the state and secrets stay so a restart reuses them. */
  stoppedAt?: string;
  nodes: NodeState[];
  nginx: { pid?: number; containerId?: string; configFile?: string; port: number };
  /** Docker driver: the network and MySQL containers it made. */
  docker?: { networkId: string; mysqlContainers: Record<string, string>; volumes: string[] };
}

export type Progress = (step: string, detail?: string) => void;

export interface ClusterDriver {
  readonly name: DriverName;
  /**
   * Starts MySQL if this driver owns it, the nodes and Nginx. Resolves once every process runs
   * (not yet elected). When `signal` aborts (Ctrl-C), it stops what it started and rejects.
   */
  start(
    spec: ClusterSpec,
    secrets: { secret: string; adminToken: string },
    progress: Progress,
    signal?: AbortSignal,
  ): Promise<ClusterState>;
  /** SIGKILL / docker kill, or SIGSTOP / docker pause with pause=true. */
  kill(state: ClusterState, nodeId: number, opts: { pause: boolean }): Promise<void>;
  /** Restarts a killed node or resumes a paused one. */
  revive(state: ClusterState, nodeId: number, progress: Progress): Promise<ClusterState>;
  /** Is the node's process or container running (not paused)? */
  nodeRunning(state: ClusterState, nodeId: number): Promise<'running' | 'paused' | 'stopped'>;
  /**
   * Network cut (optional: drivers that have a network to cut, i.e. docker): takes the node off
   * the cluster network, so it reaches no peer, no client and no Nginx, while its process runs
   * on. No-op if it is already cut.
   */
  disconnect?(state: ClusterState, nodeId: number): Promise<void>;
  /** Undoes `disconnect`: the node comes back at the same address and name. No-op if connected. */
  reconnect?(state: ClusterState, nodeId: number): Promise<void>;
  /** Is the node on the cluster network? (Present whenever `disconnect` is.) */
  connected?(state: ClusterState, nodeId: number): Promise<boolean>;
  /** Stops everything. With purge: drops databases / volumes and the state folder. */
  stop(state: ClusterState, opts: { purge: boolean }, progress: Progress): Promise<void>;
  /**
   * Node log lines, one node or all, each prefixed `n<id> | ` followed by the raw line (the
   * CLI parses that prefix to pretty-print or emit JSON); following if asked until signal aborts.
   */
  logs(
    state: ClusterState,
    opts: { nodeId?: number; follow: boolean; signal?: AbortSignal },
  ): AsyncIterable<string>;
}

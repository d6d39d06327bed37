/**
 * Errors meant for the operator: one clear line, a hint for what to do, and an exit code that
 * scripts can branch on. Services throw these; the base command renders them.
 */

/** Exit codes of every `booking` command (documented in docs/operations.md). */
export const exitCodes = {
  ok: 0,
  /** The operation failed (a node answered with an error, a process died, ...). */
  failed: 1,
  /** Bad flags or arguments (oclif's own parse errors use 2 as well). */
  usage: 2,
  /** No such cluster or node, or the cluster is stopped. */
  notFound: 3,
  /** Something is in the way: the cluster already runs, a port is taken. */
  conflict: 4,
  /** A dependency is missing or unreachable: MySQL, nginx, Docker. */
  unavailable: 5,
  /** A wait ran out: no master elected, a node did not catch up. */
  timeout: 6,
} as const;

export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes];

export class CliError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode: number = exitCodes.failed,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The first line of an error's message, without a trailing period: what an operator reads. */
export function oneLine(message: string): string {
  return (message.split('\n').find((line) => line.trim() !== '') ?? message).trim();
}

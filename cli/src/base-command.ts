/**
 * The one base of every `booking` command. It owns:
 *  - `--json`: the command's return value is printed as JSON on stdout and nothing else goes
 *    there (progress and warnings go to stderr, and are silent in JSON mode);
 *  - errors: one clear line and a hint on stderr (`{"error": {...}}` on stdout with --json), and
 *    the exit code from services/errors.ts;
 *  - progress: a spinner on a terminal, plain step lines otherwise.
 * Commands stay thin: parse flags, call a service, render.
 */
import { Command, Flags, type Interfaces, ux } from '@oclif/core';
import { CliError, exitCodes, oneLine } from './services/errors.js';
import { RpcError } from './services/rpc-client.js';

export type InferredFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof BaseCommand)['baseFlags'] & T['flags']
>;
export type InferredArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

/** `--name`: which cluster (its state lives in `.booking/<name>/`). */
export const nameFlag = Flags.string({
  char: 'n',
  summary: 'Cluster name.',
  description: 'The state of a cluster lives in .booking/<name>/; several clusters can run side by side.',
  default: 'default',
  env: 'BOOKING_CLUSTER',
});

/** What the JSON error object looks like (stdout, with --json). */
export interface JsonError {
  error: { message: string; hint?: string; exitCode: number };
}

/** oclif's multi-line parse errors as one line: `--hold-ttl: "abc" is not a duration`. */
export function usageLine(message: string): string {
  const lines = message
    .split('\n')
    .map((line) => line.trim())
    .filter(
      (line) =>
        line && !/^The following errors? occurred:?$/i.test(line) && !/^See more help with/i.test(line),
    );
  const parsing = /^Parsing (--\S+)$/.exec(lines[0] ?? '');
  if (parsing && lines[1]) return `${parsing[1]}: ${lines.slice(1).join('; ')}`;
  return lines.join('; ') || message.trim();
}

export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true;

  protected flags!: InferredFlags<T>;
  protected args!: InferredArgs<T>;
  private currentStep: string | null = null;

  public override async init(): Promise<void> {
    await super.init();
    const { args, flags } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    });
    this.flags = flags as InferredFlags<T>;
    this.args = args as InferredArgs<T>;
  }

  /**
   * Progress for a step that may take more than a second; a new step ends the previous one. On a
   * terminal it is oclif's spinner with the detail as status; elsewhere (CI, pipes) one plain line
   * per step, so logs stay readable.
   */
  protected progress = (step: string, detail?: string): void => {
    if (this.jsonEnabled()) return;
    const tty = Boolean(process.stderr.isTTY);
    if (this.currentStep !== step) {
      this.endProgress();
      this.currentStep = step;
      if (tty) ux.action.start(step, detail, { stdout: false });
      else process.stderr.write(`${step}${detail ? ` (${detail})` : ''} ...\n`);
    } else if (tty && detail !== undefined && ux.action.running) {
      ux.action.status = detail;
    }
  };

  protected endProgress(result = 'done'): void {
    if (this.currentStep && process.stderr.isTTY) ux.action.stop(result);
    this.currentStep = null;
  }

  /** A warning line on stderr (also with --json: stdout stays pure JSON). */
  protected warnLine = (message: string): void => {
    process.stderr.write(`${ux.colorize('yellow', 'Warning:')} ${message}\n`);
  };

  /** Turns anything thrown into one operator-facing error with an exit code. */
  protected toCliError(error: unknown): CliError {
    if (error instanceof CliError) return error;
    const e = error as Error & { exitCode?: number; oclif?: { exit?: number }; code?: string };
    // oclif's own parse and validation errors (missing flag, bad option, a flag's parse function
    // throwing: oclif prefixes those with "Parsing --flag") are usage errors.
    const message = e instanceof Error ? e.message : String(error);
    if (e?.oclif?.exit !== undefined || /^Parsing --/.test(message)) {
      const command = this.id ? `booking ${this.id.replace(/:/g, ' ')}` : 'booking';
      return new CliError(usageLine(message), `see: ${command} --help`, e?.oclif?.exit || exitCodes.usage);
    }
    if (error instanceof RpcError) {
      const reason = error.reason ? ` (${error.reason})` : '';
      return new CliError(`a node answered: ${oneLine(error.message)}${reason}`, undefined, exitCodes.failed);
    }
    return new CliError(oneLine(message), undefined, exitCodes.failed);
  }

  protected override async catch(error: Error & { exitCode?: number }): Promise<void> {
    // `--help` and `--version` end the command through a special exit error: let oclif have it.
    const oclifExit = (error as { oclif?: { exit?: number } }).oclif?.exit;
    if (oclifExit === 0 || (error as { code?: string }).code === 'EEXIT') throw error;
    // A parse that threw still counts as parsed (oclif warns about commands that never parse).
    this.parsed = true;
    const cliError = this.toCliError(error);
    this.endProgress(ux.colorize('red', 'failed'));
    if (this.jsonEnabled()) {
      const body: JsonError = {
        error: {
          message: cliError.message,
          ...(cliError.hint ? { hint: cliError.hint } : {}),
          exitCode: cliError.exitCode,
        },
      };
      process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    }
    process.stderr.write(`${ux.colorize('red', 'Error:')} ${cliError.message}\n`);
    if (cliError.hint) process.stderr.write(`${ux.colorize('dim', 'Hint:')}  ${cliError.hint}\n`);
    if (process.env.BOOKING_DEBUG && error instanceof Error && error.stack) {
      process.stderr.write(`${error.stack}\n`);
    }
    process.exitCode = cliError.exitCode;
  }

  protected override async finally(error: Error | undefined): Promise<void> {
    if (!error) this.endProgress();
    await super.finally(error);
  }

  /** JSON on stdout without colour codes, so pipes and `jq` see plain JSON. */
  override logJson(json: unknown): void {
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  }
}

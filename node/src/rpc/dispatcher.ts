/**
 * Turns one WebSocket text frame into the reply frame (or none), per JSON-RPC 2.0: parse errors,
 * invalid requests, batches (always answered with an array, notifications left out), method
 * lookup, param validation with the protocol's zod schemas, and error mapping. Every call is
 * admitted on its own (a batch of 100 is 100 calls to the rate limit), so batching buys a client
 * fewer frames, never more work.
 */
import { JSONRPCErrorException, type JSONRPCResponse, JSONRPCServer } from 'json-rpc-2.0';
import type { z } from 'zod';
import { type Limits, processLimits } from '../limits.js';
import { AppError, rpcErrorCodes } from '../protocol/errors.js';
import { paramSchemas } from '../protocol/index.js';
import type { MethodName, ValidParamsOf } from '../protocol/methods.js';
import { checkEnvelope, errorResponse, isNotification } from './envelope.js';

/** Says whether one more call may run now; a refused call is answered with `refusal`. */
export interface CallGate {
  admit(): boolean;
  refusal: { code: number; message: string; data?: unknown };
}

export type Handler<C, M extends MethodName> = (
  params: ValidParamsOf<M>,
  context: C,
) => Promise<unknown> | unknown;

export interface DispatchHooks {
  /** Internal errors: logged by the caller, never shown to clients beyond a generic message. */
  onInternalError(method: string, error: unknown): void;
  onCall?(method: string, outcome: 'ok' | 'error', seconds: number): void;
}

function fieldPath(issue: z.core.$ZodIssue): string {
  return issue.path.length ? issue.path.map(String).join('.') : '(params)';
}

export class Dispatcher<C> {
  readonly #server: JSONRPCServer<C>;
  /** Frames being handled: a graceful stop waits for them to be answered (see shutdown.ts). */
  #inFlight = 0;
  readonly #idleWaiters = new Set<() => void>();

  readonly #maxBatch: number;

  constructor(
    private readonly hooks: DispatchHooks,
    limits: Pick<Limits, 'RPC_MAX_BATCH'> = processLimits(),
  ) {
    this.#maxBatch = limits.RPC_MAX_BATCH;
    this.#server = new JSONRPCServer<C>({ errorListener: () => {} });
    this.#server.mapErrorToJSONRPCErrorResponse = (id, error) => {
      if (error instanceof AppError) return errorResponse(id, error.code, error.message, error.data);
      if (error instanceof JSONRPCErrorException)
        return errorResponse(id, error.code, error.message, error.data);
      return errorResponse(id, rpcErrorCodes.INTERNAL_ERROR, 'Internal error');
    };
  }

  /** Registers a method whose params are validated against the protocol schema before `handler` runs. */
  method<M extends MethodName>(name: M, handler: Handler<C, M>): void {
    const schema = paramSchemas[name] as z.ZodType;
    this.#server.addMethod(name, async (rawParams: unknown, context: C) => {
      const started = performance.now();
      if (Array.isArray(rawParams)) {
        throw new JSONRPCErrorException(
          'Invalid params: params must be an object (by name)',
          rpcErrorCodes.INVALID_PARAMS,
          {
            field: '(params)',
          },
        );
      }
      const parsed = schema.safeParse(rawParams);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const field = fieldPath(issue);
        throw new JSONRPCErrorException(
          `Invalid params: ${field}: ${issue.message}`,
          rpcErrorCodes.INVALID_PARAMS,
          {
            field,
            issues: parsed.error.issues.slice(0, 5).map((i) => ({ field: fieldPath(i), message: i.message })),
          },
        );
      }
      try {
        const result = await handler(parsed.data as ValidParamsOf<M>, context);
        this.hooks.onCall?.(name, 'ok', (performance.now() - started) / 1000);
        return result;
      } catch (error) {
        this.hooks.onCall?.(name, 'error', (performance.now() - started) / 1000);
        if (!(error instanceof AppError) && !(error instanceof JSONRPCErrorException)) {
          this.hooks.onInternalError(name, error);
        }
        throw error;
      }
    });
  }

  get maxBatch(): number {
    return this.#maxBatch;
  }

  /**
   * Handles one frame's text; resolves to the reply text, or null when nothing is to be sent.
   * With a gate, each call (also each call in a batch) must be admitted, or gets the refusal;
   * every admission happens before this returns its promise.
   */
  async handleText(text: string, context: C, gate?: CallGate): Promise<string | null> {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      if (gate && !gate.admit()) {
        return JSON.stringify(
          errorResponse(null, gate.refusal.code, gate.refusal.message, gate.refusal.data),
        );
      }
      return JSON.stringify(errorResponse(null, rpcErrorCodes.PARSE_ERROR, 'Parse error'));
    }
    this.#inFlight++;
    try {
      const reply = await this.handleMessage(message, context, gate);
      return reply === null ? null : JSON.stringify(reply);
    } finally {
      if (--this.#inFlight === 0) for (const wake of this.#idleWaiters) wake();
    }
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Resolves true once no frame is being handled, or false after `timeoutMs`. */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.#inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (idle: boolean) => {
        clearTimeout(timer);
        this.#idleWaiters.delete(wake);
        resolve(idle);
      };
      const wake = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.#idleWaiters.add(wake);
    });
  }

  /**
   * Answers every call in a frame with the same error without running any (used for flooding):
   * the client can still match each refusal to its call id. Notifications get nothing.
   */
  refuse(text: string, code: number, message: string, data?: unknown): string | null {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return JSON.stringify(errorResponse(null, code, message, data));
    }
    const calls = Array.isArray(parsed) ? parsed : [parsed];
    const replies = calls
      .filter((c) => !isNotification(c))
      .map((c) => {
        const checked = checkEnvelope(c);
        return errorResponse('request' in checked ? (checked.request.id ?? null) : null, code, message, data);
      });
    if (replies.length === 0) return null;
    return JSON.stringify(Array.isArray(parsed) ? replies : replies[0]);
  }

  async handleMessage(
    message: unknown,
    context: C,
    gate?: CallGate,
  ): Promise<JSONRPCResponse | JSONRPCResponse[] | null> {
    if (!Array.isArray(message)) return this.#single(message, context, gate);
    if ((message.length === 0 || message.length > this.#maxBatch) && gate && !gate.admit()) {
      return errorResponse(null, gate.refusal.code, gate.refusal.message, gate.refusal.data);
    }
    if (message.length === 0)
      return errorResponse(null, rpcErrorCodes.INVALID_REQUEST, 'Invalid Request: empty batch');
    if (message.length > this.#maxBatch) {
      return errorResponse(
        null,
        rpcErrorCodes.INVALID_REQUEST,
        `Invalid Request: at most ${this.#maxBatch} calls per batch`,
        { maxBatch: this.#maxBatch },
      );
    }
    const replies = await Promise.all(message.map((m) => this.#single(m, context, gate)));
    const sent = replies.filter((r): r is JSONRPCResponse => r !== null);
    return sent.length > 0 ? sent : null;
  }

  async #single(message: unknown, context: C, gate?: CallGate): Promise<JSONRPCResponse | null> {
    const checked = checkEnvelope(message);
    // Invalid calls cost a token too: a flood of junk is a flood.
    if (gate && !gate.admit()) {
      if ('request' in checked && checked.request.id === undefined) return null;
      const r = gate.refusal;
      return errorResponse(
        'request' in checked ? (checked.request.id ?? null) : null,
        r.code,
        r.message,
        r.data,
      );
    }
    if ('error' in checked) return checked.error;
    const { request } = checked;
    if (!this.#server.hasMethod(request.method)) {
      return isNotification(message)
        ? null
        : errorResponse(
            request.id ?? null,
            rpcErrorCodes.METHOD_NOT_FOUND,
            `Method not found: ${request.method}`,
          );
    }
    try {
      const response = await this.#server.receive(request, context);
      return (response as JSONRPCResponse | null) ?? null;
    } catch (error) {
      this.hooks.onInternalError(request.method, error);
      return request.id === undefined
        ? null
        : errorResponse(request.id, rpcErrorCodes.INTERNAL_ERROR, 'Internal error');
    }
  }
}

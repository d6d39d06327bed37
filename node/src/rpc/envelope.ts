/**
 * JSON-RPC 2.0 envelopes checked before anything else touches them. json-rpc-2.0's server
 * assumes well-formed requests (it reads `.method` off `null`) and answers a one-element batch
 * with a bare object, so the envelope and batching rules of the spec are enforced here.
 */
import type { JSONRPCErrorResponse, JSONRPCRequest, JSONRPCResponse } from 'json-rpc-2.0';
import { rpcErrorCodes } from '../protocol/errors.js';

export type Id = string | number | null;

export function errorResponse(id: Id, code: number, message: string, data?: unknown): JSONRPCErrorResponse {
  return { jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function validId(value: unknown): value is Id {
  return value === null || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

/** A request that passed the envelope checks, or the error response for it (null: a bad notification, no reply). */
export function checkEnvelope(value: unknown): { request: JSONRPCRequest } | { error: JSONRPCResponse } {
  if (!isPlainObject(value)) {
    return {
      error: errorResponse(null, rpcErrorCodes.INVALID_REQUEST, 'Invalid Request: expected an object'),
    };
  }
  const id = Object.hasOwn(value, 'id') ? value.id : undefined;
  const replyId: Id = validId(id) ? id : null;
  if (id !== undefined && !validId(id)) {
    return {
      error: errorResponse(
        null,
        rpcErrorCodes.INVALID_REQUEST,
        'Invalid Request: id must be a string, number or null',
      ),
    };
  }
  if (value.jsonrpc !== '2.0') {
    return {
      error: errorResponse(replyId, rpcErrorCodes.INVALID_REQUEST, 'Invalid Request: jsonrpc must be "2.0"'),
    };
  }
  if (typeof value.method !== 'string' || value.method.length === 0) {
    return {
      error: errorResponse(
        replyId,
        rpcErrorCodes.INVALID_REQUEST,
        'Invalid Request: method must be a string',
      ),
    };
  }
  if (value.params !== undefined && typeof value.params !== 'object') {
    return {
      error: errorResponse(
        replyId,
        rpcErrorCodes.INVALID_REQUEST,
        'Invalid Request: params must be an object or array',
      ),
    };
  }
  const request: JSONRPCRequest = { jsonrpc: '2.0', method: value.method, params: value.params ?? {} };
  if (id !== undefined) request.id = id as Id;
  return { request };
}

export function isNotification(value: unknown): boolean {
  return isPlainObject(value) && !Object.hasOwn(value, 'id');
}

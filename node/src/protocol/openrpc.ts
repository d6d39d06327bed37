/**
 * Builds the OpenRPC document from the same zod schemas the server validates with. The models of
 * model.ts become components.schemas and results refer to them by $ref, so each is written once;
 * methods list the errors they can answer.
 */
import { z } from 'zod';
import { errorReasons, rpcErrorCodes } from './errors.js';
import { methodExamples } from './examples.js';
import { methodErrors } from './method-errors.js';
import { type MethodName, methodDocs, notifications, results } from './methods.js';
import * as model from './model.js';
import { params } from './params.js';

const SCHEMAS = '#/components/schemas/';
const ERRORS = '#/components/errors/';
type Json = Record<string, unknown>;

/** Every object or enum model of model.ts, under its export name. */
function modelSchemas(): Map<z.ZodType, string> {
  const found = new Map<z.ZodType, string>();
  for (const [name, schema] of Object.entries(model)) {
    if (schema instanceof z.ZodObject || schema instanceof z.ZodEnum) found.set(schema, name);
  }
  return found;
}

/** format: date-time on times; the safe-integer bounds zod puts on every int are noise to readers. */
function annotate(ctx: { zodSchema: unknown; jsonSchema: Json }): void {
  const s = ctx.jsonSchema;
  if (ctx.zodSchema === model.Iso) s.format = 'date-time';
  if (s.description === 'YYYY-MM-DD' && s.type === 'string') s.format = 'date';
  if (s.minimum === Number.MIN_SAFE_INTEGER) delete s.minimum;
  if (s.maximum === Number.MAX_SAFE_INTEGER) delete s.maximum;
}

/**
 * Converts named schemas together so that each one refers to the others by $ref. `extra` are
 * converted alongside (to get their refs) but returned separately: they are not components.
 */
function convert(
  named: Map<z.ZodType, string>,
  extra: Map<string, z.ZodType>,
  io: 'input' | 'output',
): { components: Record<string, Json>; extra: Map<string, Json> } {
  const registry = z.registry<{ id: string }>();
  for (const [schema, id] of named) registry.add(schema, { id });
  const extraIds = new Map<string, string>();
  const inline = new Map<string, Json>();
  for (const [key, schema] of extra) {
    const known = named.get(schema);
    if (known) inline.set(key, { $ref: `${SCHEMAS}${known}` });
    else {
      const id = `__extra_${extraIds.size}`;
      extraIds.set(id, key);
      registry.add(schema, { id });
    }
  }
  const out = z.toJSONSchema(registry, {
    target: 'draft-07',
    io,
    unrepresentable: 'any',
    uri: (id) => `${SCHEMAS}${id}`,
    override: annotate,
  }).schemas as Record<string, Json>;
  const components: Record<string, Json> = {};
  for (const [id, schema] of Object.entries(out)) {
    const { $schema: _s, $id: _i, ...rest } = schema;
    const key = extraIds.get(id);
    if (key !== undefined) inline.set(key, rest);
    else components[id] = rest;
  }
  return { components, extra: inline };
}

function errorObject(reason: string, code: number): Json {
  return { code, message: reason, data: { reason } };
}

function examplesOf(name: MethodName): Json[] | undefined {
  const list = methodExamples[name] as { name: string; params: Json; result: unknown }[] | undefined;
  return list?.map((e) => ({
    name: e.name,
    params: Object.entries(e.params).map(([param, value]) => ({ name: param, value })),
    result: { name: `${name}.result`, value: e.result },
  }));
}

export function buildOpenRpcDocument(version: string): Json {
  const names = Object.keys(params) as MethodName[];
  const outputs = convert(
    modelSchemas(),
    new Map<string, z.ZodType>([
      ...names.map((n) => [`result:${n}`, results[n]] as const),
      ...Object.entries(notifications).map(([n, s]) => [`notification:${n}`, s] as const),
    ]),
    'output',
  );
  // Params stay inline: each is small, and a param list reads best without look-ups.
  const inputs = convert(new Map(), new Map(names.map((n) => [`params:${n}`, params[n]] as const)), 'input');

  const methods = names.map((name) => {
    const input = inputs.extra.get(`params:${name}`) as {
      properties?: Record<string, Json>;
      required?: string[];
    };
    const required = new Set(input.required ?? []);
    const examples = examplesOf(name);
    return {
      name,
      summary: methodDocs[name].summary,
      paramStructure: 'by-name',
      params: Object.entries(input.properties ?? {}).map(([field, schema]) => ({
        name: field,
        required: required.has(field),
        schema,
      })),
      result: { name: `${name}.result`, schema: outputs.extra.get(`result:${name}`) },
      errors: [
        { $ref: `${ERRORS}INVALID_PARAMS` },
        ...methodErrors[name].map((reason) => ({ $ref: `${ERRORS}${reason}` })),
        { $ref: `${ERRORS}RATE_LIMITED` },
      ],
      ...(methodDocs[name].admin ? { tags: [{ name: 'admin' }] } : {}),
      ...(examples ? { examples } : {}),
    };
  });
  return {
    openrpc: '1.3.2',
    info: {
      title: 'Booking cluster client API',
      version,
      description:
        'JSON-RPC 2.0 over WebSocket at /rpc, on every node and through Nginx. Params are named. ' +
        'Application errors use codes outside -32768..-32000 and carry error.data.reason; ' +
        'SEATS_UNAVAILABLE also carries data.seatIds. NO_MASTER means: retry shortly.',
    },
    servers: [
      {
        name: 'cluster',
        url: 'ws://{host}/rpc',
        summary: 'Nginx in front of the cluster, or any one node',
        variables: {
          host: {
            default: 'localhost:8080',
            description: 'host:port of Nginx or of a node (127.0.0.1:7101)',
          },
        },
      },
    ],
    methods,
    components: {
      schemas: outputs.components,
      contentDescriptors: Object.fromEntries(
        Object.keys(notifications).map((name) => [
          name,
          {
            name,
            summary: 'notification sent by the server',
            schema: outputs.extra.get(`notification:${name}`),
          },
        ]),
      ),
      errors: {
        INVALID_PARAMS: {
          code: rpcErrorCodes.INVALID_PARAMS,
          message: 'Invalid params',
          data: {
            field: 'seatIds.0',
            issues: [{ field: 'seatIds.0', message: 'a seat id is a row letter and a number, like C7' }],
          },
        },
        ...Object.fromEntries(
          Object.entries(errorReasons).map(([reason, code]) => [reason, errorObject(reason, code)]),
        ),
      },
    },
  };
}

/** Builds the OpenRPC document from the same zod schemas the server validates with. */
import { z } from 'zod';
import { errorReasons } from './errors.js';
import { type MethodName, methodDocs, notifications, results } from './methods.js';
import { params } from './params.js';

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
}

export function buildOpenRpcDocument(version: string): Record<string, unknown> {
  const methods = (Object.keys(params) as MethodName[]).map((name) => {
    const input = schemaOf(params[name], 'input') as {
      properties?: Record<string, Record<string, unknown>>;
      required?: string[];
    };
    const required = new Set(input.required ?? []);
    return {
      name,
      summary: methodDocs[name].summary,
      paramStructure: 'by-name',
      params: Object.entries(input.properties ?? {}).map(([field, schema]) => ({
        name: field,
        required: required.has(field),
        schema,
      })),
      result: { name: `${name}.result`, schema: schemaOf(results[name], 'output') },
      ...(methodDocs[name].admin ? { tags: [{ name: 'admin' }] } : {}),
    };
  });
  return {
    openrpc: '1.3.2',
    info: {
      title: 'Booking cluster client API',
      version,
      description:
        'JSON-RPC 2.0 over WebSocket at /rpc. Application errors carry error.data.reason: ' +
        Object.keys(errorReasons).join(', '),
    },
    servers: [{ name: 'this node', url: '/rpc' }],
    methods,
    components: {
      contentDescriptors: Object.fromEntries(
        Object.entries(notifications).map(([name, schema]) => [
          name,
          { name, summary: 'notification sent by the server', schema: schemaOf(schema, 'output') },
        ]),
      ),
      errors: Object.fromEntries(
        Object.entries(errorReasons).map(([reason, code]) => [reason, { code, message: reason }]),
      ),
    },
  };
}

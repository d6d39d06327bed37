import { readFileSync } from 'node:fs';
import {
  MethodCallValidator,
  parseOpenRPCDocument,
  validateOpenRPCDocument,
} from '@open-rpc/schema-utils-js';
import test from 'ava';
import { openRpcJson, packageVersion } from '../scripts/openrpc-file.js';
import { errorReasons } from '../src/protocol/errors.js';
import { methodExamples } from '../src/protocol/examples.js';
import { type MethodName, results } from '../src/protocol/methods.js';
import { buildOpenRpcDocument } from '../src/protocol/openrpc.js';
import { params } from '../src/protocol/params.js';
import { withNode } from './helpers/with-node.js';

type Doc = Parameters<typeof validateOpenRPCDocument>[0];
interface Method {
  name: string;
  params: { name: string }[];
  result: { schema: Record<string, unknown> };
  errors: { $ref: string }[];
}
interface Document {
  servers: { url: string; variables?: Record<string, { default: string }> }[];
  methods: Method[];
  components: { schemas: Record<string, { properties?: Record<string, Record<string, unknown>> }> };
}

const doc = buildOpenRpcDocument(packageVersion());
const typed = doc as unknown as Document;

test('the document passes the OpenRPC meta-schema and every $ref resolves', async (t) => {
  const verdict = validateOpenRPCDocument(doc as Doc);
  t.is(verdict, true, verdict === true ? '' : verdict.message);
  // parseOpenRPCDocument validates again and dereferences: a dangling $ref fails here.
  const parsed = (await parseOpenRPCDocument(JSON.stringify(doc))) as unknown as Document;
  t.is(parsed.methods.length, Object.keys(params).length);
  t.false(JSON.stringify(parsed.methods).includes('"$ref"'), 'nothing left unresolved');
});

test('servers[0] is an absolute ws URL whose variables fill it in', (t) => {
  const server = typed.servers[0]!;
  t.regex(server.url, /^ws:\/\//);
  const filled = server.url.replace(/\{(\w+)\}/g, (_m, name: string) => server.variables![name]!.default);
  t.is(filled, 'ws://localhost:8080/rpc');
  t.notThrows(() => new URL(filled));
});

test('models are shared components, referenced from results, with date-time on times', (t) => {
  const { schemas } = typed.components;
  for (const model of ['Booking', 'Show', 'Movie', 'Hold', 'SeatMap', 'ClusterStatus'])
    t.truthy(schemas[model], model);
  const result = (name: string) => typed.methods.find((m) => m.name === name)!.result.schema;
  t.deepEqual(result('bookings.book'), { $ref: '#/components/schemas/Booking' });
  t.deepEqual(result('catalog.shows'), { type: 'array', items: { $ref: '#/components/schemas/Show' } });
  t.is(schemas.Booking!.properties!.createdAt!.format, 'date-time');
  t.is(schemas.Show!.properties!.startsAt!.format, 'date-time');
  t.is(schemas.Hold!.properties!.expiresAt!.format, 'date-time');
  t.is(schemas.ClusterEvent!.properties!.at!.format, 'date-time');
  t.is(schemas.Movie!.properties!.releaseDate!.format, 'date');
  t.deepEqual(schemas.MovieWithShows!.properties!.shows, {
    type: 'array',
    items: { $ref: '#/components/schemas/Show' },
  });
});

test('each method lists its errors, all defined with the codes of errors.ts', (t) => {
  const errors = (doc.components as { errors: Record<string, { code: number }> }).errors;
  for (const [reason, code] of Object.entries(errorReasons)) t.is(errors[reason]?.code, code, reason);
  t.is(errors.INVALID_PARAMS?.code, -32602);
  for (const m of typed.methods) {
    for (const e of m.errors)
      t.truthy(errors[e.$ref.replace('#/components/errors/', '')], `${m.name}: ${e.$ref}`);
  }
  const reasonsOf = (name: string) =>
    typed.methods.find((m) => m.name === name)!.errors.map((e) => e.$ref.split('/').pop());
  t.true(reasonsOf('bookings.book').includes('SEATS_UNAVAILABLE'));
  t.true(reasonsOf('bookings.book').includes('IDEMPOTENCY_KEY_REUSED'));
  t.true(reasonsOf('bookings.cancel').includes('ALREADY_CANCELLED'));
  t.true(reasonsOf('admin.stepDown').includes('UNAUTHORIZED'));
  t.false(reasonsOf('catalog.movies').includes('SEATS_UNAVAILABLE'));
});

test('every example is a valid call with a valid result', (t) => {
  const validator = new MethodCallValidator(doc as Doc);
  const names = Object.keys(methodExamples) as MethodName[];
  t.true(names.length >= 5);
  for (const name of names) {
    for (const example of methodExamples[name]!) {
      const errors = validator.validate(name, example.params);
      t.deepEqual(errors, [], `${name} / ${example.name}: params against the JSON schema (by name)`);
      t.true(params[name].safeParse(example.params).success, `${name} / ${example.name}: params`);
      const parsed = results[name].safeParse(example.result);
      t.true(parsed.success, `${name} / ${example.name}: result`);
      // zod drops unknown keys; equality shows the example has no field the contract lacks.
      t.deepEqual(parsed.data, example.result as never, `${name} / ${example.name}: no extra fields`);
    }
  }
});

test('docs/openrpc.json is the document the code builds', (t) => {
  const published = readFileSync(new URL('../../docs/openrpc.json', import.meta.url), 'utf8');
  t.is(published, openRpcJson(), 'stale: run `npm run docs:protocol`');
});

test('a node serves the same document over rpc.discover', (t) =>
  withNode(t, async ({ connect }) => {
    const served = await (await connect()).call('rpc.discover', {});
    t.is(validateOpenRPCDocument(served as Doc), true);
    t.deepEqual(served, JSON.parse(openRpcJson()));
  }));

import test from 'ava';
import {
  classifyError,
  HistoryParseError,
  type HistoryRecord,
  HistoryRecorder,
  parseHistory,
  serializeHistory,
} from '../../src/services/checker/history.js';
import { booking, Script } from './helpers.js';

test('JSONL round trip keeps every record, one per line', (t) => {
  const s = new Script();
  const b = s.book(1, booking(['A1']));
  s.fault('kill', 3);
  s.cancel(2, b);
  const text = serializeHistory(s.records);
  t.is(text.split('\n').length, s.records.length + 1);
  t.true(text.endsWith('\n'));
  t.deepEqual(parseHistory(text), s.records);
  t.deepEqual(parseHistory(`\n${text}\r\n\n`), s.records, 'blank lines and CRLF are tolerated');
});

test('a malformed line is refused with its line number and what is wrong', (t) => {
  const s = new Script();
  s.book(1, booking(['A1']));
  const lines = serializeHistory(s.records).trimEnd().split('\n');
  const bad = [lines[0], '{"type":"ok","opId":1}', lines[1]].join('\n');
  const e = t.throws(() => parseHistory(bad), { instanceOf: HistoryParseError });
  t.is(e?.line, 2);
  t.regex(e!.message, /process must be an integer/);
  t.throws(() => parseHistory('{not json'), { message: /line 1: not JSON/ });
  t.throws(() => parseHistory('[1]'), { message: /JSON object/ });
  const wrongSeats = JSON.parse(lines[0]!) as HistoryRecord & { params: { seatIds: unknown } };
  wrongSeats.params.seatIds = 'A1';
  t.throws(() => parseHistory(JSON.stringify(wrongSeats)), { message: /seatIds of bookings.book/ });
  const okRecord = JSON.parse(lines[1]!) as { result: { status: string } };
  okRecord.result.status = 'maybe';
  t.throws(() => parseHistory(JSON.stringify(okRecord)), {
    message: /status must be confirmed or cancelled/,
  });
  t.throws(
    () => parseHistory('{"type":"fault","kind":"nuke","node":1,"time":1,"wallTime":"2030-01-01T00:00:00Z"}'),
    {
      message: /fault.kind/,
    },
  );
});

test('only errors that prove nothing happened are fail; the rest are info', (t) => {
  t.is(classifyError({ code: 1010, reason: 'SEATS_UNAVAILABLE' }), 'fail');
  t.is(classifyError({ code: 1012, reason: 'HOLD_EXPIRED' }), 'fail');
  t.is(classifyError({ code: -32602 }), 'fail');
  // A slave that forwarded the write may answer NO_MASTER after the master applied it.
  t.is(classifyError({ code: 1020, reason: 'NO_MASTER' }), 'info');
  t.is(classifyError({ code: -32603 }), 'info');
  t.is(classifyError({ code: -1 }), 'info', 'timeouts');
  t.is(classifyError({ code: 1999, reason: 'SOMETHING_NEW' }), 'info', 'unknown reasons are not trusted');
});

test('the recorder gives each invoke exactly one completion and lists what is in flight', (t) => {
  const out: HistoryRecord[] = [];
  let now = 0;
  const r = new HistoryRecorder({ now: () => ++now, wallNow: () => '2030-01-01T00:00:00.000Z' }, (x) =>
    out.push(x),
  );
  const a = r.invoke(1, 'n1', 'bookings.get', { code: 'X' });
  const b = r.invoke(2, 'nginx', 'bookings.cancel', { code: 'Y' });
  t.deepEqual(r.pending().sort(), [a, b].sort());
  r.fail(a, { code: 1005, reason: 'BOOKING_NOT_FOUND', message: 'nf' });
  t.throws(() => r.info(a, { message: 'again' }), { message: /not in flight/ });
  t.deepEqual(r.pending(), [b]);
  r.fault('pause', 2, 'SIGSTOP');
  t.deepEqual(
    out.map((x) => x.type),
    ['invoke', 'invoke', 'fail', 'fault'],
  );
  t.like(out[2], { opId: a, process: 1, endpoint: 'n1', method: 'bookings.get' });
  t.like(out[3], { kind: 'pause', node: 2, detail: 'SIGSTOP' });
});

import test from 'ava';
import { describeDetail, mergeEvents } from '../../src/lib/events.ts';
import { buildIcs, icsEscape } from '../../src/lib/ics.ts';
import { posterSrc, posterSvg, wrapTitle } from '../../src/lib/poster.ts';

test('generated posters are deterministic SVG with the title escaped', (t) => {
  const svg = posterSvg('Tom & Jerry <3', ['Comedy', 'Family']);
  t.is(svg, posterSvg('Tom & Jerry <3', ['Comedy', 'Family']));
  t.true(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  t.true(svg.includes('Tom &amp; Jerry &lt;3'));
  t.false(svg.includes('<3'));
  t.true(svg.includes('COMEDY · FAMILY'));
  t.not(posterSvg('A', ['Horror']), posterSvg('A', ['Comedy']), 'genre colours differ');
});

test('poster source: the real poster when there is one, else a data: URL (never a network load)', (t) => {
  t.is(posterSrc({ title: 'X', genres: [], posterUrl: '/p.jpg' }), '/p.jpg');
  t.regex(
    posterSrc({ title: 'X', genres: [], posterUrl: null }),
    /^data:image\/svg\+xml;charset=utf-8,%3Csvg/,
  );
});

test('long titles wrap to at most four lines', (t) => {
  t.deepEqual(wrapTitle('The Quick Brown Fox', 10), ['The Quick', 'Brown Fox']);
  const lines = wrapTitle('one two three four five six seven eight nine ten', 5);
  t.is(lines.length, 4);
  t.true(lines[3]!.endsWith('…'));
});

test('ics: a VEVENT in UTC with escaped text and CRLF lines', (t) => {
  const ics = buildIcs({
    uid: 'b1@booking',
    title: 'Dune; Part Two',
    startsAt: '2030-05-01T20:00:00+02:00',
    durationMinutes: 150,
    location: 'Astra, Main St 1, Lisbon',
    description: 'Seats: C7, C8',
    now: new Date('2030-04-01T00:00:00Z'),
  });
  t.true(ics.includes('\r\nDTSTART:20300501T180000Z\r\n'));
  t.true(ics.includes('\r\nDTEND:20300501T203000Z\r\n'));
  t.true(ics.includes('SUMMARY:Dune\\; Part Two'));
  t.true(ics.includes('LOCATION:Astra\\, Main St 1\\, Lisbon'));
  t.true(ics.startsWith('BEGIN:VCALENDAR\r\n') && ics.endsWith('END:VCALENDAR\r\n'));
  t.is(icsEscape('a\nb\\c'), 'a\\nb\\\\c');
});

const ev = (nodeId: number, lamport: number, type = 'commit') => ({
  nodeId,
  lamport,
  type,
  at: '',
  detail: {},
});

test('events from all nodes merge in (lamport, nodeId) order without duplicates, newest kept', (t) => {
  let list = mergeEvents([], [ev(2, 5), ev(1, 3)]);
  list = mergeEvents(list, [ev(3, 5), ev(1, 3), ev(1, 9)]);
  t.deepEqual(
    list.map((e) => `${e.lamport}/${e.nodeId}`),
    ['3/1', '5/2', '5/3', '9/1'],
  );
  t.is(mergeEvents(list, [ev(1, 3)]), list, 'nothing new, same array');
  const capped = mergeEvents(list, [ev(1, 10), ev(1, 11)], 3);
  t.deepEqual(
    capped.map((e) => e.lamport),
    [9, 10, 11],
  );
  t.is(describeDetail({ epoch: 3, from: 2, nested: { a: 1 }, none: null }), 'epoch=3 from=2');
});

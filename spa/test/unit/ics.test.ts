import test from 'ava';
import { buildIcs, foldLine } from '../../src/lib/ics.ts';

const octets = (s: string) => new TextEncoder().encode(s).length;
/** What a calendar does when reading (RFC 5545 §3.1): drop every CRLF followed by one space. */
const unfold = (s: string) => s.replace(/\r\n[ \t]/g, '');

test('a line of at most 75 octets is left alone', (t) => {
  const line = `DESCRIPTION:${'x'.repeat(75 - 'DESCRIPTION:'.length)}`;
  t.is(octets(line), 75);
  t.is(foldLine(line), line);
});

test('a longer line folds into physical lines of at most 75 octets, continuations starting with a space', (t) => {
  const line = `DESCRIPTION:${'Booking 7KQ2M9XH4TZ1WCRB. Seats: G9, G10. '.repeat(8)}`;
  const folded = foldLine(line);
  const physical = folded.split('\r\n');
  t.true(physical.length > 1);
  for (const [i, p] of physical.entries()) {
    t.true(octets(p) <= 75, `line ${i} has ${octets(p)} octets`);
    if (i > 0) t.true(p.startsWith(' '));
  }
  t.is(octets(physical[0]!), 75, 'the first line uses all 75 octets');
  t.is(unfold(folded), line);
});

test('folding counts octets, not characters, and never splits a UTF-8 character', (t) => {
  // 'é' is 2 octets, '🎬' is 4 (a surrogate pair in JS): a naive split at 75 characters breaks both.
  const line = `SUMMARY:${'Amélie 🎬 '.repeat(20)}`;
  t.true(line.length < octets(line));
  const folded = foldLine(line);
  for (const p of folded.split('\r\n')) {
    t.true(octets(p) <= 75);
    // A lone surrogate or a cut UTF-8 sequence would not survive the round trip.
    t.is(new TextDecoder('utf-8', { fatal: true }).decode(new TextEncoder().encode(p)), p);
    t.false(/[\uD800-\uDBFF]$/.test(p), 'no line ends inside a surrogate pair');
  }
  t.is(unfold(folded), line);
});

test('a ticket with a long location and description folds every long line of the file', (t) => {
  const ics = buildIcs({
    uid: 'b1@booking',
    title: 'The Lord of the Rings: The Return of the King (Extended Edition, Remastered)',
    startsAt: '2030-05-01T20:00:00+02:00',
    durationMinutes: 263,
    location: 'Cinéma du Panthéon, Salle 2, 13 Rue Victor Cousin, 75005 Paris, France',
    description: `Booking 7KQ2M9XH4TZ1WCRB. Seats: ${Array.from({ length: 10 }, (_, i) => `G${i + 1}`).join(', ')}.`,
    now: new Date('2030-04-01T00:00:00Z'),
  });
  t.true(ics.endsWith('END:VCALENDAR\r\n'));
  const physical = ics.slice(0, -2).split('\r\n');
  for (const p of physical) t.true(octets(p) <= 75, `${octets(p)} octets: ${p}`);
  const logical = unfold(ics).slice(0, -2).split('\r\n');
  t.true(
    logical.includes(
      'LOCATION:Cinéma du Panthéon\\, Salle 2\\, 13 Rue Victor Cousin\\, 75005 Paris\\, France',
    ),
  );
  t.true(
    logical.some(
      (l) => l.startsWith('DESCRIPTION:Booking 7KQ2M9XH4TZ1WCRB. Seats: G1\\, G2') && l.endsWith('G10.'),
    ),
  );
  t.true(physical.length > logical.length, 'some lines were folded');
});

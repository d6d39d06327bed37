import test from 'ava';
import {
  availability,
  formatCountdown,
  groupShows,
  hasStarted,
  localDate,
  showState,
} from '../../src/lib/format.ts';

test('countdown shows m:ss, rounds up, never goes negative, and shows hours when there are some', (t) => {
  t.is(formatCountdown(300_000), '5:00');
  t.is(formatCountdown(299_001), '5:00', 'rounds up: 0:00 only once truly expired');
  t.is(formatCountdown(61_000), '1:01');
  t.is(formatCountdown(9_000), '0:09');
  t.is(formatCountdown(0), '0:00');
  t.is(formatCountdown(-5_000), '0:00');
  t.is(formatCountdown(3_726_000), '1:02:06');
});

const show = (id: string, theaterId: string, startsAt: string) => ({
  id,
  movieId: 'm1',
  theaterId,
  screenId: 'x',
  startsAt,
  prices: { standard: 1000 },
  currency: 'EUR',
  seatsTotal: 100,
  seatsAvailable: 50,
});

test('shows group by the local date of the theater, then theater by name, then time', (t) => {
  const theaters = [
    { id: 't1', name: 'Zenith', city: 'X', address: 'a', screens: [] },
    { id: 't2', name: 'Astra', city: 'X', address: 'b', screens: [] },
  ];
  const groups = groupShows(
    [
      show('late', 't1', '2030-05-01T23:30:00+02:00'),
      show('b', 't2', '2030-05-01T18:00:00+02:00'),
      show('a', 't2', '2030-05-01T14:00:00+02:00'),
      show('next', 't1', '2030-05-02T10:00:00+02:00'),
    ],
    theaters,
  );
  t.deepEqual(
    groups.map((g) => g.date),
    ['2030-05-01', '2030-05-02'],
  );
  t.deepEqual(
    groups[0]!.theaters.map((e) => [e.theater.name, e.shows.map((s) => s.id)]),
    [
      ['Astra', ['a', 'b']],
      ['Zenith', ['late']],
    ],
  );
  t.is(localDate('2030-05-01T23:30:00+02:00'), '2030-05-01', 'not shifted to UTC');
});

test('availability buckets', (t) => {
  t.is(availability({ seatsAvailable: 0, seatsTotal: 100 }), 'sold-out');
  t.is(availability({ seatsAvailable: 10, seatsTotal: 100 }), 'few');
  t.is(availability({ seatsAvailable: 60, seatsTotal: 100 }), 'available');
});

test('a show that has started is "started" whatever its seats; before that, its availability', (t) => {
  const startsAt = '2030-05-01T20:00:00+02:00';
  const at = Date.parse('2030-05-01T18:00:00Z'); // 20:00 in +02:00: the very start
  const show = { startsAt, seatsAvailable: 50, seatsTotal: 100 };
  t.false(hasStarted(show, at - 1));
  t.true(hasStarted(show, at), 'a show is started from its start time on');
  t.is(showState(show, at - 60_000), 'available');
  t.is(showState(show, at), 'started');
  t.is(showState({ ...show, seatsAvailable: 0 }, at - 60_000), 'sold-out');
  t.is(showState({ ...show, seatsAvailable: 0 }, at + 60_000), 'started');
  t.is(showState({ ...show, seatsAvailable: 5 }, at - 60_000), 'few');
});

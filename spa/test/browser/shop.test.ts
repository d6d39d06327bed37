/**
 * The app in a real Chromium against a real cluster behind Nginx: browse, pick seats (by mouse and
 * by keyboard), hold, book, find and cancel; two customers watching one show; every screen on a
 * phone. Every test also asserts the page logged no errors and never left loopback.
 */
import { readFileSync } from 'node:fs';
import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import type { Browser, Page } from 'playwright-core';
import { launch, openPage, rpc, type Watched } from './helpers/browser.ts';
import { ShowPool, showPath } from './helpers/shows.ts';
import { type Stack, startStack } from './helpers/stack.ts';

interface Context {
  stack: Stack;
  browser: Browser;
  pool: ShowPool;
  pages: Watched[];
}
const test = anyTest as TestFn<Context>;

test.before(async (t) => {
  t.context.pages = [];
  t.context.pool = new ShowPool();
  t.context.stack = await startStack('spa_e2e_shop');
  t.context.browser = await launch();
});

test.after.always(async (t) => {
  await t.context.browser?.close();
  await t.context.stack?.stop();
});

/** A fresh browser context on `path` ('' = stay blank, e.g. to attach listeners first). */
async function open(
  t: ExecutionContext<Context>,
  path = '/',
  viewport?: { width: number; height: number },
  before?: (page: Page) => void,
) {
  const watched = await openPage(t.context.browser, viewport ? { viewport } : {});
  t.context.pages.push(watched);
  before?.(watched.page);
  if (path) await watched.page.goto(`${t.context.stack.url}${path}`);
  t.teardown(() => watched.context.close());
  return watched;
}

function clean(t: ExecutionContext<Context>, ...watched: Watched[]): void {
  t.deepEqual(
    watched.flatMap((w) => w.problems),
    [],
    'no console errors, no page errors, no requests off loopback',
  );
}

const seat = (page: Page, id: string, status: string) =>
  page.getByRole('button', { name: `Seat ${id}, ${status}` });

async function firstAvailableRun(page: Page, showId: string, length: number): Promise<string[]> {
  const map = await rpc(page, 'seats.map', { showId });
  for (const row of map.rows) {
    const seats = [...row.seats].sort((a, b) => a.col - b.col);
    for (let i = 0; i + length <= seats.length; i++) {
      const run = seats.slice(i, i + length);
      const together = run.every(
        (s, k) => s.status === 'available' && s.kind !== 'wheelchair' && s.col === run[0]!.col + k,
      );
      if (together) return run.map((s) => s.id);
    }
  }
  throw new Error(`no ${length} seats together on ${showId}`);
}

test.serial(
  'the whole journey: movie list → movie → seats → hold → checkout → ticket that bookings.get finds',
  async (t) => {
    const w = await open(t);
    const { page } = w;
    const show = await t.context.pool.take(page);
    const movie = await rpc(page, 'catalog.movie', { movieId: show.movieId });

    // Now showing: a poster grid, searchable.
    const cards = page.getByTestId('movie-card');
    await cards.first().waitFor();
    t.true((await cards.count()) >= 12, 'the bundled catalog has at least 12 movies');
    await page.getByLabel('Search movies').fill(movie.title);
    await cards.filter({ hasText: movie.title }).first().waitFor();
    t.true((await cards.count()) < 12, 'search narrows the grid');
    await cards.filter({ hasText: movie.title }).first().click();

    // The movie page: details and showtimes with availability.
    await page.getByRole('heading', { level: 1, name: movie.title }).waitFor();
    await page.getByRole('heading', { name: 'Showtimes' }).waitFor();
    await page.locator(`[data-show="${show.id}"]`).click();

    // The seat map: pick the suggested best seats for two, then hold them.
    await page.locator('[data-seat]').first().waitFor();
    t.true((await page.getByRole('button', { name: /^Seat [A-Z]+\d+, available$/ }).count()) > 10);
    await page.getByLabel('People').selectOption('2');
    await page.getByRole('button', { name: 'Best seats' }).click();
    const picked = page.locator('[data-seat][aria-pressed="true"]');
    await page.waitForFunction(
      () => document.querySelectorAll('[data-seat][aria-pressed="true"]').length === 2,
    );
    const seatIds = (
      await picked.evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.seat ?? ''))
    ).sort();
    for (const id of seatIds) await seat(page, id, 'selected').waitFor();
    await page.getByRole('button', { name: 'Hold 2 seats' }).click();
    const countdown = page.getByTestId('hold-countdown');
    await countdown.waitFor();
    t.regex((await countdown.textContent()) ?? '', /^\d+:\d\d$/);
    // Nginx may send this read to a slave, which shows the hold once it has applied it: ask
    // until it does (a few heartbeats), then check.
    let held: { status: string }[] = [];
    for (let i = 0; i < 50; i++) {
      const map = await rpc(page, 'seats.map', { showId: show.id });
      held = map.rows.flatMap((r) => r.seats).filter((s) => seatIds.includes(s.id));
      if (held.every((s) => s.status === 'held')) break;
      await page.waitForTimeout(100);
    }
    t.deepEqual(
      held.map((s) => s.status),
      ['held', 'held'],
      'the cluster holds the seats',
    );

    // Checkout: labelled fields, a summary with the total, a mock payment said so on screen.
    await page.getByRole('button', { name: 'Continue to checkout' }).click();
    await page.getByRole('heading', { name: 'Checkout' }).waitFor();
    await page.getByTestId('hold-countdown').waitFor();
    t.regex((await page.getByTestId('mock-payment').textContent()) ?? '', /payment is mocked/);
    t.truthy(await page.getByTestId('checkout-total').textContent());
    await page.getByLabel('Name').fill('Ada Lovelace');
    await page.getByLabel('Email').fill('ada@example.org');
    await page.getByRole('button', { name: /^Confirm and pay/ }).click();

    // The ticket: code, seats, QR, calendar file, and the cluster knows the code.
    const codeEl = page.getByTestId('booking-code');
    await codeEl.waitFor();
    const code = ((await codeEl.textContent()) ?? '').trim();
    t.regex(code, /^[A-Z0-9]{16,}$/);
    // The ticket lists the seats in the order they were picked; compare them as a set.
    t.deepEqual(
      ((await page.getByTestId('ticket-seats').textContent()) ?? '').split(', ').sort(),
      [...seatIds].sort(),
    );
    t.true(await page.getByTestId('ticket-qr').isVisible());
    const booking = await rpc(page, 'bookings.get', { code });
    t.is(booking.status, 'confirmed');
    t.deepEqual([...booking.seatIds].sort(), seatIds);
    t.is(booking.showId, show.id);
    t.is(booking.customer.email, 'ada@example.org');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Add to calendar (.ics)' }).click(),
    ]);
    const ics = readFileSync((await download.path()) ?? '', 'utf8');
    t.regex(ics, /BEGIN:VCALENDAR[\s\S]*BEGIN:VEVENT/);
    t.true(ics.includes(code), 'the calendar entry carries the booking code');

    clean(t, w);
  },
);

test.serial(
  'a booking is found by its code on the lookup page and can be cancelled, freeing its seats',
  async (t) => {
    const w = await open(t, '/lookup');
    const { page } = w;
    const show = await t.context.pool.take(page);
    const seatIds = await firstAvailableRun(page, show.id, 2);
    const booking = await rpc(page, 'bookings.book', {
      showId: show.id,
      seatIds,
      customer: { name: 'Grace Hopper', email: 'grace@example.org' },
    });

    await page.getByLabel('Booking code').fill(` ${booking.code.slice(0, 6)} ${booking.code.slice(6)} `);
    await page.getByRole('button', { name: 'Find booking' }).click();
    await page.getByTestId('booking-code').filter({ hasText: booking.code }).waitFor();
    // The ticket lists the seats in the order they were picked; compare them as a set.
    t.deepEqual(
      ((await page.getByTestId('ticket-seats').textContent()) ?? '').split(', ').sort(),
      [...seatIds].sort(),
    );

    await page.getByRole('button', { name: 'Cancel booking' }).click();
    await page.getByRole('button', { name: 'Yes, cancel this booking' }).click();
    await page.getByTestId('booking-status').filter({ hasText: 'cancelled' }).waitFor();
    t.is((await rpc(page, 'bookings.get', { code: booking.code })).status, 'cancelled');

    // The seats are for sale again, on the live map too.
    await page.goto(`${t.context.stack.url}${showPath(show)}`);
    for (const id of seatIds) await seat(page, id, 'available').waitFor();

    await page.goto(`${t.context.stack.url}/lookup`);
    await page.getByLabel('Booking code').fill('NOSUCHCODE0000000000');
    await page.getByRole('button', { name: 'Find booking' }).click();
    await page.getByRole('alert').filter({ hasText: 'No booking has that code.' }).waitFor();
    clean(t, w);
  },
);

test.serial(
  "two customers on the same show see each other's holds live, pushed by seats.changed",
  async (t) => {
    const a = await open(t);
    const show = await t.context.pool.take(a.page);
    const [x, y] = await firstAvailableRun(a.page, show.id, 2);
    await a.page.goto(`${t.context.stack.url}${showPath(show)}`);
    // B's socket traffic is recorded from its first frame: once A holds, B must learn of it by a
    // pushed seats.changed alone, with no map re-read and no reload.
    let watching = false;
    const bSent: string[] = [];
    const bPushed: string[] = [];
    const b = await open(t, '', undefined, (page) => {
      page.on('websocket', (socket) => {
        socket.on('framesent', (f) => {
          if (watching) bSent.push(String(f.payload));
        });
        socket.on('framereceived', (f) => {
          if (watching && String(f.payload).includes('"seats.changed"')) bPushed.push(String(f.payload));
        });
      });
    });
    await b.page.goto(`${t.context.stack.url}${showPath(show)}`);
    await seat(a.page, x!, 'available').waitFor();
    await seat(b.page, x!, 'available').waitFor();

    watching = true;
    await seat(a.page, x!, 'available').click();
    await a.page.getByRole('button', { name: 'Hold 1 seat' }).click();
    await a.page.getByTestId('hold-countdown').waitFor();
    const heldAt = Date.now();
    await seat(b.page, x!, 'held').waitFor();
    t.log(`B saw A's hold ${Date.now() - heldAt} ms after A's hold was acknowledged`);
    t.false(
      bSent.some((frame) => frame.includes('"seats.map"')),
      'B did not re-read the map: the change was pushed',
    );
    t.true(
      bPushed.some((frame) => frame.includes(`"${x}"`)),
      'a seats.changed notification carried the seat',
    );
    t.is(
      await seat(b.page, x!, 'held').getAttribute('aria-disabled'),
      'true',
      'a held seat cannot be picked',
    );

    // B holds the neighbour; A sees it. A lets go; B sees the seat free again.
    await seat(b.page, y!, 'available').click();
    await b.page.getByRole('button', { name: 'Hold 1 seat' }).click();
    await b.page.getByTestId('hold-countdown').waitFor();
    await seat(a.page, y!, 'held').waitFor();
    await a.page.getByRole('button', { name: 'Change seats' }).click();
    await seat(b.page, x!, 'available').waitFor();
    clean(t, a, b);
  },
);

test.serial(
  'keyboard only: Tab into the map, arrows move, Space and Enter pick, hold and book without a mouse',
  async (t) => {
    const w = await open(t);
    const { page } = w;
    const show = await t.context.pool.take(page);
    const map = await rpc(page, 'seats.map', { showId: show.id });
    await page.goto(`${t.context.stack.url}${showPath(show)}`);
    await page.locator('[data-seat]').first().waitFor();

    const focused = () =>
      page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.seat ?? null);
    const focusedText = () => page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');
    async function tabUntil(done: () => Promise<boolean>, what: string): Promise<void> {
      for (let i = 0; i < 40; i++) {
        if (await done()) return;
        await page.keyboard.press('Tab');
      }
      throw new Error(`Tab never reached ${what}`);
    }

    // The map is one Tab stop (roving tabindex) that starts at the first seat.
    await tabUntil(async () => (await focused()) !== null, 'the seat map');
    const rows = map.rows.map((r) => [...r.seats].sort((p, q) => p.col - q.col));
    t.is(await focused(), rows[0]![0]!.id);
    const outline = await page.evaluate(
      () => getComputedStyle(document.activeElement as Element).outlineStyle,
    );
    t.not(outline, 'none', 'the focused seat shows a visible focus ring');

    await page.keyboard.press('ArrowRight');
    t.is(await focused(), rows[0]![1]!.id, 'ArrowRight moves along the row');
    await page.keyboard.press('ArrowDown');
    const second = (await focused())!;
    t.true(
      rows[1]!.some((s) => s.id === second),
      'ArrowDown moves to the next row',
    );
    await page.keyboard.press('Space');
    await seat(page, second, 'selected').waitFor();
    await page.keyboard.press('ArrowRight');
    const third = (await focused())!;
    await page.keyboard.press('Enter');
    await seat(page, third, 'selected').waitFor();
    await page.keyboard.press('Space');
    await seat(page, third, 'available').waitFor();
    await page.keyboard.press('Enter');
    await seat(page, third, 'selected').waitFor();

    await tabUntil(async () => (await focusedText()) === 'Hold 2 seats', 'the hold button');
    await page.keyboard.press('Enter');
    await page.getByTestId('hold-countdown').waitFor();
    await tabUntil(async () => (await focusedText()) === 'Continue to checkout', 'the checkout button');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Checkout' }).waitFor();
    await tabUntil(async () => page.evaluate(() => document.activeElement?.id === 'name'), 'the name field');
    await page.keyboard.type('Alan Turing');
    await page.keyboard.press('Tab');
    await page.keyboard.type('alan@example.org');
    await tabUntil(async () => (await focusedText()).startsWith('Confirm and pay'), 'the confirm button');
    await page.keyboard.press('Enter');
    const code = ((await page.getByTestId('booking-code').textContent()) ?? '').trim();
    const booking = await rpc(page, 'bookings.get', { code });
    t.deepEqual([...booking.seatIds].sort(), [second, third].sort());
    clean(t, w);
  },
);

test.serial('a choice that strands a single seat is warned about', async (t) => {
  const w = await open(t);
  const { page } = w;
  const show = await t.context.pool.take(page);
  const [a, lone, c] = await firstAvailableRun(page, show.id, 3);
  await page.goto(`${t.context.stack.url}${showPath(show)}`);
  await seat(page, a!, 'available').click();
  await seat(page, c!, 'available').click();
  const warning = page.getByTestId('single-seat-warning');
  await warning.waitFor();
  t.true(((await warning.textContent()) ?? '').includes(lone!));
  await seat(page, lone!, 'available').click();
  await seat(page, lone!, 'selected').waitFor();
  // Taking the lone seat too ends the warning about it. (Another seat may still be stranded
  // when earlier tests booked next to this run; that warning would be right, and is not this.)
  const warnsAboutLone = async () =>
    (await warning.count()) > 0 && new RegExp(`\\b${lone}\\b`).test((await warning.textContent()) ?? '');
  for (let i = 0; i < 50 && (await warnsAboutLone()); i++) await page.waitForTimeout(100);
  t.false(await warnsAboutLone(), `no warning about ${lone} once it is taken`);
  clean(t, w);
});

test.serial(
  'every screen works on a phone, with no console errors and nothing wider than the screen',
  async (t) => {
    const phone = { width: 390, height: 844 };
    const w = await open(t, '/', phone);
    const { page } = w;
    const show = await t.context.pool.take(page);
    const fits = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

    await page.getByTestId('movie-card').first().waitFor();
    t.true(await fits(), 'now showing fits');
    await page.goto(`${t.context.stack.url}/movies/${show.movieId}`);
    await page.locator(`[data-show="${show.id}"]`).waitFor();
    t.true(await fits(), 'movie page fits');
    await page.goto(`${t.context.stack.url}${showPath(show)}`);
    await page.locator('[data-seat]').first().waitFor();
    t.true(await fits(), 'seat picker fits (the hall scrolls inside its own box)');
    await page.goto(`${t.context.stack.url}/lookup`);
    await page.getByLabel('Booking code').waitFor();
    t.true(await fits(), 'lookup fits');
    await page.goto(`${t.context.stack.url}/cluster`);
    await page.locator('[data-role="master"]').first().waitFor();
    t.true(await fits(), 'cluster dashboard fits');
    t.is(await page.locator('[data-testid^="node-"]').count(), t.context.stack.nodes);
    await page.getByTestId('timeline').locator('li').first().waitFor();
    await page.goto(`${t.context.stack.url}/no/such/page`);
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    t.regex((await page.getByTestId('connection').textContent()) ?? '', /Connected to node \d+/);
    clean(t, w);
  },
);

test.serial(
  'a show that has already started says so on the movie page and cannot be opened for booking',
  async (t) => {
    const real = await open(t);
    const show = await t.context.pool.take(real.page);
    const movie = await rpc(real.page, 'catalog.movie', { movieId: show.movieId });
    const startsAt = Date.parse(show.startsAt);
    const later = movie.shows.find((s) => Date.parse(s.startsAt) > startsAt + 60 * 60_000);
    t.truthy(later, 'the movie has a show later than the one that will have started');

    // The same cluster, seen by a customer whose clock says the show began five minutes ago.
    const w = await open(t, '');
    const { page } = w;
    await page.clock.install({ time: startsAt + 5 * 60_000 });
    await page.goto(`${t.context.stack.url}/movies/${show.movieId}`);
    const closed = page.locator(`[data-testid="showtime-closed"][data-show="${show.id}"]`);
    await closed.waitFor();
    t.regex((await closed.textContent()) ?? '', /Started/);
    t.regex((await closed.getAttribute('aria-label')) ?? '', /already started, no longer bookable$/);
    t.is(await page.locator(`a[data-show="${show.id}"]`).count(), 0, 'no link to the seat map');
    await closed.click();
    t.true(page.url().endsWith(`/movies/${show.movieId}`), 'clicking it goes nowhere');
    await page.locator(`a[data-show="${later!.id}"]`).waitFor();

    // A bookmark or a shared link to its seat map: told, no seats offered, pointed elsewhere.
    await page.goto(`${t.context.stack.url}${showPath(show)}`);
    await page.getByRole('heading', { level: 1, name: 'This show has started' }).waitFor();
    t.regex((await page.getByTestId('picker-error').textContent()) ?? '', /can no longer be booked/);
    t.is(await page.locator('[data-seat]').count(), 0);
    await page.getByRole('link', { name: 'Other showtimes' }).click();
    await page.locator(`a[data-show="${later!.id}"]`).waitFor();

    // With the real clock the show is still ahead, and bookable.
    await real.page.goto(`${t.context.stack.url}/movies/${show.movieId}`);
    await real.page.locator(`a[data-show="${show.id}"]`).waitFor();
    clean(t, real, w);
  },
);

test.serial("navigating moves focus to the new page's heading, not on the first load", async (t) => {
  const w = await open(t);
  const { page } = w;
  const show = await t.context.pool.take(page);
  const movie = await rpc(page, 'catalog.movie', { movieId: show.movieId });
  const headingFocused = (text: string) =>
    page.waitForFunction((want) => {
      const el = document.activeElement;
      return el?.tagName === 'H1' && (el.textContent ?? '').trim() === want;
    }, text);

  await page.getByTestId('movie-card').first().waitFor();
  t.is(await page.evaluate(() => document.activeElement?.tagName), 'BODY', 'first load: focus untouched');

  await page.getByTestId('movie-card').filter({ hasText: movie.title }).first().click();
  await headingFocused(movie.title);
  t.is(await page.evaluate(() => document.activeElement?.getAttribute('tabindex')), '-1', 'not a tab stop');

  await page.locator(`[data-show="${show.id}"]`).click();
  await headingFocused(movie.title);
  await page.locator('[data-seat]').first().waitFor();

  // From the header's own link (which stays on the page): focus still moves into the new page.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Find booking' }).click();
  await headingFocused('Find a booking');
  // Tab from the heading reaches the page's first control, as after a page load.
  await page.keyboard.press('Tab');
  t.is(await page.evaluate(() => document.activeElement?.id), 'code');
  clean(t, w);
});

test.serial(
  "the ticket's buttons do not move once shown, even when the show's details arrive late",
  async (t) => {
    // The flaky lookup test's cause: under load the show's details (three catalog calls) came after
    // the ticket was drawn, its rows pushed the buttons down between Playwright's mouse down and up,
    // and the click on "Cancel booking" landed on what had moved under the pointer. A slow catalog,
    // made so on purpose here, must not move anything the customer can click.
    const w = await open(t, '');
    const { page } = w;
    await page.routeWebSocket(/\/rpc$/, (ws) => {
      const server = ws.connectToServer();
      const methods = new Map<unknown, string>();
      ws.onMessage((message) => {
        const call = JSON.parse(String(message)) as { id?: unknown; method?: string };
        if (call.id !== undefined && call.method) methods.set(call.id, call.method);
        server.send(message);
      });
      server.onMessage((message) => {
        const reply = JSON.parse(String(message)) as { id?: unknown };
        const slow = methods.get(reply.id)?.startsWith('catalog.') && reply.id !== undefined;
        if (slow) setTimeout(() => ws.send(message), 1500);
        else ws.send(message);
      });
    });
    await page.goto(`${t.context.stack.url}/lookup`);
    const show = await t.context.pool.take(page);
    const movie = await rpc(page, 'catalog.movie', { movieId: show.movieId });
    const seatIds = await firstAvailableRun(page, show.id, 2);
    const booking = await rpc(page, 'bookings.book', {
      showId: show.id,
      seatIds,
      customer: { name: 'Katherine Johnson', email: 'kj@example.org' },
    });
    await page.getByLabel('Booking code').fill(booking.code);
    await page.getByRole('button', { name: 'Find booking' }).click();

    const cancel = page.getByRole('button', { name: 'Cancel booking' });
    await cancel.waitFor();
    const first = await cancel.boundingBox();
    await page.getByRole('heading', { level: 1, name: movie.title }).waitFor();
    await page.waitForTimeout(2000); // past every delayed reply
    t.deepEqual(await cancel.boundingBox(), first, 'the button stayed where it was first drawn');
    await cancel.click();
    await page.getByRole('button', { name: 'Yes, cancel this booking' }).click();
    await page.getByTestId('booking-status').filter({ hasText: 'cancelled' }).waitFor();
    clean(t, w);
  },
);

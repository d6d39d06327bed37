/** The QR pool: codes asked for in one turn travel as one task; each caller gets its own token's code. */
import test from 'ava';
import { TicketWorkers } from '../../src/booking/worker-pool.js';

test('codes asked for in one turn are drawn by one task; a repeat is drawn once; later turns post again', async (t) => {
  const workers = new TicketWorkers(1);
  try {
    const tokens = ['tok-a', 'tok-b', 'tok-c', 'tok-a', 'tok-d'];
    const svgs = await Promise.all(tokens.map((x) => workers.qr(x)));
    t.is(workers.tasks, 1, 'one post for the turn');
    t.is(workers.codes, 4, 'tok-a drawn once for both callers');
    t.is(svgs[0], svgs[3]);
    t.is(new Set(svgs).size, 4, 'different tokens, different codes');
    for (const svg of svgs) t.regex(svg, /^<svg[\s\S]*<\/svg>\s*$/);

    // Drawn alone, in a pool of its own, a token gets the same code: batching changes nothing drawn.
    const alone = new TicketWorkers(1);
    try {
      t.is(await alone.qr('tok-c'), svgs[2]!);
    } finally {
      await alone.close();
    }

    t.is(await workers.qr('tok-b'), svgs[1]!, 'a recent code comes from the cache');
    t.is(workers.tasks, 1);
    await workers.qr('tok-e');
    t.is(workers.tasks, 2, 'a new turn posts a new task');
  } finally {
    await workers.close();
  }
});

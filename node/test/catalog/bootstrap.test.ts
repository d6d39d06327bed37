/** The bundled catalog of a new cluster is loaded in the end, whatever failovers interrupt it. */
import test from 'ava';
import { CATALOG_RETRY_MS, CatalogBootstrap } from '../../src/catalog/bootstrap.js';

/** A bootstrap over a fake cluster: imports resolve or reject when the test says so. */
function harness(opts: { movies?: number } = {}) {
  let movies = opts.movies ?? 0;
  let master = true;
  const timers: { fn: () => void; ms: number }[] = [];
  const imports: { resolve: () => void; reject: (error: Error) => void }[] = [];
  const failures: unknown[] = [];
  const bootstrap = new CatalogBootstrap({
    countMovies: async () => movies,
    isMaster: () => master,
    importBundled: () =>
      new Promise<void>((resolve, reject) =>
        imports.push({
          resolve: () => {
            movies = 10;
            resolve();
          },
          reject,
        }),
      ),
    onLoaded: () => {},
    onFailed: (error) => failures.push(error),
    setTimer: (fn, ms) => {
      const timer = { fn, ms };
      timers.push(timer);
      return timer;
    },
    clearTimer: (handle) => timers.splice(timers.indexOf(handle as (typeof timers)[0]), 1),
  });
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  const fireTimers = async () => {
    for (const timer of timers.splice(0)) timer.fn();
    await settle();
  };
  return {
    bootstrap,
    imports,
    timers,
    failures,
    settle,
    fireTimers,
    setMaster: (value: boolean) => {
      master = value;
    },
  };
}

test('an import lost in a failover that this node wins again is retried, not dropped', async (t) => {
  const h = harness();
  h.bootstrap.serving(); // master in epoch 1: the import starts
  await h.settle();
  t.is(h.imports.length, 1);
  h.bootstrap.serving(); // stepped down and won epoch 3 while the first import still waits
  await h.settle();
  t.is(h.imports.length, 1, 'one import at a time');
  h.imports[0]!.reject(new Error('the write was not committed in time'));
  await h.settle();
  t.is(h.failures.length, 1);
  t.false(h.bootstrap.loaded);
  t.deepEqual(
    h.timers.map((x) => x.ms),
    [CATALOG_RETRY_MS],
  );
  await h.fireTimers();
  t.is(h.imports.length, 2);
  h.imports[1]!.resolve();
  await h.settle();
  t.true(h.bootstrap.loaded);
  t.is(h.timers.length, 0);
  h.bootstrap.serving(); // a later master does nothing
  await h.settle();
  t.is(h.imports.length, 2);
});

test('a master whose import fails keeps trying for as long as it is master', async (t) => {
  const h = harness();
  h.bootstrap.serving();
  for (let i = 0; i < 3; i++) {
    await h.settle();
    h.imports[i]!.reject(new Error('NO_MASTER'));
    await h.settle();
    await h.fireTimers();
  }
  t.is(h.imports.length, 4);
  t.is(h.failures.length, 3);
});

test('a node that is no longer master leaves the import to the next master', async (t) => {
  const h = harness();
  h.bootstrap.serving();
  await h.settle();
  h.setMaster(false);
  h.imports[0]!.reject(new Error('NO_MASTER'));
  await h.settle();
  t.is(h.timers.length, 0);
  h.bootstrap.serving(); // serving again later, as a slave: nothing to import on a slave
  await h.settle();
  t.is(h.imports.length, 1);
  h.setMaster(true);
  h.bootstrap.serving(); // master again
  await h.settle();
  t.is(h.imports.length, 2);
});

test('a catalog already applied is never imported again; close stops a pending retry', async (t) => {
  const present = harness({ movies: 5 });
  present.bootstrap.serving();
  await present.settle();
  t.is(present.imports.length, 0);
  t.true(present.bootstrap.loaded);

  const h = harness();
  h.bootstrap.serving();
  await h.settle();
  h.imports[0]!.reject(new Error('NO_MASTER'));
  await h.settle();
  t.is(h.timers.length, 1);
  h.bootstrap.close();
  t.is(h.timers.length, 0);
  h.bootstrap.serving();
  await h.settle();
  t.is(h.imports.length, 1);
});

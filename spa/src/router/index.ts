import { createRouter, createWebHistory, START_LOCATION } from 'vue-router';
import { focusPageHeading } from '../lib/focus.ts';
import NowShowing from '../views/NowShowing.vue';

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/', name: 'home', component: NowShowing, meta: { title: 'Now showing' } },
    {
      path: '/movies/:movieId',
      name: 'movie',
      component: () => import('../views/MoviePage.vue'),
      props: true,
      meta: { title: 'Movie' },
    },
    {
      path: '/movies/:movieId/shows/:showId',
      name: 'seats',
      component: () => import('../views/SeatPicker.vue'),
      props: true,
      meta: { title: 'Pick your seats' },
    },
    {
      path: '/checkout',
      name: 'checkout',
      component: () => import('../views/CheckoutPage.vue'),
      meta: { title: 'Checkout' },
    },
    {
      path: '/tickets/:code',
      name: 'ticket',
      component: () => import('../views/TicketPage.vue'),
      props: true,
      meta: { title: 'Your ticket' },
    },
    {
      path: '/lookup',
      name: 'lookup',
      component: () => import('../views/LookupPage.vue'),
      meta: { title: 'Find a booking' },
    },
    {
      path: '/cluster',
      name: 'cluster',
      component: () => import('../views/ClusterDashboard.vue'),
      meta: { title: 'Cluster' },
    },
    {
      path: '/:rest(.*)*',
      name: 'not-found',
      component: () => import('../views/NotFound.vue'),
      meta: { title: 'Not found' },
    },
  ],
  scrollBehavior: () => ({ top: 0 }),
});

router.afterEach((to, from, failure) => {
  document.title = `${String(to.meta.title ?? 'Booking')} · Booking`;
  // Not on the first load (the browser starts at the top, as on any page load), nor after a
  // navigation that did not happen.
  if (failure || from === START_LOCATION) return;
  const main = document.getElementById('main');
  if (main) focusPageHeading(main);
});

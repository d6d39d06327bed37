/**
 * Focus after a client-side navigation. A single-page app does not reload, so a screen reader
 * announces nothing and keyboard focus stays on a link that may be gone. Moving focus to the new
 * page's main heading announces the page and starts the keyboard there, as a page load would.
 */

/** Pages that load their data first show their heading late; past this, we give up. */
const WAIT_FOR_HEADING_MS = 5_000;

let pending: (() => void) | null = null;

/**
 * Focuses the first `h1` inside `root` once it is rendered. Focus is moved only while the user has
 * not put it inside the new page themselves (it is on the body, or still outside `root`, e.g. on
 * the header link they used). A newer navigation cancels an older one that still waits.
 */
export function focusPageHeading(root: HTMLElement, timeoutMs = WAIT_FOR_HEADING_MS): void {
  pending?.();
  const ownsFocus = () => {
    const active = root.ownerDocument.activeElement;
    return !active || active === root.ownerDocument.body || active === root || !root.contains(active);
  };
  const tryFocus = (): boolean => {
    const heading = root.querySelector('h1');
    if (!heading) return false;
    if (ownsFocus()) {
      // Focusable by script only: a heading must not become a tab stop.
      if (!heading.hasAttribute('tabindex')) heading.setAttribute('tabindex', '-1');
      heading.focus({ preventScroll: true });
    }
    return true;
  };
  const observer = new MutationObserver(() => {
    if (tryFocus()) stop();
  });
  const timer = setTimeout(() => stop(), timeoutMs);
  const stop = () => {
    observer.disconnect();
    clearTimeout(timer);
    if (pending === stop) pending = null;
  };
  pending = stop;
  // After the router's render: the old page's heading is gone by then.
  setTimeout(() => {
    if (pending !== stop) return;
    if (tryFocus()) stop();
    else observer.observe(root, { childList: true, subtree: true });
  }, 0);
}

/** The dashboard's timeline: events from every node merged in (lamport, nodeId) order. */
import type { ClusterEvent } from '@booking/node/protocol';

export function eventKey(event: ClusterEvent): string {
  return `${event.nodeId}:${event.lamport}:${event.type}`;
}

export function compareEvents(a: ClusterEvent, b: ClusterEvent): number {
  return a.lamport - b.lamport || a.nodeId - b.nodeId;
}

/** Adds new events to a sorted, de-duplicated list, keeping at most `limit` of the newest. */
export function mergeEvents(current: ClusterEvent[], incoming: ClusterEvent[], limit = 300): ClusterEvent[] {
  const seen = new Set(current.map(eventKey));
  const fresh = incoming.filter((event) => {
    const key = eventKey(event);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (fresh.length === 0) return current;
  const merged = [...current, ...fresh].sort(compareEvents);
  return merged.length > limit ? merged.slice(merged.length - limit) : merged;
}

/** One line about an event's detail for the timeline. */
export function describeDetail(detail: Record<string, unknown>): string {
  return Object.entries(detail)
    .filter(([, value]) => value !== null && value !== undefined && typeof value !== 'object')
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(' ');
}

/** Runs in a piscina worker thread: the CPU work of tickets, off the event loop. */
import { qrSvg } from './qr.js';

/** QR codes for many tokens in one task: a post to a thread costs more than drawing one code. */
export type TicketTask = { op: 'qr'; texts: string[] };

export default function run(task: TicketTask): string[] {
  return task.texts.map(qrSvg);
}

/** Runs in a piscina worker thread: the CPU work of tickets, off the event loop. */
import QRCode from 'qrcode';
import { signTicket, type TicketPayload } from './tickets.js';

export type TicketTask = { op: 'sign'; secret: string; payload: TicketPayload } | { op: 'qr'; text: string };

export default async function run(task: TicketTask): Promise<string> {
  if (task.op === 'sign') return signTicket(task.secret, task.payload);
  return QRCode.toString(task.text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

import type { DeliveryClass } from '../protocol/channels.js';
import type { PartySocket } from './party.js';

/** Why a message was not delivered. Also the `reason` label of relaydesk_dropped_messages_total. */
export type DropReason = 'backpressure' | 'not_granted' | 'wrong_direction' | 'no_peer' | 'unknown_channel' | 'slow_consumer';

export interface QueueLimits {
  /** Past this many queued bytes a receiver of reliable data is disconnected. */
  reliableQueueBytes: number;
  /** Past this many queued bytes droppable messages are dropped instead of queued. */
  droppableQueueBytes: number;
}

/** uWS send() result for a message refused past maxBackpressure (0 = queued, 1 = written). */
const SEND_DROPPED = 2;

export type DeliveryOutcome = 'sent' | 'dropped' | 'overflow';

/**
 * Sends one message with the gateway's rule for slow receivers. Hot path: no allocation.
 * - droppable: skipped while the receiver already has `droppableQueueBytes` queued ('dropped');
 * - reliable: queued up to `reliableQueueBytes`; past that the caller must disconnect the receiver ('overflow'),
 *   because silently losing reliable data (chat, input, files) is worse than a clear disconnect.
 * uWS's own maxBackpressure is set above reliableQueueBytes, so SEND_DROPPED only happens past our cap too.
 */
export function deliver(ws: PartySocket, data: ArrayBuffer | Uint8Array | string, isBinary: boolean, cls: DeliveryClass, limits: QueueLimits): DeliveryOutcome {
  const queued = ws.getBufferedAmount();
  if (cls === 'droppable') {
    if (queued > limits.droppableQueueBytes) return 'dropped';
    return ws.send(data, isBinary) === SEND_DROPPED ? 'dropped' : 'sent';
  }
  const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
  if (queued + size > limits.reliableQueueBytes) return 'overflow';
  // SEND_BACKPRESSURE means queued inside uWS: it drains by itself and getBufferedAmount() counts it.
  return ws.send(data, isBinary) === SEND_DROPPED ? 'overflow' : 'sent';
}

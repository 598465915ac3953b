import uws from 'uWebSockets.js';
import type { GatewayConfig } from '../config/load-config.js';

/** uWS closes a socket silent this long (it pings first), so dead peers are found without our help. */
export const SOCKET_IDLE_SECONDS = 60;

/**
 * The uWS options of the customer and technician WebSockets, in one place: the gateway uses them, and so does
 * the relay benchmark's bare uWS.js floor (bench/relay/uws-floor-server.ts), so the floor pays what the gateway's
 * sockets pay per message and nothing else.
 */
export function relaySocketOptions(config: Pick<GatewayConfig, 'maxMessageBytes' | 'reliableQueueBytes'>) {
  return {
    // Twice our limit: up to there the relay refuses with a clear E_MESSAGE_TOO_LARGE close (4413);
    // past it uWS drops the connection without a close frame, bounding what one message can make us buffer.
    maxPayloadLength: config.maxMessageBytes * 2,
    // Above our own reliable cap, so uWS never drops silently before deliver() has decided (relay/deliver.ts).
    maxBackpressure: config.reliableQueueBytes + config.maxMessageBytes * 2,
    closeOnBackpressureLimit: 0,
    // uWS's default, said out loud: relayed data is relayed as it came (the SDK turns permessage-deflate off too).
    compression: uws.DISABLED,
    idleTimeout: SOCKET_IDLE_SECONDS,
    sendPingsAutomatically: true,
  } satisfies Partial<uws.WebSocketBehavior<unknown>>;
}

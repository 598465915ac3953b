import { Channel, type SessionConnection } from '../../../clients/sdk/src/node.js';

/**
 * Keeps a paired session busy: every `everyMs` the customer sends a numbered chat line and the technician a
 * numbered data message (reliable channel). Records what arrives, so a test can check that every message got
 * through, in order, while the registry underneath fails over.
 */
export function pump(customer: SessionConnection, technician: SessionConnection, everyMs: number) {
  let sent = 0;
  const chats: number[] = [];
  const data: number[] = [];
  customer.on('data', (channel, payload) => {
    if (channel === Channel.data) data.push(new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(0));
  });
  technician.on('chat', (m) => chats.push(Number(m.text.slice(4))));
  const timer = setInterval(() => {
    const payload = new Uint8Array(4);
    new DataView(payload.buffer).setUint32(0, sent);
    customer.chat(`seq ${sent}`);
    technician.send(Channel.data, payload);
    sent++;
  }, everyMs);
  return {
    stop: () => clearInterval(timer),
    get sent() {
      return sent;
    },
    chats,
    data,
  };
}

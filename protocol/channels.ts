/**
 * Binary messages carry their channel in the first byte. Shared by the gateway and every client (no Node
 * APIs here: the browser SDK imports it too).
 *
 * Delivery classes (docs/protocol.md):
 * - control: small, ordered, reliable (JSON control messages; input events);
 * - bulk: reliable, with end-to-end credit flow control (the sender waits for credit, the receiver is never
 *   dropped for reading slowly);
 * - media: the screen module decides (screen packets are repaired, never queued without bound).
 */
export type DeliveryClass = 'control' | 'bulk' | 'media';
export type Power = 'view' | 'control' | 'files' | 'clipboard' | 'sysinfo';
export const powers: readonly Power[] = ['view', 'control', 'files', 'clipboard', 'sysinfo'];

/** Who receives a channel's frames. */
export type Route = 'viewers' | 'controller' | 'customer' | 'technicians';

export interface ChannelSpec {
  id: number;
  name: string;
  class: DeliveryClass;
  /** Who may send on it: the customer, the technician holding control, or any technician. */
  from: 'customer' | 'controller' | 'technician' | 'any';
  /** The customer grant it needs; undefined = always allowed once paired. */
  needs?: Power;
}

export const channels = {
  /** Codec packets behind a 9-byte screen header (protocol/screen-header.ts). Customer → viewers. */
  screen: { id: 0x01, name: 'screen', class: 'media', from: 'customer', needs: 'view' },
  /** Keyboard and mouse events for the customer's machine, from the technician holding control. */
  input: { id: 0x02, name: 'input', class: 'control', from: 'controller', needs: 'control' },
  /** File chunks, either way, after an accepted file offer. */
  file: { id: 0x03, name: 'file', class: 'bulk', from: 'any', needs: 'files' },
  /** Opaque application data that needs no grant (e.g. SDK-level pings, test traffic). */
  data: { id: 0x04, name: 'data', class: 'bulk', from: 'any' },
  /** Cursor position and shape. Customer → viewers; latest wins. */
  cursor: { id: 0x05, name: 'cursor', class: 'media', from: 'customer', needs: 'view' },
} as const satisfies Record<string, ChannelSpec>;

export type ChannelName = keyof typeof channels;

/** Lookup by first byte; index = channel id. */
export const channelById: (ChannelSpec | undefined)[] = [];
for (const spec of Object.values(channels)) channelById[spec.id] = spec;

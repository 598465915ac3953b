/**
 * Binary messages carry their channel in the first byte. The gateway relays the bytes untouched;
 * the channel only decides the delivery class and which customer grant the message needs.
 */
export type DeliveryClass = 'reliable' | 'droppable';
export type Power = 'view' | 'control' | 'files';

export interface ChannelSpec {
  id: number;
  name: string;
  class: DeliveryClass;
  /** Who may send on it. */
  from: 'customer' | 'technician' | 'both';
  /** The customer grant it needs; undefined = always allowed once paired. */
  needs?: Power;
}

export const channels = {
  /** Codec packets (docs/codec.md). Droppable: a viewer that falls behind gets a keyframe instead. */
  screen: { id: 0x01, name: 'screen', class: 'droppable', from: 'customer', needs: 'view' },
  /** Keyboard and mouse events for the customer's machine. */
  input: { id: 0x02, name: 'input', class: 'reliable', from: 'technician', needs: 'control' },
  /** File chunks, either way, after an accepted file offer. */
  file: { id: 0x03, name: 'file', class: 'reliable', from: 'both', needs: 'files' },
  /** Opaque application data that needs no grant (e.g. SDK-level pings, test traffic). */
  data: { id: 0x04, name: 'data', class: 'reliable', from: 'both' },
} as const satisfies Record<string, ChannelSpec>;

export type ChannelName = keyof typeof channels;

/** Lookup by first byte; index = channel id. */
export const channelById: (ChannelSpec | undefined)[] = [];
for (const spec of Object.values(channels)) channelById[spec.id] = spec;

/** A text message's characters, from a uWS message buffer or a link frame's bytes (read in place, not copied). */
export function messageText(data: ArrayBuffer | Uint8Array): string {
  return (data instanceof Uint8Array ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data)).toString('utf8');
}

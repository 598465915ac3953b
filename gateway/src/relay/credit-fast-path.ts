/**
 * Bulk credit is the one control message that comes at a data rate (a receiver returns credit every eighth of
 * the window: every 32 messages at 1 KiB). Through JSON.parse, the valibot schema and control() each one cost
 * about as much as a relayed frame (4 % of the gateway's CPU in the 1 KiB relay bench). The SDK writes it in one
 * exact form, `{"v":1,"type":"credit","bytes":N}` (JSON.stringify of { v: 1, type, bytes }); that form is
 * recognised here from the raw bytes, and anything else (other spacing, key order, fields) takes the full
 * parser, so what is accepted and what is refused does not change.
 */
const PREFIX = Buffer.from('{"v":1,"type":"credit","bytes":', 'latin1');
/** Digits of Number.MAX_SAFE_INTEGER, the schema's upper bound (protocol/messages.ts `count`). */
const MAX_DIGITS = 16;
const ZERO = 0x30;
const NINE = 0x39;
const CLOSE_BRACE = 0x7d;

/** The credit's byte count if `data` is exactly the SDK's credit message, else -1 (parse it the usual way). */
export function exactCreditBytes(data: Uint8Array): number {
  const n = data.byteLength;
  const digits = n - PREFIX.length - 1;
  if (digits < 1 || digits > MAX_DIGITS || data[n - 1] !== CLOSE_BRACE) return -1;
  for (let i = 0; i < PREFIX.length; i++) if (data[i] !== PREFIX[i]) return -1;
  const first = PREFIX.length;
  // JSON numbers have no leading zeros ("0" itself is fine).
  if (digits > 1 && data[first] === ZERO) return -1;
  let value = 0;
  for (let i = first; i < n - 1; i++) {
    const c = data[i]!;
    if (c < ZERO || c > NINE) return -1;
    value = value * 10 + (c - ZERO);
  }
  return value <= Number.MAX_SAFE_INTEGER ? value : -1;
}

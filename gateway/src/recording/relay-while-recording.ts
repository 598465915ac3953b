/**
 * Which signals a recorded session refuses: those that set up or announce a direct path (topic `path`,
 * docs/protocol.md "Paths"), since a direct path carries the picture past the recorder. Announcing a fall
 * back to the relay (`using` `relay`) and every other topic (the relay's own `ack` signals) still pass.
 */
export function leavesRelay(data: Record<string, unknown>): boolean {
  if (data.topic !== 'path') return false;
  return !(data.step === 'using' && data.path === 'relay');
}

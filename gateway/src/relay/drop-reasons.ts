/** Why a message was not delivered. Also the `reason` label of relaydesk_dropped_messages_total. */
export type DropReason =
  | 'backpressure'
  | 'not_granted'
  | 'not_controller'
  | 'wrong_direction'
  | 'no_peer'
  | 'unknown_channel'
  | 'slow_consumer'
  | 'flow_control'
  /** A file chunk outside an accepted offer (files/file-control.ts). */
  | 'file_refused';

export const dropReasons: readonly DropReason[] = ['backpressure', 'not_granted', 'not_controller', 'wrong_direction', 'no_peer', 'unknown_channel', 'slow_consumer', 'flow_control', 'file_refused'];

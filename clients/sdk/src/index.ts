export { RelaydeskClient, type CreatedSession, type LoginResult, type SessionInfo, type WaitingSession, type ClientOptions } from './client.js';
export { SessionConnection, Channel, defaultReconnect, type Power, type SessionState, type StateEvent, type SessionEvents, type ReconnectOptions, type ParticipantsEvent, type ParticipantInfo, type Role } from './session-connection.js';
export { RelaydeskError } from './errors.js';
export type { Transport, SocketLike, HttpResult } from './transport.js';

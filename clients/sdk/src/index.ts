export { RelaydeskClient, SecondFactorRequiredError, type CreatedSession, type LoginResult, type SecondFactorChallenge, type TotpEnrolment, type SessionInfo, type WaitingSession, type ClientOptions } from './client.js';
export { SessionConnection, Channel, defaultReconnect, type Power, type SessionState, type StateEvent, type SessionEvents, type ReconnectOptions, type ParticipantsEvent, type ParticipantInfo, type Role, type FileMessage } from './session-connection.js';
export { RelaydeskError } from './errors.js';
export type { Transport, SocketLike, HttpResult } from './transport.js';
export { ScreenReceiver, type FrameDecoder, type ReceiveOutcome, type ScreenReceiverOptions } from './screen/screen-receiver.js';
export { ScreenSender, type ScreenSenderOptions } from './screen/screen-sender.js';
export { FileTransfers, OutgoingFile, IncomingFile, type FileSource, type FileSink, type FileInfo, type FileOutcome, type FileTransfersOptions, type IncrementalHash } from './files/file-transfers.js';
export { bytesSource, blobSource } from './files/file-sources.js';
export { describeSize } from './files/describe-size.js';

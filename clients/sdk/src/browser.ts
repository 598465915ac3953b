/** Browser entry point: the SDK plus the fetch/WebSocket transport. */
export * from './index.js';
export { browserTransport } from './browser-transport.js';

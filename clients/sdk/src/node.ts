/** Node entry point: the SDK plus the Node transport (TLS pinning, source address). */
export * from './index.js';
export { nodeTransport, type NodeTransportOptions } from './node-transport.js';

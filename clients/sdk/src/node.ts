/** Node entry point: the SDK plus the Node transport (TLS pinning, source address). */
export * from './index.js';
export { nodeTransport, type NodeTransportOptions } from './node-transport.js';
export { ConnectProxyAgent, proxyFromEnvironment } from './connect-proxy.js';
export { stunBinding, reflexiveAddress } from './paths/stun-client.js';
export { fileSource } from './files/node-file-source.js';
export { nodeSha256 } from './files/node-sha256.js';

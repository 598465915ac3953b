/**
 * The handshake floor: a bare TLS server answering one tiny HTTP response per connection, as its own
 * process so its CPU is measurable. `node --import tsx bench/tls/tls-server.ts uws|node CERT KEY`; prints
 * its port. `uws`: uWebSockets.js SSLApp with the gateway's cipher list (what the gateway's listener does
 * at the TLS level); `node`: node:tls with the same policy and a ticket key given on stdin's first line
 * (hex, 48 bytes), the way a cluster would share one (node:tls has setTicketKeys; uWS.js has no such option).
 */
import { createServer } from 'node:tls';
import { readFileSync } from 'node:fs';
import uws from 'uWebSockets.js';
import { gatewayTlsCiphers, nodeTlsPolicy } from '../../gateway/src/pki/tls-policy.js';

const [kind, certFile, keyFile, ticketKeyHex] = process.argv.slice(2);
if ((kind !== 'uws' && kind !== 'node') || !certFile || !keyFile) {
  process.stderr.write('usage: tls-server.ts uws|node CERT KEY [TICKET_KEY_HEX]\n');
  process.exit(2);
}
const reply = 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok';
if (kind === 'uws') {
  const app = uws.SSLApp({ cert_file_name: certFile, key_file_name: keyFile, ssl_ciphers: gatewayTlsCiphers });
  app.get('/*', (res) => void res.end('ok'));
  app.listen('127.0.0.1', 0, (s) => {
    if (!s) process.exit(1);
    process.stdout.write(`${uws.us_socket_local_port(s)}\n`);
  });
} else {
  const server = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile), ...nodeTlsPolicy, ...(ticketKeyHex ? { ticketKeys: Buffer.from(ticketKeyHex, 'hex') } : {}) }, (socket) => {
    socket.once('data', () => socket.end(reply));
    socket.on('error', () => {});
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as { port: number }).port}\n`));
}
process.on('SIGTERM', () => process.exit(0));

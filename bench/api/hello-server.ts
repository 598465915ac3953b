/**
 * The `api` baseline: a bare uWS.js hello-world with the gateway's TLS setup (SSLApp, the gateway's own
 * certificate and key files, the same cipher list), answering POST /v1/sessions with a 201 and a JSON body
 * shaped like the gateway's. Run as its own process: `node --import tsx bench/api/hello-server.ts CERT KEY`;
 * prints its port on stdout.
 */
import uws from 'uWebSockets.js';
import { gatewayTlsCiphers } from '../../gateway/src/pki/tls-policy.js';

const [certFile, keyFile] = process.argv.slice(2);
if (!certFile || !keyFile) {
  process.stderr.write('usage: hello-server.ts CERT KEY\n');
  process.exit(2);
}
const body = JSON.stringify({ guid: '0123456789abcdef0123456789abcdef', pin: '123456789', state: 'created', expiresAt: 1_800_000_000_000 });
const app = uws.SSLApp({ cert_file_name: certFile, key_file_name: keyFile, ssl_ciphers: gatewayTlsCiphers });
app.post('/v1/sessions', (res) => {
  // Read (and drop) the request body like a real handler would before answering.
  res.onAborted(() => {});
  res.onData((_chunk, last) => {
    if (last) res.cork(() => res.writeStatus('201 Created').writeHeader('content-type', 'application/json').end(body));
  });
});
app.any('/*', (res) => void res.writeStatus('404 Not Found').end());
app.listen('127.0.0.1', 0, (socket) => {
  if (!socket) {
    process.stderr.write('hello-server: listen failed\n');
    process.exit(1);
  }
  process.stdout.write(`${uws.us_socket_local_port(socket)}\n`);
});
process.on('SIGTERM', () => process.exit(0));

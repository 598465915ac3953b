import net from 'node:net';
import uws from 'uWebSockets.js';

/**
 * uWS opens listening sockets with SO_REUSEPORT unless told otherwise, so a second gateway on a taken port
 * would listen too and silently share its connections. LIBUS_LISTEN_EXCLUSIVE_PORT (1 in uWS's
 * `ListenOptions`, not exported at run time) makes that bind fail instead.
 */
const LIBUS_LISTEN_EXCLUSIVE_PORT = 1;

/** `listen(host, port, options, cb)`: in uWS.js, missing from its type declarations (they have it without host). */
type ListenWithOptions = (host: string, port: number, options: number, cb: (socket: uws.us_listen_socket | false) => void) => uws.TemplatedApp;

/**
 * Listens, as the only socket on that port, and resolves with the socket and the port actually bound
 * (port 0 picks a free one). Rejects with a message naming the address and why it failed.
 */
export function listen(app: uws.TemplatedApp, host: string, port: number, what: string): Promise<{ socket: uws.us_listen_socket; port: number }> {
  return new Promise((resolve, reject) => {
    (app.listen as unknown as ListenWithOptions).call(app, host, port, LIBUS_LISTEN_EXCLUSIVE_PORT, (socket) => {
      if (socket) resolve({ socket, port: uws.us_socket_local_port(socket) });
      else void whyCannotListen(host, port).then((why) => reject(new Error(`${what}: cannot listen on ${hostPort(host, port)}: ${why}`)));
    });
  });
}

/** uWS says only "no"; a bind of our own on the same address gets the operating system's reason. */
function whyCannotListen(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(listenErrorReason(err, host, port)));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve('refused by uWebSockets.js (the address was free again when checked)')));
  });
}

/** The operating system's reason a bind failed, in words (also for node:http listeners). */
export function listenErrorReason(err: NodeJS.ErrnoException, host: string, port: number): string {
  if (err.code === 'EADDRINUSE') return `port ${port} is already in use (another gateway or program listens there)`;
  if (err.code === 'EADDRNOTAVAIL') return `${host} is not an address of this machine`;
  if (err.code === 'EACCES') return `permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)`;
  return err.message;
}

export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

import uws from 'uWebSockets.js';

/** Listens and resolves with the socket and the port actually bound (port 0 picks a free one). */
export function listen(app: uws.TemplatedApp, host: string, port: number, what: string): Promise<{ socket: uws.us_listen_socket; port: number }> {
  return new Promise((resolve, reject) => {
    app.listen(host, port, (socket) => {
      if (!socket) reject(new Error(`${what}: cannot listen on ${host}:${port} (address in use, or not an address of this machine?)`));
      else resolve({ socket, port: uws.us_socket_local_port(socket) });
    });
  });
}

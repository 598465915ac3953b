/**
 * Small programs the lab runs inside its namespaces (`ip netns exec NS node --import tsx ops/netlab/probe.ts …`),
 * each printing one JSON line: the lab's view from a party's side.
 *   stun HOST PORT[,PORT…]   reflexive address towards each STUN port, all from one UDP socket
 *   serve-stun PORT          a second STUN endpoint (telling symmetric from cone mapping needs two destinations)
 *   tcp HOST PORT            whether a TCP connection opens (within 3 s)
 *   technician URL CA USER PASSWORD   logs in, creates a session ({pin}), picks up the customer ({active}),
 *                            says hello and prints the customer's first chat line ({chat}); ends after 30 s at most
 */
import net from 'node:net';
import dgram from 'node:dgram';
import { stunBinding } from '../../clients/sdk/src/paths/stun-client.js';
import { readFileSync } from 'node:fs';
import { startStunServer } from '../../gateway/src/paths/stun-server.js';
import { RelaydeskClient, nodeTransport } from '../../clients/sdk/src/node.js';

const [command, host = '', ports = ''] = process.argv.slice(2);
const print = (value: unknown) => process.stdout.write(JSON.stringify(value) + '\n');

if (command === 'stun') {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, r));
  const mapped = [];
  for (const port of ports.split(',').map(Number)) {
    mapped.push(await stunBinding(socket, { host, port }, { rtoMs: 200, attempts: 3 }).catch((err: Error) => ({ error: err.message })));
  }
  print({ localPort: socket.address().port, mapped });
  socket.close();
} else if (command === 'serve-stun') {
  const server = await startStunServer({ host: '0.0.0.0', port: Number(host) });
  print({ listening: server.port });
} else if (command === 'tcp') {
  const socket = net.connect({ host, port: Number(ports), timeout: 3000 });
  const result = await new Promise<string>((resolve) => {
    socket.once('connect', () => resolve('open'));
    socket.once('timeout', () => resolve('timeout'));
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
  socket.destroy();
  print({ tcp: result });
} else if (command === 'technician') {
  const [, url, caFile, user, password] = process.argv.slice(2);
  setTimeout(() => process.exit(3), 30_000).unref();
  const tech = new RelaydeskClient(nodeTransport({ baseUrl: url!, ca: readFileSync(caFile!) }));
  await tech.login(user!, password!);
  const created = await tech.createSession();
  print({ pin: created.pin });
  for (let i = 0; i < 200 && (await tech.listWaiting()).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  const session = await tech.pickUp(created.guid);
  print({ active: created.guid });
  session.on('chat', (c) => {
    print({ chat: c.text });
    session.end();
    setTimeout(() => process.exit(0), 200);
  });
  session.chat('hello from the technician');
} else {
  process.stderr.write('usage: probe.ts stun HOST PORT[,PORT…] | serve-stun PORT | tcp HOST PORT\n');
  process.exit(2);
}

/**
 * `npm run bench -- files`: one file, technician → customer, through one gateway on loopback (in this process),
 * side by side with the bulk ceiling of the same session: raw frames of the same size on the data channel
 * (credit flow control, no offer, no hashing). Modes: `bulk` (that ceiling), `file-node` (FileTransfers with
 * OpenSSL's SHA-256, as the agent runs), `file-sdk` (the SDK's own SHA-256, as a browser runs). MB/s of file
 * bytes delivered and each mode's ratio to `bulk`; the median of --rounds, modes alternating.
 */
import { randomBytes } from 'node:crypto';
import { startTestGateway } from '../../gateway/test/gateway-harness.js';
import { FileTransfers, bytesSource, nodeSha256, type FileTransfersOptions, type SessionConnection } from '../../clients/sdk/src/node.js';
import { FILE_CHUNK_DATA_BYTES, FILE_CHUNK_HEADER_BYTES } from '../../protocol/file-transfer.js';
import { parseOptions, usage, UsageError, type OptionDef } from '../lib/options.js';

const options = {
  mib: { kind: 'int', default: 64, min: 1, help: 'file size in MiB' },
  rounds: { kind: 'int', default: 3, min: 1, help: 'runs per mode (median reported)' },
  modes: { kind: 'list', default: ['bulk', 'file-node', 'file-sdk'], help: 'bulk, file-node, file-sdk' },
} satisfies Record<string, OptionDef>;

type Mode = 'bulk' | 'file-node' | 'file-sdk';
const modes: readonly Mode[] = ['bulk', 'file-node', 'file-sdk'];

export async function run(argv: string[]): Promise<void> {
  const parsed = parseOptions('files', options, argv);
  if (parsed.help) return void process.stdout.write(usage('files', options) + '\n');
  const mib = parsed.mib as number;
  const rounds = parsed.rounds as number;
  const chosen = parsed.modes as string[];
  for (const m of chosen) if (!modes.includes(m as Mode)) throw new UsageError(`--modes ${m}: expected ${modes.join(', ')}`);
  const data = randomBytes(mib * 1024 * 1024);
  const gw = await startTestGateway({ logLevel: 'warn' });
  try {
    const password = await gw.addTechnician('bench', 'bench-org');
    const tc = gw.client();
    await tc.login('bench', password);
    const s = await tc.createSession();
    const customer = await gw.client().joinSession({ pin: s.pin }, 'Bench');
    const tech = await tc.pickUp(s.guid);
    await customer.waitFor('active');
    customer.grant('files');
    while (!tech.grants.includes('files')) await new Promise((r) => setTimeout(r, 10));
    const results = new Map<Mode, number[]>(chosen.map((m) => [m as Mode, []]));
    for (let round = 0; round < rounds; round++) {
      for (const mode of chosen as Mode[]) {
        const ms = mode === 'bulk' ? await bulk(tech, customer, data) : await file(tech, customer, data, mode === 'file-node' ? { hash: nodeSha256 } : {});
        results.get(mode)!.push(data.length / 1e6 / (ms / 1000));
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const base = results.has('bulk') ? median(results.get('bulk')!) : undefined;
    console.log(`files: ${mib} MiB technician → customer through one gateway, ${rounds} round(s), median MB/s (ratio to bulk)`);
    for (const [mode, xs] of results) {
      const m = median(xs);
      console.log(`  ${mode.padEnd(10)} ${m.toFixed(0).padStart(6)} MB/s${base ? `  ×${(m / base).toFixed(2)}` : ''}   runs: ${xs.map((x) => x.toFixed(0)).join(', ')}`);
    }
    customer.end();
  } finally {
    await gw.stop();
  }
}

/** The same bytes in frames of a file chunk's size on the data channel: what the relay and credit allow. */
async function bulk(tech: SessionConnection, customer: SessionConnection, data: Uint8Array): Promise<number> {
  let got = 0;
  const arrived = new Promise<void>((resolve) => {
    const off = customer.on('data', (channel, payload) => {
      if (channel !== 0x04) return;
      got += payload.byteLength - (FILE_CHUNK_HEADER_BYTES - 1);
      if (got >= data.length) (off(), resolve());
    });
  });
  const started = performance.now();
  for (let at = 0; at < data.length; at += FILE_CHUNK_DATA_BYTES) {
    const part = data.subarray(at, at + FILE_CHUNK_DATA_BYTES);
    const frame = new Uint8Array(FILE_CHUNK_HEADER_BYTES + part.length);
    frame[0] = 0x04;
    frame.set(part, FILE_CHUNK_HEADER_BYTES);
    await tech.sendBulk(frame);
  }
  await arrived;
  return performance.now() - started;
}

async function file(tech: SessionConnection, customer: SessionConnection, data: Uint8Array, o: FileTransfersOptions): Promise<number> {
  const sender = new FileTransfers(tech, o);
  const receiver = new FileTransfers(customer, o);
  receiver.on('offer', (f) => f.accept({ write: () => {}, finish: () => {} }));
  const started = performance.now();
  const outcome = await sender.offer(bytesSource('bench.bin', data)).done;
  const ms = performance.now() - started;
  sender.close();
  receiver.close();
  if (!outcome.ok) throw new Error(`transfer failed: ${outcome.reason}`);
  return ms;
}

import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FileTransfers, bytesSource, nodeSha256, type FileSink, type IncomingFile, type SessionConnection } from '../../../clients/sdk/src/node.js';
import { useIdentityGateway } from '../identity/identity-fixture.js';
import { collect, cutConnection, eventually, nextEvent, sleep } from './events.js';
import { rawSocket } from './raw-socket.js';

const g = useIdentityGateway(async ({ stores, pw }) => {
  pw.free = await stores.addAccount('fran', 'files-free', 'technician');
  pw.strict = await stores.addAccount('stan', 'files-strict', 'technician');
  // Written before the gateway first reads the stores: small files, and only to the customer.
  await stores.org('files-strict', (o) => {
    o.policy = { fileTransfer: { maxBytes: 1000, directions: ['to-customer'] } };
  });
});
const { pw } = g;

/** A paired session of `user`'s organisation with `files` granted by the customer. */
async function paired(user: 'free' | 'strict') {
  const c = g.t.client();
  await c.login(user === 'free' ? 'fran' : 'stan', pw[user]!);
  const s = await c.createSession();
  const customer = await g.t.client().joinSession({ pin: s.pin }, 'Pat');
  const tech = await c.pickUp(s.guid);
  await customer.waitFor('active');
  customer.grant('files');
  expect(await eventually(() => tech.grants.includes('files'))).toBe(true);
  return { c, s, customer, tech };
}

/** Chunks the gateway refused, from its metrics. */
async function droppedFileChunks(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${g.t.gateway.adminPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('relaydesk_dropped_messages_total{reason="file_refused"'));
  return Number(line?.split(' ').pop() ?? 0);
}

/** A sink that keeps what it is given, as the console's download does. */
function memorySink() {
  const parts: Uint8Array[] = [];
  const sink: FileSink & { bytes(): Buffer; finished: boolean | null } = {
    finished: null,
    write: (chunk) => void parts.push(chunk.slice()),
    finish: (ok) => void (sink.finished = ok),
    bytes: () => Buffer.concat(parts),
  };
  return sink;
}

/** Accepts every offer into a memory sink. */
function acceptAll(files: FileTransfers) {
  const got: { file: IncomingFile; sink: ReturnType<typeof memorySink> }[] = [];
  files.on('offer', (file) => {
    const sink = memorySink();
    got.push({ file, sink });
    file.accept(sink);
  });
  return got;
}

/** A technician who speaks the protocol by hand: the gateway alone decides, whatever a client sends. */
async function rawTechnician(token: string, guid: string) {
  const raw = rawSocket(g.t.baseUrl, '/v1/technician', g.t.gateway.caPem);
  await raw.opened;
  raw.ws.send(JSON.stringify({ v: 1, type: 'attend', token, guid }));
  expect(await eventually(() => raw.frames.some((f) => f.includes('"state"')))).toBe(true);
  const send = (msg: object) => raw.ws.send(JSON.stringify({ v: 1, ...msg }));
  const chunk = (id: number, data: Uint8Array) => {
    const frame = Buffer.alloc(5 + data.byteLength);
    frame[0] = 0x03;
    frame.writeUInt32BE(id, 1);
    frame.set(data, 5);
    raw.ws.send(frame);
  };
  const nextError = async (n: number) => {
    expect(await eventually(() => raw.errors().length >= n)).toBe(true);
    return raw.errors()[n - 1]!;
  };
  return { ws: raw.ws, errors: raw.errors, send, chunk, nextError, messages: () => raw.frames.map((f) => JSON.parse(f) as Record<string, unknown>) };
}

describe('file transfer through the gateway', () => {
  it('a file goes both ways byte-exact (SHA-256 verified by the receiver), at full speed, nobody disconnected', async () => {
    const { customer, tech } = await paired('free');
    // OpenSSL's SHA-256 (as the agent uses): the SDK's own runs in the browser test and sha256.test.ts.
    const atTech = new FileTransfers(tech, { hash: nodeSha256 });
    const atCustomer = new FileTransfers(customer, { hash: nodeSha256 });
    const customerGot = acceptAll(atCustomer);
    const techGot = acceptAll(atTech);
    const closes = [...collect(tech, 'close'), ...collect(customer, 'close')];
    const toCustomer = randomBytes(6 * 1024 * 1024 + 123);
    const fromCustomer = randomBytes(3 * 1024 * 1024 + 7);

    const started = Date.now();
    const down = atTech.offer(bytesSource('report.bin', toCustomer, 'application/octet-stream'));
    const up = atCustomer.offer(bytesSource('screenshot.png', fromCustomer));
    const [downOutcome, upOutcome] = await Promise.all([down.done, up.done]);
    const ms = Date.now() - started;

    expect(downOutcome).toEqual({ ok: true, sha256: createHash('sha256').update(toCustomer).digest('hex') });
    expect(upOutcome).toMatchObject({ ok: true });
    expect(customerGot).toHaveLength(1);
    expect(techGot).toHaveLength(1);
    expect(customerGot[0]!.file.info).toMatchObject({ name: 'report.bin', size: toCustomer.length, mime: 'application/octet-stream', peer: tech.you });
    expect(await customerGot[0]!.file.done).toEqual({ ok: true, sha256: createHash('sha256').update(toCustomer).digest('hex') });
    expect(customerGot[0]!.sink.bytes().equals(toCustomer)).toBe(true);
    expect(customerGot[0]!.sink.finished).toBe(true);
    expect(techGot[0]!.sink.bytes().equals(fromCustomer)).toBe(true);
    expect(techGot[0]!.file.info.peer).toBe(customer.you);
    // Streamed within the bulk credit: nothing was queued beyond a chunk, and both are still in the session.
    expect(tech.bulkQueued + customer.bulkQueued).toBe(0);
    expect(closes).toHaveLength(0);
    expect(tech.state).toBe('active');
    console.log(`file transfer: ${((toCustomer.length + fromCustomer.length) / 1024 / 1024).toFixed(1)} MiB both ways in ${ms} ms`);
    customer.end();
  });

  it('the customer is asked: a refused offer sends nothing; a receiver can cancel mid-way', async () => {
    const { customer, tech } = await paired('free');
    const atTech = new FileTransfers(tech);
    const atCustomer = new FileTransfers(customer);
    atCustomer.on('offer', (f) => f.refuse());
    const refused = await atTech.offer(bytesSource('a.txt', new Uint8Array(10))).done;
    expect(refused).toEqual({ ok: false, reason: 'refused', error: undefined });

    // A receiver that takes the next file but stops it after its first chunk.
    atCustomer.close();
    const atCustomer2 = new FileTransfers(customer);
    atCustomer2.on('offer', (f) => {
      f.accept(memorySink());
      f.on('progress', (n) => n > 0 && f.cancel());
    });
    const cancelled = await atTech.offer(bytesSource('big.bin', new Uint8Array(8 * 1024 * 1024))).done;
    expect(cancelled).toMatchObject({ ok: false, reason: 'cancelled' });
    customer.end();
  });

  it('policy at the gateway, even from a hand-made client: an oversized offer and a forbidden direction are refused', async () => {
    const { c, s, customer } = await paired('strict');
    const offers = collect(customer, 'file');
    const raw = await rawTechnician(c.bearerToken!, s.guid);
    raw.send({ type: 'file-offer', id: 1, name: 'big.iso', size: 1001 });
    expect(await raw.nextError(1)).toMatchObject({ code: 'E_FILE_TOO_LARGE', message: expect.stringMatching(/1000 bytes/) });
    // The refusal names the offer, so a client knows which of its offers failed.
    expect(raw.messages().find((m) => m.type === 'file-cancel')).toMatchObject({ id: 1, reason: 'policy', code: 'E_FILE_TOO_LARGE' });

    // from-customer is not allowed in this organisation: a hand-made customer is refused too.
    const rawCustomer = rawSocket(g.t.baseUrl, '/v1/customer', g.t.gateway.caPem);
    await rawCustomer.opened;
    const c2 = g.t.client();
    await c2.login('stan', pw.strict!);
    const s2 = await c2.createSession();
    rawCustomer.ws.send(JSON.stringify({ v: 1, type: 'join', pin: s2.pin, name: 'Hand' }));
    expect(await eventually(() => rawCustomer.frames.some((f) => f.includes('"waiting"')))).toBe(true);
    const tech2 = await c2.pickUp(s2.guid);
    const techOffers = collect(tech2, 'file');
    rawCustomer.ws.send(JSON.stringify({ v: 1, type: 'grant', power: 'files' }));
    expect(await eventually(() => tech2.grants.includes('files'))).toBe(true);
    rawCustomer.ws.send(JSON.stringify({ v: 1, type: 'file-offer', id: 2, name: 'secrets.txt', size: 10 }));
    expect(await eventually(() => rawCustomer.errors().length === 1)).toBe(true);
    expect(rawCustomer.errors()[0]).toMatchObject({ code: 'E_FORBIDDEN', message: expect.stringMatching(/from-customer/) });
    // Chunks without an accepted offer go nowhere either.
    const frame = Buffer.from([0x03, 0, 0, 0, 2, 1, 2, 3]);
    rawCustomer.ws.send(frame);
    expect(await eventually(() => rawCustomer.errors().length === 2)).toBe(true);
    expect(rawCustomer.errors()[1]!.code).toBe('E_FILE_UNKNOWN');
    await sleep(50);
    expect(offers).toHaveLength(0);
    expect(techOffers).toHaveLength(0);
    tech2.end();
    customer.end();
  });

  it('a chunk for an unknown or unaccepted offer, and bytes beyond the declared size, are refused and not relayed', async () => {
    const { c, s, customer } = await paired('free');
    const atCustomer = new FileTransfers(customer);
    const got = acceptAll(atCustomer);
    const data = collect(customer, 'data');
    const raw = await rawTechnician(c.bearerToken!, s.guid);

    const refusedBefore = await droppedFileChunks();
    raw.chunk(77, new Uint8Array([1, 2, 3]));
    expect(await raw.nextError(1)).toMatchObject({ code: 'E_FILE_UNKNOWN' });
    expect(await droppedFileChunks()).toBe(refusedBefore + 1);
    raw.ws.send(Buffer.from([0x03, 0, 0])); // too short to carry an offer id
    expect(await raw.nextError(2)).toMatchObject({ code: 'E_BAD_MESSAGE' });

    // Before the customer accepts, no chunk may pass.
    raw.send({ type: 'file-offer', id: 5, name: 'notes.txt', size: 10 });
    raw.chunk(5, new Uint8Array(1));
    expect(await raw.nextError(3)).toMatchObject({ code: 'E_FILE_NOT_ACCEPTED' });
    expect(await eventually(() => got.length === 1)).toBe(true);
    expect(await eventually(() => raw.messages().some((m) => m.type === 'file-accept' && m.id === 5))).toBe(true);
    raw.chunk(5, new Uint8Array(6));
    raw.chunk(5, new Uint8Array(5)); // 11 > 10: the transfer stops here
    expect(await raw.nextError(4)).toMatchObject({ code: 'E_FILE_SIZE_MISMATCH' });
    raw.chunk(5, new Uint8Array(1)); // and nothing more of it is relayed
    expect(await raw.nextError(5)).toMatchObject({ code: 'E_FILE_UNKNOWN' });
    expect(await got[0]!.file.done).toMatchObject({ ok: false, reason: 'size' });
    expect(data.map(([, payload]) => payload.byteLength - 4)).toEqual([6]);
    expect(got[0]!.sink.finished).toBe(false);

    // A done with fewer bytes than declared is refused as well.
    raw.send({ type: 'file-offer', id: 8, name: 'short.txt', size: 4 });
    expect(await eventually(() => raw.messages().some((m) => m.type === 'file-accept' && m.id === 8))).toBe(true);
    raw.chunk(8, new Uint8Array(3));
    raw.send({ type: 'file-done', id: 8, sha256: 'a'.repeat(64) });
    expect(await raw.nextError(6)).toMatchObject({ code: 'E_FILE_SIZE_MISMATCH' });
    expect(await got[1]!.file.done).toMatchObject({ ok: false, reason: 'size' });
    customer.end();
  });

  it('revoking `files` mid-transfer stops it at once, both sides told', async () => {
    const { customer, tech } = await paired('free');
    const atTech = new FileTransfers(tech);
    const atCustomer = new FileTransfers(customer);
    const got = acceptAll(atCustomer);
    const file = atTech.offer(bytesSource('huge.bin', new Uint8Array(256 * 1024 * 1024)));
    await new Promise<void>((resolve) => file.on('progress', () => resolve()));
    customer.revoke('files');
    expect(await file.done).toMatchObject({ ok: false, reason: 'revoked' });
    expect(await got[0]!.file.done).toMatchObject({ ok: false, reason: 'revoked' });
    const sent = file.bytes;
    const late = collect(customer, 'data');
    await sleep(200);
    // The sender stopped, and the customer gets at most what was already queued for it (one credit window).
    expect(file.bytes).toBe(sent);
    expect(sent).toBeLessThan(256 * 1024 * 1024);
    expect(late.reduce((n, [, p]) => n + p.byteLength, 0)).toBeLessThanOrEqual(2 * 1024 * 1024 + 61_440);
    const techErrors = collect(tech, 'error');
    tech.send(0x03, new Uint8Array([0, 0, 0, 1, 9]));
    expect(await eventually(() => techErrors.length === 1)).toBe(true);
    expect(techErrors[0]![0].code).toBe('E_NOT_GRANTED');
    customer.end();
  });

  it('a lost connection stops the transfer on both sides (nothing hangs), and the session goes on after the resume', async () => {
    const { customer, tech } = await paired('free');
    const atTech = new FileTransfers(tech, { hash: nodeSha256 });
    const got = acceptAll(new FileTransfers(customer, { hash: nodeSha256 }));
    const file = atTech.offer(bytesSource('big.bin', new Uint8Array(256 * 1024 * 1024)));
    await new Promise<void>((resolve) => file.on('progress', () => resolve()));
    const resumed = nextEvent(customer, 'resumed');
    cutConnection(customer);
    expect(await file.done).toMatchObject({ ok: false, reason: 'left' });
    expect(await got[0]!.file.done).toMatchObject({ ok: false, reason: 'left' });
    await resumed;
    // Offered again after the resume, it arrives whole.
    const again = atTech.offer(bytesSource('small.bin', new Uint8Array(100_000).fill(7)));
    const outcome = await again.done;
    expect(outcome, JSON.stringify(outcome)).toMatchObject({ ok: true });
    expect(got[1]!.sink.bytes().equals(Buffer.alloc(100_000, 7))).toBe(true);
    customer.end();
  });

  it('hostile names: paths are stripped, control and bidi characters refused; open offers are bounded', async () => {
    const { c, s, customer } = await paired('free');
    const messages = collect(customer, 'file');
    const offered = () => messages.flatMap(([m]) => (m.type === 'file-offer' ? [m.name] : []));
    const raw = await rawTechnician(c.bearerToken!, s.guid);
    raw.send({ type: 'file-offer', id: 11, name: '../../.bashrc', size: 1 });
    raw.send({ type: 'file-offer', id: 12, name: 'C:\\Users\\pat\\evil.exe', size: 1 });
    expect(await eventually(() => offered().length === 2)).toBe(true);
    expect(offered()).toEqual(['.bashrc', 'evil.exe']);

    raw.send({ type: 'file-offer', id: 13, name: 'invoice\u202Etxt.exe', size: 1 });
    raw.send({ type: 'file-offer', id: 14, name: 'two\nlines', size: 1 });
    raw.send({ type: 'file-offer', id: 15, name: 'dir/..', size: 1 });
    raw.send({ type: 'file-offer', id: 16, name: 'dir/', size: 1 });
    expect(await eventually(() => raw.errors().length === 4)).toBe(true);
    expect(raw.errors().map((e) => e.code)).toEqual(['E_BAD_MESSAGE', 'E_BAD_MESSAGE', 'E_BAD_MESSAGE', 'E_BAD_MESSAGE']);
    expect(raw.errors()[0]!.message).toMatch(/U\+202E/);

    // Two are open (11, 12; nobody answered them); six more fill the session's eight slots, the ninth is refused.
    for (let id = 20; id < 27; id++) raw.send({ type: 'file-offer', id, name: `f${id}`, size: 1 });
    expect(await eventually(() => raw.errors().length === 5)).toBe(true);
    expect(raw.errors()[4]).toMatchObject({ code: 'E_FILE_LIMIT' });
    raw.send({ type: 'file-offer', id: 20, name: 'again', size: 1 });
    expect(await eventually(() => raw.errors().length === 6)).toBe(true);
    expect(raw.errors()[5]).toMatchObject({ code: 'E_CONFLICT' });
    // Cancelling one frees its slot.
    raw.send({ type: 'file-cancel', id: 11 });
    raw.send({ type: 'file-offer', id: 30, name: 'fits', size: 1 });
    expect(await eventually(() => offered().length === 9)).toBe(true);
    customer.end();
  });
});

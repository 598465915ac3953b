import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSessionPolicy } from '../../gateway/src/policy/org-policy.js';
import { eventually, sleep } from '../../gateway/test/e2e/events.js';
import { startTestGateway, type TestGateway } from '../../gateway/test/gateway-harness.js';
import { Emitter } from '../sdk/src/emitter.js';
import { FileTransfers, bytesSource, type FileMessage, type FileSink, type SessionEvents } from '../sdk/src/node.js';
import { CustomerAgent } from './customer-agent.js';
import { downloadsDirectory, safeFileName } from './downloads.js';
import { FileExchange, type FilePrompt, type FileSession } from './file-exchange.js';

let gw: TestGateway;
let password: string;
const root = mkdtempSync(join(tmpdir(), 'relaydesk-files-'));

beforeAll(async () => {
  gw = await startTestGateway();
  password = await gw.addTechnician('tess', 'acme');
});
afterAll(async () => {
  await gw?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** An agent (no display: files need none) whose customer answers file prompts with `answer`, and a technician. */
async function pair(dir: string, answer: 'accept' | 'decline') {
  const tc = gw.client();
  await tc.login('tess', password);
  const s = await tc.createSession();
  const customer = await gw.client().joinSession({ pin: s.pin }, 'Pat');
  const agent = new CustomerAgent(customer, null, { kind: 'monitor', label: 'nothing', downloadsDir: downloadsDirectory(dir), allow: ['files'] });
  const prompts: FilePrompt[] = [];
  const notices: string[] = [];
  agent.on('notice', (n) => notices.push(n));
  agent.on('filePrompt', (p) => {
    prompts.push(p);
    agent.files![answer](p.id);
  });
  const tech = await tc.pickUp(s.guid);
  await customer.waitFor('active');
  expect(await eventually(() => tech.grants.includes('files'))).toBe(true);
  return { agent, tech, customer, prompts, notices, files: new FileTransfers(tech) };
}

describe('the agent: files to and from the customer', () => {
  it('asks about every incoming file and saves it byte-exact under a safe, new name inside the downloads directory', async () => {
    const dir = join(root, 'in');
    const { agent, files, prompts, notices, customer } = await pair(dir, 'accept');
    const content = randomBytes(1024 * 1024 + 5);
    expect(await files.offer(bytesSource('report.pdf', content)).done).toMatchObject({ ok: true });
    expect(await files.offer(bytesSource('report.pdf', Buffer.from('second'))).done).toMatchObject({ ok: true });
    expect(await files.offer(bytesSource('.bashrc', Buffer.from('alias ls=rm'))).done).toMatchObject({ ok: true });
    // A name planted as a symbolic link in the directory is not followed: the file gets the next name.
    symlinkSync('/etc/passwd', join(dir, 'notes.txt'));
    expect(await files.offer(bytesSource('../../notes.txt', Buffer.from('n'))).done).toMatchObject({ ok: true });

    expect(prompts.map((p) => [p.name, p.from])).toEqual([
      ['report.pdf', 'Tech tess'],
      ['report.pdf', 'Tech tess'],
      ['.bashrc', 'Tech tess'],
      ['notes.txt', 'Tech tess'],
    ]);
    expect(readdirSync(dir).sort()).toEqual(['_bashrc', 'notes (1).txt', 'notes.txt', 'report (1).pdf', 'report.pdf']);
    expect(createHash('sha256').update(readFileSync(join(dir, 'report.pdf'))).digest('hex')).toBe(createHash('sha256').update(content).digest('hex'));
    expect(readFileSync(join(dir, 'report (1).pdf'), 'utf8')).toBe('second');
    expect(readFileSync(join(dir, 'notes (1).txt'), 'utf8')).toBe('n');
    expect(await eventually(() => notices.filter((n) => /saved as/.test(n)).length === 4)).toBe(true);
    agent.close();
    customer.end();
  });

  it('a declined file is not written; a cancelled one leaves nothing behind; revoking `files` stops a transfer', async () => {
    const dir = join(root, 'declined');
    const declined = await pair(dir, 'decline');
    expect(await declined.files.offer(bytesSource('x.bin', new Uint8Array(10))).done).toMatchObject({ ok: false, reason: 'refused' });
    declined.customer.end();

    const dir2 = join(root, 'revoked');
    const { agent, files, customer } = await pair(dir2, 'accept');
    const big = files.offer(bytesSource('big.bin', new Uint8Array(128 * 1024 * 1024)));
    await new Promise<void>((resolve) => big.on('progress', () => resolve()));
    agent.revoke('files');
    expect(await big.done).toMatchObject({ ok: false, reason: 'revoked' });
    expect(await eventually(() => readdirSync(dir2).length === 0)).toBe(true); // the partial file is gone
    expect(readdirSync(dir)).toEqual([]);
    agent.close();
    customer.end();
  });

  it('the customer sends a file from disk to the technician (/send), byte-exact', async () => {
    const dir = join(root, 'out');
    const { agent, files: atTech, customer } = await pair(dir, 'accept');
    const parts: Uint8Array[] = [];
    const sink: FileSink = { write: (c) => void parts.push(c.slice()), finish: () => {} };
    atTech.on('offer', (f) => f.accept(sink));
    const path = join(root, 'logs.tar');
    const content = randomBytes(700_001);
    writeFileSync(path, content);
    const sent = await agent.files!.send(path);
    expect(await sent!.done).toMatchObject({ ok: true });
    expect(Buffer.concat(parts).equals(content)).toBe(true);
    agent.close();
    customer.end();
  });
});

describe('the agent’s command line', () => {
  it('prints a prompt for a file, saves it on /accept, sends one on /send', { timeout: 60_000 }, async () => {
    const dir = join(root, 'cli');
    const caFile = join(root, 'ca.crt');
    writeFileSync(caFile, gw.gateway.caPem!);
    const tc = gw.client();
    await tc.login('tess', password);
    const s = await tc.createSession();
    const env = { ...process.env };
    delete env.DISPLAY; // no desktop needed for files: the agent runs chat-only
    const cli = spawn(process.execPath, ['--import', 'tsx', 'clients/agent/agent.ts', '--pin', s.pin, '--gateway', gw.baseUrl, '--ca', caFile, '--allow', 'files', '--downloads', dir], { stdio: ['pipe', 'pipe', 'pipe'], env });
    let out = '';
    cli.stdout.on('data', (b) => (out += b));
    cli.stderr.on('data', (b) => (out += b));
    try {
      expect(await eventually(() => out.includes('joined; waiting'), 20_000)).toBe(true);
      const tech = await tc.pickUp(s.guid);
      expect(await eventually(() => tech.grants.includes('files'), 5000)).toBe(true);
      const files = new FileTransfers(tech);
      const received: Uint8Array[] = [];
      files.on('offer', (f) => f.accept({ write: (c) => void received.push(c.slice()), finish: () => {} }));

      const sent = files.offer(bytesSource('readme.txt', Buffer.from('hello from the technician')));
      expect(await eventually(() => /file 1: Tech tess sends "readme.txt" \(25 bytes\)\. \/accept 1/.test(out), 5000)).toBe(true);
      cli.stdin.write('/accept 1\n');
      expect(await Promise.race([sent.done, sleep(10_000).then(() => 'timeout')])).toMatchObject({ ok: true });
      expect(await eventually(() => out.includes(`file 1 saved as ${join(dir, 'readme.txt')}`), 5000)).toBe(true);
      expect(readFileSync(join(dir, 'readme.txt'), 'utf8')).toBe('hello from the technician');

      const path = join(root, 'crash.log');
      writeFileSync(path, 'segfault at 0');
      cli.stdin.write(`/send ${path}\n`);
      expect(await eventually(() => out.includes('file 2 delivered'), 5000)).toBe(true);
      expect(Buffer.concat(received).toString()).toBe('segfault at 0');
      cli.stdin.write('/end\n');
      expect(await eventually(() => cli.exitCode === 0, 5000)).toBe(true);
    } catch (err) {
      console.log('agent output:\n' + out);
      throw err;
    } finally {
      cli.kill();
    }
  });
});

describe('the agent enforces grant and policy itself (a direct path does not pass the gateway)', () => {
  /** A session the gateway never sees: messages and chunks arrive as a direct path would bring them. */
  function directPath(policy = defaultSessionPolicy) {
    const sent: Record<string, unknown>[] = [];
    const conn = new (class extends Emitter<SessionEvents> {
      policy = { ...policy, fileTransfer: { ...policy.fileTransfer } };
      fileControl(msg: Record<string, unknown>) {
        sent.push(msg);
      }
      sendBulk = async () => {};
      deliver(m: FileMessage) {
        this.emit('file', m);
      }
    })();
    return { conn, sent };
  }

  it('refuses, without asking, an offer while `files` is not granted or that the policy forbids; chunks past the size stop it', () => {
    const dir = downloadsDirectory(join(root, 'direct'));
    let granted = false;
    const { conn, sent } = directPath({ ...defaultSessionPolicy, fileTransfer: { maxBytes: 100, directions: ['to-customer'] } });
    const exchange = new FileExchange(conn as unknown as FileSession, { downloadsDir: dir, granted: () => granted, nameOf: () => 'Tess' });
    const prompts: FilePrompt[] = [];
    exchange.on('prompt', (p) => prompts.push(p));

    conn.deliver({ type: 'file-offer', id: 1, name: 'a.txt', size: 5, from: 't1' });
    granted = true;
    conn.deliver({ type: 'file-offer', id: 2, name: 'big.txt', size: 101, from: 't1' });
    conn.deliver({ type: 'file-offer', id: 3, name: 'evil\u202Etxt.exe', size: 1, from: 't1' });
    expect(prompts).toHaveLength(0);
    expect(sent).toEqual([
      { type: 'file-cancel', id: 1, reason: 'policy' },
      { type: 'file-cancel', id: 2, reason: 'policy' },
      { type: 'file-cancel', id: 3, reason: 'policy' },
    ]);

    conn.deliver({ type: 'file-offer', id: 4, name: 'ok.txt', size: 3, from: 't1' });
    expect(prompts).toHaveLength(1);
    exchange.accept(prompts[0]!.id);
    conn['emit']('data', 0x03, Uint8Array.from([0, 0, 0, 4, 1, 2, 3, 4])); // 4 bytes of a 3-byte file
    expect(sent.at(-1)).toEqual({ type: 'file-cancel', id: 4, reason: 'size' });
    expect(readdirSync(dir)).toEqual([]);
    exchange.close();
  });

  it('safe names: paths dropped, hidden files made visible, control characters refused, long names cut', () => {
    expect(safeFileName('../../etc/passwd')).toBe('passwd');
    expect(safeFileName('C:\\Windows\\win.ini')).toBe('win.ini');
    expect(safeFileName('..hidden')).toBe('__hidden');
    expect(safeFileName('trailing. . ')).toBe('trailing');
    expect(() => safeFileName('a\u0007b')).toThrow(/control characters/);
    expect(() => safeFileName('dir/')).toThrow(/empty/);
    expect(() => safeFileName('..')).toThrow();
    const long = safeFileName('é'.repeat(200) + '.txt');
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(240);
    expect(long.endsWith('.txt')).toBe(true);
  });
});

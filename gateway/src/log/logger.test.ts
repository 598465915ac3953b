import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { asGatewayError } from '../errors/gateway-error.js';
import { createLogger, type LogLevel } from './logger.js';
import { secretFieldNames } from './secret-fields.js';

const root = resolve(import.meta.dirname, '../../..');

function capture(level: LogLevel = 'debug') {
  const lines: string[] = [];
  const log = createLogger({ level, write: (l) => lines.push(l) });
  const parsed = () => lines.map((l) => JSON.parse(l) as Record<string, any>);
  return { log, lines, parsed };
}

describe('the JSON logger', () => {
  it('writes one JSON object per line: level, ISO time, event and the fields; below the level nothing', () => {
    const { log, lines, parsed } = capture('info');
    log.debug('not.shown', { a: 1 });
    log.info('session.started', { guid: 'g1', n: 2 });
    log.child({ gateway: 'gw-1' }).warn('gateway.slow', {});
    log.error('bare');
    expect(lines).toHaveLength(3);
    expect(lines.every((l) => !l.includes('\n'))).toBe(true);
    const [a, b, c] = parsed();
    expect(a).toMatchObject({ level: 'info', event: 'session.started', guid: 'g1', n: 2 });
    expect(new Date(a!.time).toISOString()).toBe(a!.time);
    expect(b).toMatchObject({ level: 'warn', event: 'gateway.slow', gateway: 'gw-1' });
    expect(c).toEqual({ level: 'error', time: c!.time, event: 'bare' });
  });

  it('redacts every secret field name at the top level, one and two objects deep, and in child bindings', () => {
    const { log, lines, parsed } = capture();
    for (const name of secretFieldNames) {
      const value = `SECRET-${name}-VALUE`;
      log.info('top', { [name]: value });
      log.info('nested', { msg: { [name]: value } });
      log.info('deeper', { err: { cause: { [name]: value } } });
      log.child({ [name]: value }).info('bound', {});
    }
    expect(lines).toHaveLength(secretFieldNames.length * 4);
    expect(lines.join('\n')).not.toContain('SECRET-');
    const first = parsed().slice(0, 4);
    expect(first.map((e) => e.event)).toEqual(['top', 'nested', 'deeper', 'bound']);
    expect(first[0]![secretFieldNames[0]]).toBe('[redacted]');
    expect(first[1]!.msg[secretFieldNames[0]]).toBe('[redacted]');
  });

  it('keeps harmless fields whose names merely contain a secret word ("ping", "typing" and the like) visible', () => {
    const { log, parsed } = capture();
    const harmless = { ping: 'p-1', typing: true, shipping: 'x', keyframe: 7, tokenTtlMs: 900, passed: 'tech-2', username: 'ann', pinDigits: 9 };
    log.info('chat.typing', { ...harmless, msg: { type: 'ping', ping: 3, typing: false } });
    const [line] = parsed();
    expect(line).toMatchObject({ ...harmless, msg: { type: 'ping', ping: 3, typing: false } });
  });

  it('writes an error with its class, message, stack and code, and its cause', () => {
    const { log, parsed } = capture();
    let thrown: unknown;
    try {
      (undefined as unknown as { x: () => void }).x();
    } catch (err) {
      thrown = err;
    }
    log.error('relay.internal_error', { err: asGatewayError(thrown), other: new RangeError('out of range') });
    log.error('odd', { err: asGatewayError('a thrown string') });
    const [line, odd] = parsed();
    expect(line!.err).toMatchObject({ type: 'GatewayError', code: 'E_INTERNAL', message: 'internal error' });
    expect(line!.err.cause.type).toBe('TypeError');
    expect(line!.err.cause.message).toBe((thrown as Error).message);
    expect(line!.err.cause.stack).toContain('logger.test.ts');
    expect(line!.other).toMatchObject({ type: 'RangeError', message: 'out of range' });
    expect(line!.other.stack).toContain('RangeError: out of range');
    expect(odd!.err).toMatchObject({ code: 'E_INTERNAL', cause: 'a thrown string' });
  });

  it("writes an error's diagnostic fields but not what it was working on (a Redis command's keys, rejected input)", () => {
    const { log, lines, parsed } = capture();
    // What ioredis and valibot attach to their errors (DataHandler.js: err.command; ValiError: issues).
    const reply = Object.assign(new Error('ERR wrong number of arguments'), { command: { name: 'get', args: ['relaydesk:pin:918273645'] } });
    const invalid = Object.assign(new TypeError('Invalid type'), { issues: [{ input: { type: 'join', pin: '918273645' } }] });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6390'), { code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: '127.0.0.1', port: 6390 });
    log.warn('registry_error', { err: reply, invalid: asGatewayError(invalid), refused });
    expect(lines.join('\n')).not.toContain('918273645');
    const [line] = parsed();
    expect(line!.err).toMatchObject({ type: 'Error', message: 'ERR wrong number of arguments' });
    expect(line!.invalid.cause).toMatchObject({ type: 'TypeError', message: 'Invalid type' });
    expect(line!.refused).toMatchObject({ code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: '127.0.0.1', port: 6390 });
  });

  it('writes stdout asynchronously yet loses no line when the process exits at once', async () => {
    // A child logs 2,000 lines to the default (asynchronous) stdout destination and calls process.exit()
    // in the same tick: without the flush on exit most of them would be lost.
    const script = `import { createLogger } from './gateway/src/log/logger.ts';
      const log = createLogger();
      for (let i = 0; i < 2000; i++) log.info('line', { i, filler: 'x'.repeat(200) });
      process.exit(3);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
    expect(err).toBe('');
    expect(code).toBe(3);
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(2000);
    expect(JSON.parse(lines[1999]!)).toMatchObject({ event: 'line', i: 1999 });
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load-config.js';

const configFile = (values: object) => {
  const file = join(mkdtempSync(join(tmpdir(), 'relaydesk-cfg-')), 'config.json');
  writeFileSync(file, JSON.stringify(values));
  return file;
};

describe('loadConfig', () => {
  it('gives the embedded defaults with no input', () => {
    const c = loadConfig();
    expect([c.port, c.adminPort, c.adminHost, c.registry, c.pinLength, c.sessionTtlSeconds]).toEqual([8443, 9464, '127.0.0.1', 'memory', 14, 3600]);
    expect(c.gatewayId).toMatch(/^gw-[0-9a-f]{8}$/);
  });

  it('takes flags over environment over file', () => {
    const file = configFile({ port: 1000, pinLength: 7, idleTimeoutSeconds: 100 });
    const c = loadConfig({ argv: ['--config', file, '--port', '3000'], env: { RELAYDESK_PORT: '2000', RELAYDESK_PIN_LENGTH: '8' } });
    expect([c.port, c.pinLength, c.idleTimeoutSeconds]).toEqual([3000, 8, 100]);
    expect(loadConfig({ argv: ['--port=4000'] }).port).toBe(4000);
    expect(loadConfig({ argv: ['--public-names', 'a.example, 10.0.0.1'] }).publicNames).toEqual(['a.example', '10.0.0.1']);
  });

  it('takes a boolean flag bare, with a value, or with =value', () => {
    expect(loadConfig({ argv: ['--cap-loopback'] }).capLoopback).toBe(true);
    expect(loadConfig({ argv: ['--cap-loopback', 'false'] }).capLoopback).toBe(false);
    expect(loadConfig({ argv: ['--cap-loopback=true', '--port', '1'] })).toMatchObject({ capLoopback: true, port: 1 });
    expect(loadConfig({ argv: ['--cap-loopback', '--port', '2'] })).toMatchObject({ capLoopback: true, port: 2 });
    expect(() => loadConfig({ argv: ['--cap-loopback=maybe'] })).toThrow(/capLoopback must be true or false/);
  });

  it.each([
    [['--port', '70000'], /--port: "70000" is not valid; port must be a whole number from 0 to 65535/],
    [['--port', '80.5'], /--port/],
    [['--registry', 'etcd'], /registry must be one of memory, redis/],
    [['--prot', '1'], /unknown option --prot/],
    [['--pin-length', '4'], /pinLength must be a whole number from 6 to 16/],
    [['--registry', 'redis'], /needs exactly one of redisUrl, redisSentinels or redisClusterNodes/],
    [['--redis-url', 'redis://x:6379'], /registry=memory/],
    [['--tls-cert', 'a.pem'], /tlsCert and tlsKey go together/],
    [['--registry', 'redis', '--redis-sentinels', 'nohostport'], /must look like host:port/],
    [['8443'], /unexpected argument "8443"/],
    [['--max-message-bytes', '2097152', '--reliable-queue-bytes', '1048576'], /reliableQueueBytes must be at least maxMessageBytes/],
  ])('refuses %j with a message naming the option', (argv, message) => {
    expect(() => loadConfig({ argv })).toThrow(ConfigError);
    expect(() => loadConfig({ argv })).toThrow(message);
  });

  it('names the source of a bad value, and never prints a secret value', () => {
    expect(() => loadConfig({ env: { RELAYDESK_ADMIN_PORT: 'x' } })).toThrow(/RELAYDESK_ADMIN_PORT/);
    const file = configFile({ pinLength: 99 });
    expect(() => loadConfig({ argv: ['--config', file] })).toThrow(`"pinLength" in ${file}`);
    expect(() => loadConfig({ argv: ['--config', configFile({ colour: 'blue' })] })).toThrow(/unknown option "colour"/);
    let message = '';
    try {
      loadConfig({ argv: ['--registry', 'redis', '--redis-url', ''] });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('[secret]');
  });
});

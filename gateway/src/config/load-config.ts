import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { envName, flagName, optionSpecs, type OptionSpec } from './options.js';

type Spec = (typeof optionSpecs)[number];
type ValueOf<S extends Spec> = S['type'] extends 'int'
  ? number
  : S['type'] extends 'bool'
    ? boolean
    : S['type'] extends 'list'
      ? string[]
      : S extends { values: readonly (infer V)[] }
        ? V
        : S['default'] extends undefined
          ? string | undefined
          : string;

/** The one typed configuration object. Parsed and validated once at start-up; nothing else reads process.env. */
export type GatewayConfig = { [S in Spec as S['key']]: ValueOf<S> } & { gatewayId: string };

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface ConfigSources {
  argv?: readonly string[];
  env?: Readonly<Record<string, string | undefined>>;
}

const specByFlag = new Map<string, OptionSpec>(optionSpecs.map((s) => [flagName(s.key), s]));
const specByKey = new Map<string, OptionSpec>(optionSpecs.map((s) => [s.key, s]));

/**
 * Precedence: flags > environment > config file (--config / RELAYDESK_CONFIG) > defaults.
 * Any bad value throws a ConfigError naming the option and what is allowed.
 */
export function loadConfig(sources: ConfigSources = {}): GatewayConfig {
  const argv = sources.argv ?? [];
  const env = sources.env ?? {};
  const raw = new Map<string, { value: unknown; from: string }>();

  const flags = parseFlags(argv);
  const configFile = flags.get('--config') ?? env.RELAYDESK_CONFIG;
  flags.delete('--config');
  if (configFile) {
    let fileValues: unknown;
    try {
      fileValues = JSON.parse(readFileSync(configFile, 'utf8'));
    } catch (err) {
      throw new ConfigError(`config file ${configFile}: ${(err as Error).message}`);
    }
    if (!fileValues || typeof fileValues !== 'object' || Array.isArray(fileValues)) {
      throw new ConfigError(`config file ${configFile}: expected a JSON object of options`);
    }
    for (const [key, value] of Object.entries(fileValues)) {
      if (!specByKey.has(key)) throw new ConfigError(`config file ${configFile}: unknown option "${key}"${suggest(key)}`);
      raw.set(key, { value, from: `"${key}" in ${configFile}` });
    }
  }
  for (const spec of optionSpecs) {
    const v = env[envName(spec.key)];
    if (v !== undefined && v !== '') raw.set(spec.key, { value: v, from: envName(spec.key) });
  }
  for (const [flag, value] of flags) {
    const spec = specByFlag.get(flag);
    if (!spec) throw new ConfigError(`unknown option ${flag}${suggest(flag.slice(2))}`);
    raw.set(spec.key, { value, from: flag });
  }

  const config: Record<string, unknown> = {};
  for (const spec of optionSpecs as readonly OptionSpec[]) {
    const given = raw.get(spec.key);
    config[spec.key] = given === undefined ? spec.default : coerce(spec, given.value, given.from);
  }
  config.gatewayId ??= 'gw-' + randomBytes(4).toString('hex');
  checkCombinations(config as GatewayConfig);
  return config as GatewayConfig;
}

type ArgOptions = Record<string, { type: 'string' | 'boolean'; short?: string }>;

/** node:util parseArgs options for every gateway flag (kebab-case), plus --config and --help. */
export function gatewayArgOptions(): ArgOptions {
  const options: ArgOptions = { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } };
  // Every option takes a value for parseArgs; a bare boolean flag is rewritten to `--flag=true` first (normalizeGatewayArgs).
  for (const spec of optionSpecs as readonly OptionSpec[]) options[flagName(spec.key).slice(2)] = { type: 'string' };
  return options;
}

const boolFlags = new Set((optionSpecs as readonly OptionSpec[]).filter((s) => s.type === 'bool').map((s) => flagName(s.key)));

/** `--cap-loopback`, `--cap-loopback true` and `--cap-loopback=false` all work: bare boolean flags get their value. */
export function normalizeGatewayArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!boolFlags.has(arg)) {
      out.push(arg);
      continue;
    }
    const next = argv[i + 1];
    if (next !== undefined && /^(true|false|1|0)$/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(`${arg}=true`);
  }
  return out;
}

/** True when argv asks for --help / -h (main prints gatewayUsage() and exits 0 before any other check). */
export function helpAsked(argv: readonly string[]): boolean {
  const { tokens } = parseArgs({ args: normalizeGatewayArgs(argv), options: gatewayArgOptions(), strict: false, allowPositionals: true, tokens: true });
  return tokens.some((t) => t.kind === 'option' && t.name === 'help');
}

/** `--help` text of the gateway: every option with its environment variable and default, from the one table. */
export function gatewayUsage(program = 'npm start --'): string {
  const lines = (optionSpecs as readonly OptionSpec[]).map((s) => {
    const dflt = s.default === undefined || (Array.isArray(s.default) && s.default.length === 0) ? '' : ` (default: ${Array.isArray(s.default) ? s.default.join(',') : s.default})`;
    return `  ${flagName(s.key).padEnd(30)} ${s.description}${dflt} [${envName(s.key)}]`;
  });
  return `usage: ${program} [options]\n  --config FILE                  JSON file of options (keys as in the README table) [RELAYDESK_CONFIG]\n${lines.join('\n')}\n  --help, -h                     this text`;
}

function parseFlags(argv: readonly string[]): Map<string, string> {
  let tokens;
  try {
    ({ tokens } = parseArgs({ args: normalizeGatewayArgs(argv), options: gatewayArgOptions(), strict: true, allowPositionals: true, tokens: true }));
  } catch (err) {
    const e = err as Error & { code?: string };
    const unknown = e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /'(-[^']+)'/.exec(e.message)?.[1] : undefined;
    if (unknown) throw new ConfigError(`unknown option ${unknown}${suggest(unknown.replace(/^-+/, ''))}`);
    throw new ConfigError(e.message.split('\n')[0]!);
  }
  const flags = new Map<string, string>();
  for (const t of tokens) {
    if (t.kind === 'positional') throw new ConfigError(`unexpected argument "${t.value}": options look like --port 8443`);
    if (t.kind === 'option' && t.name !== 'help') flags.set(`--${t.name}`, t.value ?? 'true');
  }
  return flags;
}

function coerce(spec: OptionSpec, value: unknown, from: string): unknown {
  const fail = (allowed: string): never => {
    const shown = spec.secret ? '[secret]' : JSON.stringify(value);
    throw new ConfigError(`${from}: ${shown} is not valid; ${spec.key} must be ${allowed}`);
  };
  switch (spec.type) {
    case 'int': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
      if (!Number.isSafeInteger(n) || n < (spec.min ?? -Infinity) || n > (spec.max ?? Infinity)) {
        fail(`a whole number from ${spec.min} to ${spec.max}`);
      }
      return n;
    }
    case 'bool':
      if (value === true || value === 'true' || value === '1') return true;
      if (value === false || value === 'false' || value === '0') return false;
      return fail('true or false');
    case 'enum':
      if (typeof value !== 'string' || !spec.values!.includes(value)) fail(`one of ${spec.values!.join(', ')}`);
      return value;
    case 'list': {
      const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : fail('a comma-separated list');
      return items.map((s) => String(s).trim()).filter(Boolean);
    }
    case 'string':
      if (typeof value !== 'string' || value === '' || value === 'true') fail('a non-empty string');
      return value;
  }
}

function checkCombinations(c: GatewayConfig): void {
  const redisSources = [c.redisUrl ? 1 : 0, c.redisSentinels.length ? 1 : 0, c.redisClusterNodes.length ? 1 : 0].reduce((a, b) => a + b);
  if (c.registry === 'redis' && redisSources !== 1) {
    throw new ConfigError('registry=redis needs exactly one of redisUrl, redisSentinels or redisClusterNodes');
  }
  if (c.registry === 'memory' && redisSources > 0) {
    throw new ConfigError('a Redis address is set but registry=memory; set --registry redis to use it');
  }
  if (c.accountStore === 'redis' && c.registry !== 'redis') {
    throw new ConfigError('accountStore=redis needs registry=redis and a Redis address');
  }
  if (Boolean(c.tlsCert) !== Boolean(c.tlsKey)) throw new ConfigError('tlsCert and tlsKey go together: give both or neither');
  if (c.tlsCa && !c.tlsCert) throw new ConfigError('tlsCa names the CA of your own tlsCert: give tlsCert and tlsKey too');
  for (const node of [...c.redisSentinels, ...c.redisClusterNodes]) {
    if (!/^[^:\s]+:\d{1,5}$/.test(node)) throw new ConfigError(`Redis node "${node}" must look like host:port`);
  }
  if (c.reliableQueueBytes < c.maxMessageBytes) {
    throw new ConfigError('reliableQueueBytes must be at least maxMessageBytes, or one legal message would disconnect a receiver');
  }
}

function suggest(name: string): string {
  const plain = name.toLowerCase().replace(/[-_]/g, '');
  const hit = optionSpecs.find((s) => s.key.toLowerCase() === plain);
  return hit ? ` (did you mean ${flagName(hit.key)}?)` : '';
}

/** host:port strings → objects, for ioredis. */
export function parseHostPorts(list: readonly string[]): { host: string; port: number }[] {
  return list.map((s) => {
    const i = s.lastIndexOf(':');
    return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
  });
}

/** Where Redis is, as the registry and the Redis account store both need it (exactly one form is set). */
export function redisTarget(c: GatewayConfig): {
  url?: string;
  sentinels?: { host: string; port: number }[];
  sentinelName?: string;
  clusterNodes?: { host: string; port: number }[];
} {
  if (c.redisUrl) return { url: c.redisUrl };
  if (c.redisSentinels.length) return { sentinels: parseHostPorts(c.redisSentinels), sentinelName: c.redisSentinelName };
  return { clusterNodes: parseHostPorts(c.redisClusterNodes) };
}

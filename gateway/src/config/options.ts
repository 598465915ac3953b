/**
 * Every configuration option, once. The table drives flag parsing, environment variables, the optional
 * JSON config file, validation and the README's option table (`npm run admin -- config-table` prints it).
 */
export type OptionType = 'string' | 'int' | 'enum' | 'list' | 'bool';

export interface OptionSpec {
  /** Key in the JSON config file and in GatewayConfig. */
  key: string;
  type: OptionType;
  default: string | number | boolean | string[] | undefined;
  description: string;
  /** For int: inclusive bounds. */
  min?: number;
  max?: number;
  /** For enum. */
  values?: readonly string[];
  /** Secret values are never printed (e.g. a Redis URL with a password). */
  secret?: boolean;
}

/** Flag: --kebab-case; environment: RELAYDESK_SNAKE_CASE. */
export const flagName = (key: string) => '--' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
export const envName = (key: string) => 'RELAYDESK_' + key.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase();

export const optionSpecs = [
  { key: 'host', type: 'string', default: '0.0.0.0', description: 'Address the HTTPS/WSS listener binds to.' },
  { key: 'port', type: 'int', default: 8443, min: 0, max: 65535, description: 'HTTPS + WSS port for customers and technicians (0 = pick a free port).' },
  { key: 'adminHost', type: 'string', default: '127.0.0.1', description: 'Address of the admin listener (/metrics, /healthz, /readyz). Loopback by default; set 0.0.0.0 for Prometheus or Kubernetes probes.' },
  { key: 'adminPort', type: 'int', default: 9464, min: 0, max: 65535, description: 'Admin port (0 = pick a free port).' },
  { key: 'dataDir', type: 'string', default: './data', description: 'Folder for the self-signed CA, the gateway certificate and the technician file.' },
  { key: 'recordingsDir', type: 'string', default: undefined, description: 'Folder the gateway writes session recordings to, one file per session (docs/recording.md; default: <dataDir>/recordings). Whether a session is recorded is the organisation policy\'s `recording`.' },
  { key: 'publicNames', type: 'list', default: ['localhost', '127.0.0.1'], description: 'Host names and IP addresses put in the self-signed gateway certificate (comma-separated).' },
  { key: 'tlsCert', type: 'string', default: undefined, description: 'PEM certificate (chain) of your own; with tlsKey, replaces the self-signed one.' },
  { key: 'tlsKey', type: 'string', default: undefined, description: 'PEM private key for tlsCert.' },
  { key: 'tlsCa', type: 'string', default: undefined, description: 'PEM of the CA that issued tlsCert, whose fingerprint clients pin (default: the top of the tlsCert chain).' },
  { key: 'tlsKeyType', type: 'enum', default: 'ecdsa-p256', values: ['ecdsa-p256', 'rsa-2048'], description: 'Key of the self-signed gateway certificate (and of its CA when one is made): ECDSA P-256 costs a fraction of RSA per TLS handshake; rsa-2048 for old clients without ECDSA (they also need an RSA CA: start on a fresh dataDir/tls). Changing it re-issues the certificate; an existing CA is kept.' },
  { key: 'gatewayId', type: 'string', default: undefined, description: 'Name of this gateway in the cluster (default: a random id at each start).' },
  { key: 'publicUrl', type: 'string', default: undefined, description: 'URL clients use to reach this gateway, listed by GET /v1/gateways (default: https://<first publicNames entry>:<port>).' },
  { key: 'clusterMode', type: 'enum', default: 'relay', values: ['relay', 'redirect'], description: 'A party whose session runs on another gateway: relay it over the gateway link (works behind any load balancer), or redirect it to that gateway\'s publicUrl (one hop less; clients must reach every gateway).' },
  { key: 'linkHost', type: 'string', default: '0.0.0.0', description: 'Address the gateway-link listener (mutual TLS, other gateways only) binds to; it runs with registry=redis.' },
  { key: 'linkPort', type: 'int', default: 8444, min: 0, max: 65535, description: 'Gateway-link port (0 = pick a free port).' },
  { key: 'linkAdvertise', type: 'string', default: undefined, description: 'Host name or IP other gateways dial for the link (default: the first publicNames entry).' },
  { key: 'clusterDir', type: 'string', default: undefined, description: 'Folder with the cluster CA (cluster-ca.crt/.key) shared by all gateways of a cluster (default: <dataDir>/cluster-ca).' },
  { key: 'registry', type: 'enum', default: 'memory', values: ['memory', 'redis'], description: 'Where sessions, PINs and tokens live: in this process, or in Redis shared by many gateways.' },
  { key: 'redisUrl', type: 'string', default: undefined, secret: true, description: 'redis:// or rediss:// URL of a standalone Redis (registry=redis).' },
  { key: 'redisSentinels', type: 'list', default: [], description: 'host:port of Redis Sentinels (comma-separated); use with redisSentinelName.' },
  { key: 'redisSentinelName', type: 'string', default: 'mymaster', description: 'Name of the Sentinel-monitored primary.' },
  { key: 'redisClusterNodes', type: 'list', default: [], description: 'host:port seed nodes of a Redis Cluster (comma-separated).' },
  { key: 'redisKeyPrefix', type: 'string', default: 'rd:', description: 'Prefix of every Redis key, so several deployments can share one Redis.' },
  { key: 'accountStore', type: 'enum', default: 'auto', values: ['auto', 'file', 'redis'], description: 'Where technician accounts live: auto = redis when registry=redis, else a file in dataDir.' },
  { key: 'sessionTtlSeconds', type: 'int', default: 3600, min: 60, max: 7 * 86400, description: 'How long a created session waits for a technician before it expires.' },
  { key: 'idleTimeoutSeconds', type: 'int', default: 900, min: 10, max: 86400, description: 'An active session with no traffic either way for this long is closed.' },
  { key: 'resumeGraceSeconds', type: 'int', default: 20, min: 0, max: 3600, description: 'How long a paired session waits for a party that lost its connection to resume it (on any gateway); 0 ends the session at once.' },
  { key: 'pinLength', type: 'int', default: 14, min: 6, max: 16, description: 'Digits in a session PIN. 14 keeps a guesser with 1,000 addresses below one hit in decades at 10,000 live sessions (docs/security.md); shorter PINs need tighter pinGuesses* budgets.' },
  { key: 'maxMessageBytes', type: 'int', default: 1 << 20, min: 1024, max: 64 << 20, description: 'Largest WebSocket message accepted; a larger one closes the sender with 4413 E_MESSAGE_TOO_LARGE.' },
  { key: 'reliableQueueBytes', type: 'int', default: 8 << 20, min: 64 << 10, max: 512 << 20, description: 'Hard cap of control messages (chat, grants, input) queued for one receiver; past it the receiver is disconnected (4429).' },
  { key: 'droppableQueueBytes', type: 'int', default: 512 << 10, min: 16 << 10, max: 64 << 20, description: 'Media (screen, cursor) is not sent to a viewer with more than this queued; the viewer gets a repair once it drains.' },
  { key: 'bulkWindowBytes', type: 'int', default: 2 << 20, min: 64 << 10, max: 64 << 20, description: 'Credit window of the bulk channels (file, data): bytes a sender may have that its slowest receiver has not consumed yet.' },
  { key: 'screenRepair', type: 'enum', default: 'auto', values: ['agent', 'gateway', 'auto'], description: 'How a viewer that lost its picture is repaired: a keyframe asked of the agent, or at once from a gateway-side screen decoder (8 MB per 1080p session); auto = a decoder only in sessions with at least screenDecoderMinViewers viewers (docs/architecture.md, "Screen module").' },
  { key: 'screenDecoderMinViewers', type: 'int', default: 4, min: 1, max: 1000, description: 'screenRepair=auto: sessions with at least this many viewers keep a gateway-side screen decoder.' },
  { key: 'screenDecoderMemoryMb', type: 'int', default: 512, min: 0, max: 1 << 20, description: 'Framebuffer memory all gateway-side screen decoders may hold together; sessions past it repair through the agent.' },
  { key: 'tokenTtlSeconds', type: 'int', default: 3600, min: 60, max: 86400, description: 'Lifetime of a technician bearer token.' },
  { key: 'tokenIdleMinutes', type: 'int', default: 30, min: 1, max: 1440, description: 'Inactivity logout: a technician token unused this long dies (an organisation may set its own limit).' },
  { key: 'maxFailedLogins', type: 'int', default: 5, min: 1, max: 100, description: 'Failed logins of one username from one source address (IPv4, IPv6 /64) before that address is locked out of that username; other addresses are not.' },
  { key: 'maxFailedLoginsPerAccount', type: 'int', default: 50, min: 1, max: 100000, description: 'Failed logins of one username from all addresses within lockoutSeconds; past it only addresses that username logged in from in the last 30 days may try it.' },
  { key: 'lockoutSeconds', type: 'int', default: 900, min: 1, max: 86400, description: 'How long a lockout (of an address from a username, or of new addresses from an attacked username) lasts.' },
  { key: 'loginAttemptsPerAddress', type: 'int', default: 30, min: 1, max: 100000, description: 'Login attempts allowed per source address per minute.' },
  { key: 'loginsPerSecond', type: 'int', default: 10, min: 1, max: 100000, description: 'Password checks this gateway starts per second for logins from addresses not known to the username; the rest are refused (E_CAPACITY) before any hashing, so a flood cannot queue out real logins.' },
  { key: 'pinGuessWindowSeconds', type: 'int', default: 600, min: 10, max: 86400, description: 'Window of the pinGuesses* budgets (fixed, starting with the first attempt).' },
  { key: 'pinGuessesPerAddress', type: 'int', default: 20, min: 1, max: 100000, description: 'Wrong PIN/GUID attempts evaluated per source address (IPv4, IPv6 /64) per window.' },
  { key: 'pinGuessesPerPrefix', type: 'int', default: 100, min: 1, max: 1000000, description: 'Wrong PIN/GUID attempts evaluated per network (IPv4 /24, IPv6 /48) per window.' },
  { key: 'pinGuessesGlobal', type: 'int', default: 2000, min: 1, max: 10000000, description: 'Wrong PIN/GUID attempts per window across the deployment (the cluster with Redis), from addresses that never joined, before it counts as under attack.' },
  { key: 'pinGuessesUnderAttack', type: 'int', default: 3, min: 1, max: 100000, description: 'While under attack: wrong attempts evaluated per address that never joined, per window. A customer\'s first tries are always evaluated.' },
  { key: 'maxSessionsPerTechnician', type: 'int', default: 50, min: 1, max: 1000000, description: 'Sessions one technician may have open (created, waiting or active) at once; the next create answers E_SESSION_LIMIT.' },
  { key: 'maxSessionsPerOrg', type: 'int', default: 5000, min: 1, max: 10000000, description: 'Sessions one organisation may have open at once.' },
  { key: 'maxConnections', type: 'int', default: 100000, min: 1, max: 10000000, description: 'WebSocket connections this gateway accepts before answering E_CAPACITY.' },
  { key: 'connectionsPerAddress', type: 'int', default: 0, min: 0, max: 10000000, description: 'Open WebSocket connections per source address (IPv4, IPv6 /64); 0 = 2% of maxConnections, at least 32.' },
  { key: 'connectionsPerPrefix', type: 'int', default: 0, min: 0, max: 10000000, description: 'Open WebSocket connections per network (IPv4 /24, IPv6 /48); 0 = 10% of maxConnections, at least 128.' },
  { key: 'unauthenticatedPerAddress', type: 'int', default: 16, min: 1, max: 1000000, description: 'Connections per source address that have not sent their first message (join, pickup, resume) yet.' },
  { key: 'unauthenticatedPerPrefix', type: 'int', default: 64, min: 1, max: 1000000, description: 'Connections per network (IPv4 /24, IPv6 /48) that have not sent their first message yet.' },
  { key: 'capLoopback', type: 'bool', default: false, description: 'Apply the per-address and per-network connection caps to loopback sources too (off: a local reverse proxy or load test is one address).' },
  { key: 'shutdownGraceSeconds', type: 'int', default: 10, min: 0, max: 600, description: 'On SIGTERM: how long to wait for parties to leave after telling them to reconnect.' },
  { key: 'consoleDir', type: 'string', default: undefined, description: 'Folder of a prebuilt web console bundle (clients/console/build.ts --out DIR) served at / and /join (default: clients/console/dist, built at start-up when missing or older than its sources).' },
  { key: 'stun', type: 'bool', default: true, description: 'Answer STUN Binding requests (RFC 8489) on UDP, so parties learn their public address and try a direct path.' },
  { key: 'stunPort', type: 'int', default: -1, min: -1, max: 65535, description: 'UDP port of the STUN endpoint: -1 = the same number as port (with port 0: that number if free, else a free one), 0 = a free port.' },
  { key: 'logLevel', type: 'enum', default: 'info', values: ['debug', 'info', 'warn', 'error'], description: 'Lowest level written to the JSON log on stdout.' },
] as const satisfies readonly OptionSpec[];

import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../gateway/src/config/load-config.js';
import { envName, optionSpecs } from '../gateway/src/config/options.js';
import { createGatewayMetrics } from '../gateway/src/metrics/gateway-metrics.js';

// Checks of the deployment material in ops/ against the code: option names, metric names, probe ports, timeouts.
const ops = import.meta.dirname;
const read = (...p: string[]) => readFileSync(join(ops, ...p), 'utf8');
const has = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;

/** Every metric name the gateway exposes, with the _bucket/_sum/_count series of its histograms. */
async function knownMetrics(): Promise<Set<string>> {
  const names = new Set<string>(['up']);
  for (const m of await createGatewayMetrics('test').registry.getMetricsAsJSON()) {
    names.add(m.name);
    if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
  }
  return names;
}
const metricNames = (expr: string) => expr.match(/\brelaydesk_[a-z0-9_]+/g) ?? [];

const validEnv = new Set(optionSpecs.map((s) => envName(s.key)));
/** The options as the gateway would read them from this environment: throws ConfigError on any bad value. */
const configFrom = (env: Record<string, string>) => loadConfig({ argv: [], env });

describe('ops/prometheus', () => {
  const promtool = (...args: string[]) => {
    if (!has('promtool')) throw new Error('promtool is missing: install the Debian package "prometheus" (apt-get install -y prometheus)');
    return execFileSync('promtool', args, { cwd: join(ops, 'prometheus'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  };

  it('promtool accepts the config and the rules, and the rule unit tests pass', () => {
    expect(promtool('check', 'config', 'prometheus.yml')).toContain('SUCCESS');
    expect(promtool('check', 'rules', 'relaydesk.rules.yml')).toMatch(/SUCCESS: \d+ rules found/);
    expect(promtool('test', 'rules', 'relaydesk.rules.test.yml')).toContain('SUCCESS');
  });

  it('alert rules use only metrics the gateway exposes, and cover the failures operators page on', async () => {
    const known = await knownMetrics();
    const [doc] = loadAll(read('prometheus', 'relaydesk.rules.yml')) as [{ groups: { rules: { alert: string; expr: string }[] }[] }];
    const rules = doc.groups.flatMap((g) => g.rules);
    for (const rule of rules) {
      for (const name of metricNames(rule.expr)) expect(known, `${rule.alert}: ${name}`).toContain(name);
    }
    const exprs = rules.map((r) => r.expr).join('\n');
    for (const needed of ['up{', 'relaydesk_registry_up', 'relaydesk_pairing_seconds_bucket', 'relaydesk_dropped_messages_total', 'relaydesk_rejected_total']) {
      expect(exprs).toContain(needed);
    }
  });
});

describe('ops/grafana', () => {
  it('the dashboard is valid JSON whose every query names real relaydesk metrics', async () => {
    const known = await knownMetrics();
    const dash = JSON.parse(read('grafana', 'relaydesk-dashboard.json')) as { panels: { id: number; type: string; targets?: { expr: string }[] }[] };
    const ids = dash.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const exprs = dash.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(15);
    for (const expr of exprs) {
      expect(metricNames(expr).length + (expr.includes('up{') ? 1 : 0), expr).toBeGreaterThan(0);
      for (const name of metricNames(expr)) expect(known, expr).toContain(name);
    }
  });
});

type K8s = { kind: string; metadata: { name: string }; spec?: any; data?: Record<string, string>; stringData?: Record<string, string> };

describe('ops/kubernetes', () => {
  const docs = new Map<string, K8s[]>();
  for (const file of readdirSync(join(ops, 'kubernetes')).filter((f) => /\.ya?ml$/.test(f))) {
    docs.set(file, (loadAll(read('kubernetes', file)) as K8s[]).filter(Boolean));
  }
  const one = (kind: string) => {
    const found = [...docs.values()].flat().filter((d) => d.kind === kind);
    expect(found, kind).toHaveLength(1);
    return found[0]!;
  };

  it('every file parses as YAML and the kustomization lists every manifest', () => {
    expect(docs.size).toBeGreaterThanOrEqual(8);
    const kustomization = docs.get('kustomization.yaml')![0] as unknown as { resources: string[] };
    const manifests = [...docs.keys()].filter((f) => !/^(kustomization|secret\.example|prometheus-)/.test(f));
    expect([...kustomization.resources].sort()).toEqual(manifests.sort());
  });

  it('the gateway reads the ConfigMap and Secret as valid options, and the pod probes and drains on them', () => {
    const configMap = one('ConfigMap');
    const secret = [...docs.get('secret.example.yaml')!].find((d) => d.metadata.name === 'relaydesk-redis')!;
    const env: Record<string, string> = { ...configMap.data!, ...secret.stringData!, RELAYDESK_GATEWAY_ID: 'relaydesk-gateway-abc', RELAYDESK_LINK_ADVERTISE: '10.1.2.3' };
    for (const key of Object.keys(env)) expect(validEnv, key).toContain(key);
    const config = configFrom(env);
    expect(config.adminHost).toBe('0.0.0.0'); // probes and Prometheus reach the pod IP

    const deployment = one('Deployment');
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    const port = (name: string) => container.ports.find((p: { name: string }) => p.name === name)?.containerPort;
    expect(port('https')).toBe(config.port);
    expect(port('admin')).toBe(config.adminPort);
    expect(port('link')).toBe(config.linkPort);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'admin' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'admin' });
    const fieldEnv = Object.fromEntries(container.env.map((e: { name: string; valueFrom: { fieldRef: { fieldPath: string } } }) => [e.name, e.valueFrom.fieldRef.fieldPath]));
    expect(fieldEnv).toEqual({ RELAYDESK_GATEWAY_ID: 'metadata.name', RELAYDESK_LINK_ADVERTISE: 'status.podIP' });
    const preStop = Number(container.lifecycle.preStop.exec.command[1]);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(preStop + config.shutdownGraceSeconds);
    // Every mounted file the options name comes from a mounted volume.
    const mounts: string[] = container.volumeMounts.map((m: { mountPath: string }) => m.mountPath);
    for (const file of [config.tlsCert, config.tlsKey, config.tlsCa, config.clusterDir, config.dataDir]) {
      expect(mounts.some((m) => file!.startsWith(m)), file).toBe(true);
    }
  });

  it('Service, PodDisruptionBudget, HPA and NetworkPolicy select the gateway pods; the HPA metric comes from the adapter rule', async () => {
    const labels = one('Deployment').spec.template.metadata.labels;
    expect(one('Service').spec.selector).toEqual(labels);
    expect(one('Service').spec.ports.map((p: { targetPort: string }) => p.targetPort)).toEqual(['https']);
    expect(one('PodDisruptionBudget').spec.selector.matchLabels).toEqual(labels);
    expect(one('NetworkPolicy').spec.podSelector.matchLabels).toEqual(labels);
    const hpa = one('HorizontalPodAutoscaler');
    expect(hpa.spec.scaleTargetRef.name).toBe(one('Deployment').metadata.name);
    const podMetric = hpa.spec.metrics.find((m: { type: string }) => m.type === 'Pods').pods.metric.name;
    const adapter = docs.get('prometheus-adapter-rules.yaml')![0] as unknown as { rules: { seriesQuery: string; name: { as: string } }[] };
    expect(adapter.rules.map((r) => r.name.as)).toContain(podMetric);
    expect(await knownMetrics()).toContain(podMetric);
  });

  it('kubectl kustomize renders the set (when kubectl is installed)', () => {
    if (!has('kubectl')) return;
    const out = execFileSync('kubectl', ['kustomize', join(ops, 'kubernetes')], { encoding: 'utf8' });
    const kinds = (loadAll(out) as K8s[]).map((d) => d.kind).sort();
    expect(kinds).toEqual(['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'Namespace', 'NetworkPolicy', 'PodDisruptionBudget', 'Service']);
  });
});

describe('ops/systemd', () => {
  const unit = read('systemd', 'relaydesk-gateway.service');
  const directive = (name: string) => [...unit.matchAll(new RegExp(`^${name}=(.*)$`, 'gm'))].map((m) => m[1]!);

  it('the env example holds valid options and the unit gives the drain time to finish', () => {
    const env = Object.fromEntries(
      read('systemd', 'relaydesk-gateway.env.example')
        .split('\n')
        .filter((l) => /^[A-Z_]+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    for (const key of Object.keys(env)) expect(validEnv, key).toContain(key);
    const config = configFrom({ ...env, RELAYDESK_DATA_DIR: '/var/lib/relaydesk' });
    expect(directive('KillSignal')).toEqual(['SIGTERM']);
    expect(Number(directive('TimeoutStopSec')[0])).toBeGreaterThan(config.shutdownGraceSeconds + 5);
    // Credentials the env file points at are loaded by the unit.
    const credentials = directive('LoadCredential').map((c) => c.split(':')[0]);
    for (const path of [config.tlsCert, config.tlsKey, config.tlsCa]) {
      expect(credentials).toContain(path!.replace('/run/credentials/relaydesk-gateway.service/', ''));
    }
    expect(credentials).toEqual(expect.arrayContaining(['cluster-ca.crt', 'cluster-ca.key']));
  });

  it('is hardened and passes systemd-analyze verify (when systemd is installed)', () => {
    for (const [name, value] of [
      ['DynamicUser', 'yes'],
      ['NoNewPrivileges', 'yes'],
      ['ProtectSystem', 'strict'],
      ['ReadWritePaths', '/var/lib/relaydesk'],
      ['LimitNOFILE', '1048576'],
    ]) {
      expect(directive(name!), name).toEqual([value]);
    }
    if (!has('systemd-analyze')) return;
    const verify = spawnSync('systemd-analyze', ['verify', join(ops, 'systemd', 'relaydesk-gateway.service')], { encoding: 'utf8' });
    expect(verify.status).toBe(0);
    // Unknown or misspelt directives are only warnings: any output is a defect in the unit.
    expect(verify.stderr.trim() + verify.stdout.trim()).toBe('');
  });
});

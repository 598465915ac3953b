import client from 'prom-client';
import { expect, it } from 'vitest';
import { metricChild } from './metric-child.js';

it('makes a labelled child once per label values and counts through it', async () => {
  const registry = new client.Registry();
  registry.setDefaultLabels({ gateway: 'gw-test' });
  const counter = new client.Counter({ name: 'test_events_total', help: 'test', labelNames: ['to', 'reason'] as const, registers: [registry] });
  expect(metricChild(counter, 'closed', 'left')).toBe(metricChild(counter, 'closed', 'left'));
  metricChild(counter, 'closed', 'left').inc();
  metricChild(counter, 'closed', 'left').inc();
  metricChild(counter, 'active', 'picked_up').inc();
  const text = await registry.metrics();
  expect(text).toContain('test_events_total{to="closed",reason="left",gateway="gw-test"} 2');
  expect(text).toContain('test_events_total{to="active",reason="picked_up",gateway="gw-test"} 1');
});

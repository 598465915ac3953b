import { afterAll, beforeAll } from 'vitest';
import { startTestGateway, type TestGateway } from '../../../../gateway/test/gateway-harness.js';
import type { SessionConnection } from '../session-connection.js';

/** A customer and a technician paired in a real session on a test gateway (the technician logs in first). */
export async function pairedSession(t: TestGateway, technician: { username: string; password: string }): Promise<{ customer: SessionConnection; tech: SessionConnection }> {
  const tc = t.client();
  await tc.login(technician.username, technician.password);
  const s = await tc.createSession();
  const customer = await t.client().joinSession({ pin: s.pin }, 'Pat');
  const tech = await tc.pickUp(s.guid);
  await customer.waitFor('active');
  return { customer, tech };
}

/**
 * One test gateway (loopback, real TLS) for a test file, with a technician of organisation "acme";
 * `paired()` gives a fresh customer/technician session on it.
 */
export function pathsTestGateway() {
  const env = {} as { t: TestGateway; paired: () => ReturnType<typeof pairedSession> };
  beforeAll(async () => {
    env.t = await startTestGateway();
    const password = await env.t.addTechnician('tom', 'acme');
    env.paired = () => pairedSession(env.t, { username: 'tom', password });
  });
  afterAll(() => env.t.stop());
  return env;
}

import type { TestGateway } from '../../../../gateway/test/gateway-harness.js';
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

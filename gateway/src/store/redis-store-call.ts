import { GatewayError } from '../errors/gateway-error.js';

/**
 * Runs one call of a Redis-backed configuration store. A Redis failure becomes E_REGISTRY_UNAVAILABLE, like
 * the registry's, so clients get 503 and retry; GatewayErrors pass unchanged. `what` names the store.
 */
export async function redisStoreCall<T>(what: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    throw new GatewayError('E_REGISTRY_UNAVAILABLE', `${what}: ${(err as Error).message}`);
  }
}

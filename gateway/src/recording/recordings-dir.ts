import { join } from 'node:path';
import type { GatewayConfig } from '../config/load-config.js';

/** Where recordings go: `recordingsDir`, or `<dataDir>/recordings` (the gateway and the admin CLI agree). */
export function recordingsDirOf(config: Pick<GatewayConfig, 'recordingsDir' | 'dataDir'>): string {
  return config.recordingsDir ?? join(config.dataDir, 'recordings');
}

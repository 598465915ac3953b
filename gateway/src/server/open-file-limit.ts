import { readFileSync } from 'node:fs';

/** Descriptors kept back for everything that is not a client connection (Redis, links, files, logs). */
export const RESERVED_DESCRIPTORS = 256;

/** This process's soft limit on open files (Linux /proc), or undefined where it cannot be read. */
export function openFileLimit(limitsText?: string): number | undefined {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return undefined;
    }
  }
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(text);
  if (!m || m[1] === 'unlimited') return undefined;
  return Number(m[1]);
}

/**
 * How many client connections the gateway can really accept: past the descriptor limit, accept() fails and
 * clients time out instead of hearing E_CAPACITY, so the configured maximum is capped below it.
 */
export function effectiveMaxConnections(configured: number, limit: number | undefined): { max: number; capped: boolean } {
  if (limit === undefined) return { max: configured, capped: false };
  const possible = Math.max(1, limit - RESERVED_DESCRIPTORS);
  return possible < configured ? { max: possible, capped: true } : { max: configured, capped: false };
}

import { join } from 'node:path';
import { JsonFileDocument, parseJsonFile } from '../store/json-file-document.js';
import { cachedCopy } from '../store/cached-copy.js';
import { migrateOrganisation, newOrganisation, type Organisation, type OrgStore } from './organisation.js';

interface FileFormat {
  version: 1;
  organisations: Organisation[];
}

/** Organisation records in `<dataDir>/organisations.json` (0600), written like technicians.json. */
export class FileOrgStore implements OrgStore {
  readonly file: string;
  readonly #doc: JsonFileDocument<FileFormat>;

  constructor(options: { dataDir: string; recheckMs?: number; lockTimeoutMs?: number }) {
    if (!options.dataDir) throw new Error('FileOrgStore: dataDir is required');
    this.file = join(options.dataDir, 'organisations.json');
    this.#doc = new JsonFileDocument<FileFormat>({
      file: this.file,
      empty: () => ({ version: 1, organisations: [] }),
      parse: parseOrganisationsFile,
      recheckMs: options.recheckMs,
      lockTimeoutMs: options.lockTimeoutMs,
    });
  }

  async get(id: string): Promise<Organisation | null> {
    const found = (await this.#doc.read()).organisations.find((o) => o.id === id);
    return found ? migrateOrganisation(cachedCopy(found)) : null;
  }

  async list(): Promise<Organisation[]> {
    return (await this.#doc.read()).organisations.map((o) => migrateOrganisation(structuredClone(o))).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  update(id: string, change: (org: Organisation) => void, now: number): Promise<Organisation> {
    return this.#doc.mutate(({ organisations }) => {
      const i = organisations.findIndex((o) => o.id === id);
      const org = i < 0 ? newOrganisation(id, now) : migrateOrganisation(organisations[i]!);
      change(org);
      org.id = id;
      org.updatedAt = now;
      if (i < 0) organisations.push(org);
      else organisations[i] = org;
      return structuredClone(org);
    });
  }

  async close(): Promise<void> {
    await this.#doc.settle();
  }
}

function parseOrganisationsFile(text: string, path: string): FileFormat {
  const body = parseJsonFile(text, path) as Partial<FileFormat> | null;
  if (!body || body.version !== 1 || !Array.isArray(body.organisations)) throw new Error(`${path}: expected {"version":1,"organisations":[…]}`);
  for (const [i, o] of body.organisations.entries()) {
    if (!o || typeof o.id !== 'string' || typeof o.name !== 'string' || !Array.isArray(o.teams) || typeof o.policy !== 'object') {
      throw new Error(`${path}: organisation #${i} is missing fields or has wrong types`);
    }
  }
  return body as FileFormat;
}

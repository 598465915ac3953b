/** A technician account. `passwordHash` is a self-describing scrypt string (see auth/password.ts). */
export interface TechnicianAccount {
  id: string;
  username: string;
  orgId: string;
  displayName: string;
  passwordHash: string;
  disabled: boolean;
  /** Bumped by password reset / disable: tokens issued under an older epoch stop working. */
  tokenEpoch: number;
  createdAt: number;
}

/**
 * Where technician accounts live. Accounts are durable configuration, not session state: the file store
 * (embedded default, in the data folder) and the Redis store keep them without a TTL.
 */
export interface AccountStore {
  /** Throws GatewayError('E_BAD_REQUEST') when the username is taken. */
  create(account: TechnicianAccount): Promise<void>;
  getByUsername(username: string): Promise<TechnicianAccount | null>;
  getById(id: string): Promise<TechnicianAccount | null>;
  list(): Promise<TechnicianAccount[]>;
  /** Throws GatewayError('E_BAD_REQUEST') when there is no such account. */
  update(id: string, patch: Partial<Omit<TechnicianAccount, 'id' | 'createdAt'>>): Promise<TechnicianAccount>;
  close(): Promise<void>;
}

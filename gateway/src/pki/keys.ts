import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';

const generateKeyPairAsync = promisify(generateKeyPair);

export interface KeyPairPem {
  /** PKCS#1 "RSA PRIVATE KEY": what node-forge reads and OpenSSL (uWS) loads. */
  privateKeyPem: string;
  publicKeyPem: string;
}

/**
 * An RSA key from OpenSSL via node:crypto, off the main thread. node-forge can only sign with RSA, and its
 * pure-JS key generation takes seconds for 2048 bits; OpenSSL takes ~50-200 ms. Forge then only signs.
 */
export async function generateRsaKeyPair(bits: 2048 | 3072 | 4096 = 2048): Promise<KeyPairPem> {
  const { privateKey, publicKey } = await generateKeyPairAsync('rsa', {
    modulusLength: bits,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

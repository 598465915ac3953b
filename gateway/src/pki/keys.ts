import { createPrivateKey, createPublicKey, generateKeyPair, webcrypto, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

const generateKeyPairAsync = promisify(generateKeyPair);

/**
 * Key types of certificates we make. ECDSA P-256 is the default: the server's handshake signature is the
 * largest CPU item of a pairing, and `openssl speed` here signs 46,652 P-256 vs 4,072 RSA-2048 per second
 * (docs/benchmarks.md). RSA stays for old clients without ECDSA.
 */
export type KeyType = 'ecdsa-p256' | 'rsa-2048';
export const keyTypes: readonly KeyType[] = ['ecdsa-p256', 'rsa-2048'];

export interface KeyPairPem {
  /** PKCS#8 "PRIVATE KEY" PEM: what OpenSSL (uWS, node:tls) and WebCrypto load. */
  privateKeyPem: string;
  publicKeyPem: string;
}

/** A new key pair from OpenSSL via node:crypto, off the main thread. `rsaBits` applies to RSA only (CAs use 3072). */
export async function generateKeys(type: KeyType, rsaBits: 2048 | 3072 = 2048): Promise<KeyPairPem> {
  const encoding = { publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } } as const;
  const { privateKey, publicKey } =
    type === 'rsa-2048'
      ? await generateKeyPairAsync('rsa', { modulusLength: rsaBits, ...encoding })
      : await generateKeyPairAsync('ec', { namedCurve: 'prime256v1', ...encoding });
  return { privateKeyPem: String(privateKey), publicKeyPem: String(publicKey) };
}

/** The key type of a PEM private key (PKCS#1, PKCS#8 or SEC1), or null for any other kind of key. */
export function keyTypeOf(key: KeyObject | string): KeyType | null {
  const k = typeof key === 'string' ? createPrivateKey(key) : key;
  if (k.asymmetricKeyType === 'rsa') return 'rsa-2048';
  if (k.asymmetricKeyType === 'ec' && k.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ecdsa-p256';
  return null;
}

/** WebCrypto algorithm for signing certificates with a key of this type (SHA-256 either way). */
export function signingAlgorithm(type: KeyType): RsaHashedImportParams | EcKeyImportParams & { hash: string } {
  return type === 'rsa-2048' ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } : { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
}

/** A PEM private key (any encoding OpenSSL reads) as a WebCrypto signing key; also its type. */
export async function importSigningKey(pem: string): Promise<{ key: CryptoKey; type: KeyType }> {
  const object = createPrivateKey(pem);
  const type = keyTypeOf(object);
  if (!type) throw new Error(`unsupported CA key type ${object.asymmetricKeyType} (RSA or ECDSA P-256 only)`);
  const der = object.export({ type: 'pkcs8', format: 'der' });
  const key = await webcrypto.subtle.importKey('pkcs8', der, signingAlgorithm(type), false, ['sign']);
  return { key: key as CryptoKey, type };
}

/** A PEM public key as a WebCrypto key, for the certificate's subjectPublicKeyInfo. */
export async function importPublicKey(pem: string, type: KeyType): Promise<CryptoKey> {
  const der = createPublicKey(pem).export({ type: 'spki', format: 'der' });
  return (await webcrypto.subtle.importKey('spki', der, signingAlgorithm(type), true, ['verify'])) as CryptoKey;
}

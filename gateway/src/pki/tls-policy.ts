/**
 * TLS policy of every listener: TLS 1.2 or newer, AEAD ciphers with forward secrecy only (RFC 7525 §4.2,
 * Mozilla "intermediate"): ECDHE key exchange with AES-GCM or ChaCha20-Poly1305. TLS 1.3 suites are all AEAD.
 */
export const tls12Ciphers = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

export const tls13Ciphersuites = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'].join(':');

/**
 * For uWebSockets.js `SSLApp({ cert_file_name, key_file_name, ssl_ciphers: gatewayTlsCiphers })`.
 * `ssl_ciphers` goes to OpenSSL's SSL_CTX_set_cipher_list, which governs TLS ≤ 1.2 only, so the list holds
 * TLS 1.2 names; TLS 1.3 keeps OpenSSL's (AEAD-only) defaults. uWS has no minimum-version option: uSockets
 * itself sets TLS 1.2 as the minimum; this list has no cipher usable below 1.2 in any case.
 * `ssl_prefer_low_memory_usage: true` (SSL_MODE_RELEASE_BUFFERS) saves ~34 KiB per idle connection at some
 * CPU cost; worth it with many idle agents.
 */
export const gatewayTlsCiphers = tls12Ciphers;

/** The same policy for node:tls / node:https servers and clients (gateway links, tests, the SDK). */
export const nodeTlsPolicy = {
  minVersion: 'TLSv1.2',
  // Node accepts TLS 1.3 suite names in the same string and splits them off itself.
  ciphers: `${tls13Ciphersuites}:${tls12Ciphers}`,
  honorCipherOrder: true,
} as const;

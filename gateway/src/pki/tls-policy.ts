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
 * `ssl_ciphers` goes to BoringSSL's SSL_CTX_set_cipher_list (uWS.js 20.30 links BoringSSL), which governs
 * TLS ≤ 1.2 only; TLS 1.3 keeps BoringSSL's suites (all AEAD). uSockets sets TLS 1.2 as the minimum itself.
 *
 * Server cipher order: uWS 20.30 has no option for SSL_OP_CIPHER_SERVER_PREFERENCE, so with several TLS 1.2
 * ciphers the client picks (testssl.sh: "Has server cipher order? no"). The list therefore offers exactly one
 * TLS 1.2 cipher per key type, AES-128-GCM with ECDHE (RFC 7525 §4.2's mandatory one, in every TLS 1.2 AEAD
 * client): the server decides, and testssl.sh reports "yes (OK) -- only for < TLS 1.3" (docs/security.md).
 * TLS 1.3 clients still get AES-256-GCM or ChaCha20-Poly1305 if they prefer them; BoringSSL's TLS 1.3 suite
 * choice follows the client, and all three suites are AEAD.
 * `ssl_prefer_low_memory_usage: true` (SSL_MODE_RELEASE_BUFFERS) saves ~34 KiB per idle connection at some
 * CPU cost; worth it with many idle agents.
 */
export const gatewayTlsCiphers = ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256'].join(':');

/** The same policy for node:tls / node:https servers and clients (gateway links, tests, the SDK). */
export const nodeTlsPolicy = {
  minVersion: 'TLSv1.2',
  // Node accepts TLS 1.3 suite names in the same string and splits them off itself.
  ciphers: `${tls13Ciphersuites}:${tls12Ciphers}`,
  honorCipherOrder: true,
} as const;

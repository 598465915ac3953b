import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../gateway-harness.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t?.stop());

function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .request(`${t.baseUrl}${path}`, { ca: t.gateway.caPem, headers, method }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      })
      .on('error', reject)
      .end();
  });
}

describe('console assets', () => {
  it('serves the console and the customer page with a strict CSP, and hashed assets as immutable', async () => {
    for (const path of ['/', '/join']) {
      const page = await get(path);
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.headers['cache-control']).toBe('no-cache');
      const csp = String(page.headers['content-security-policy']);
      expect(csp).toMatch(/default-src 'none'/);
      expect(csp).toMatch(/script-src 'self'(;|$)/);
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
      expect(page.headers['x-content-type-options']).toBe('nosniff');
      // No inline script or style in the page itself: only references to our files.
      expect(page.body).not.toMatch(/<script>|<style|style=/);
      const assets = [...page.body.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
      expect(assets.length).toBe(2);
      for (const asset of assets) {
        const a = await get(asset);
        expect(a.status).toBe(200);
        expect(a.headers['content-type']).toBe(asset.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8');
        expect(a.headers['cache-control']).toBe('public, max-age=31536000, immutable');
        const head = await get(asset, {}, 'HEAD');
        expect(head.status).toBe(200);
        expect(head.headers['content-length']).toBe(String(Buffer.byteLength(a.body)));
        expect(head.body).toBe('');
        const again = await get(asset, { 'if-none-match': String(a.headers.etag) });
        expect(again.status).toBe(304);
        expect(again.body).toBe('');
      }
    }
  });

  it('answers 404 for an unknown asset, and the API still answers JSON', async () => {
    const missing = await get('/assets/nope-123.js');
    expect(missing.status).toBe(404);
    expect(missing.headers['content-security-policy']).toBeDefined();
    const info = await get('/v1/info');
    expect(JSON.parse(info.body).name).toBe('relaydesk');
    const unknown = await get('/v2/whatever');
    expect(JSON.parse(unknown.body).error.code).toBe('E_NOT_FOUND');
  });
});

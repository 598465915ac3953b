import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { GatewayError, asGatewayError } from '../errors/gateway-error.js';
import type { Logger } from '../log/logger.js';
import { metricChild } from '../metrics/metric-child.js';
import type { GatewayMetrics } from '../metrics/gateway-metrics.js';

/** What a route handler sees: everything is copied out of uWS's stack-allocated request first. */
export interface RequestContext {
  params: string[];
  query: string;
  authorization: string;
  /** The Cookie header ('' when absent): only the single sign-on routes read it (their browser binding). */
  cookie: string;
  remoteIp: string;
  /** The JSON body (undefined when empty). Rejects with E_BAD_REQUEST / E_MESSAGE_TOO_LARGE. */
  body: Promise<unknown>;
}

export interface Reply {
  status: number;
  body?: unknown;
  /** Extra response headers (e.g. location for a redirect). */
  headers?: Record<string, string>;
}

export type RouteHandler = (ctx: RequestContext) => Promise<Reply>;

export interface HttpDeps {
  metrics: GatewayMetrics;
  log: Logger;
  maxBodyBytes: number;
}

const statusText: Record<number, string> = {
  200: '200 OK', 201: '201 Created', 204: '204 No Content', 302: '302 Found', 400: '400 Bad Request', 401: '401 Unauthorized',
  403: '403 Forbidden', 404: '404 Not Found', 405: '405 Method Not Allowed', 408: '408 Request Timeout',
  409: '409 Conflict', 410: '410 Gone', 413: '413 Payload Too Large', 423: '423 Locked', 429: '429 Too Many Requests',
  500: '500 Internal Server Error', 503: '503 Service Unavailable',
};

/** uWS gives the address as ASCII bytes; a reused decoder costs about half of a Buffer per call (two per pairing). */
const addressText = new TextDecoder();

export function remoteAddress(res: HttpResponse): string {
  return addressText.decode(res.getRemoteAddressAsText());
}

/**
 * Registers one JSON route. Errors thrown by the handler become `{ error: { code, message } }` with the
 * status from errors/gateway-error.ts; a client that hangs up mid-request is never written to.
 */
/**
 * `bodyKind` 'form': the body is application/x-www-form-urlencoded (what an HTML form POSTs, e.g. a SAML
 * identity provider's response) and arrives as a plain object of its fields.
 */
export function route(
  app: TemplatedApp,
  method: 'get' | 'post' | 'put' | 'patch' | 'del',
  pattern: string,
  name: string,
  handler: RouteHandler,
  deps: HttpDeps,
  bodyKind: 'json' | 'form' = 'json',
): void {
  const paramCount = (pattern.match(/\/:/g) ?? []).length;
  app[method](pattern, (res: HttpResponse, req: HttpRequest) => {
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    const params: string[] = [];
    for (let i = 0; i < paramCount; i++) params.push(req.getParameter(i));
    const ctx: RequestContext = {
      params,
      query: req.getQuery() ?? '',
      authorization: req.getHeader('authorization'),
      cookie: req.getHeader('cookie'),
      remoteIp: remoteAddress(res),
      body: method === 'post' || method === 'put' || method === 'patch' ? readBody(res, deps.maxBodyBytes, bodyKind) : Promise.resolve(undefined),
    };
    // A body that is never awaited must not become an unhandled rejection.
    ctx.body.catch(() => {});
    handler(ctx)
      .catch((err: unknown): Reply => {
        const e = asGatewayError(err);
        if (e.code === 'E_INTERNAL') deps.log.error('http.internal_error', { route: name, err: e }); // e.cause: what was thrown
        deps.metrics.rejected.inc({ code: e.code });
        return { status: e.httpStatus, body: { error: { code: e.code, message: e.message } } };
      })
      .then((reply) => {
        metricChild(deps.metrics.httpRequests, name, String(reply.status)).inc();
        if (!aborted) writeReply(res, reply);
      });
  });
}

export function writeReply(res: HttpResponse, reply: Reply, contentType = 'application/json'): void {
  res.cork(() => {
    res.writeStatus(statusText[reply.status] ?? String(reply.status));
    res.writeHeader('cache-control', 'no-store');
    for (const [name, value] of Object.entries(reply.headers ?? {})) res.writeHeader(name, value);
    if (reply.body === undefined) {
      res.end();
      return;
    }
    res.writeHeader('content-type', contentType);
    res.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
  });
}

/** Reads the whole body, refusing past `maxBytes` (the connection is closed then, so nothing more is read). */
function readBody(res: HttpResponse, maxBytes: number, kind: 'json' | 'form'): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    res.onData((chunk, isLast) => {
      if (done) return;
      size += chunk.byteLength;
      if (size > maxBytes) {
        done = true;
        reject(new GatewayError('E_MESSAGE_TOO_LARGE', `request bodies are limited to ${maxBytes} bytes`));
        return;
      }
      // uWS reuses the chunk's memory after this callback: copy it.
      chunks.push(Buffer.from(chunk.slice(0)));
      if (!isLast) return;
      done = true;
      if (size === 0) return resolve(undefined);
      const text = Buffer.concat(chunks).toString('utf8');
      if (kind === 'form') return resolve(Object.fromEntries(new URLSearchParams(text)));
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new GatewayError('E_BAD_REQUEST', 'the request body is not valid JSON'));
      }
    });
  });
}

/** Reads a required string field of a JSON object body, with a clear error naming the field. */
export function field(body: unknown, name: string, opts: { max: number; optional?: false }): string;
export function field(body: unknown, name: string, opts: { max: number; optional: true }): string | undefined;
export function field(body: unknown, name: string, opts: { max: number; optional?: boolean }): string | undefined {
  if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) {
    throw new GatewayError('E_BAD_REQUEST', 'the request body must be a JSON object');
  }
  const value = (body as Record<string, unknown> | undefined)?.[name];
  if (value === undefined && opts.optional) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > opts.max) {
    throw new GatewayError('E_BAD_REQUEST', `"${name}" must be a string of 1 to ${opts.max} characters`);
  }
  return value;
}

/** The body as a JSON object (an absent body is an empty one); anything else is E_BAD_REQUEST. */
export function objectBody(body: unknown): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new GatewayError('E_BAD_REQUEST', 'the request body must be a JSON object');
  return body as Record<string, unknown>;
}

/** A path parameter, percent-decoded; a malformed escape is E_BAD_REQUEST rather than a crash. */
export function pathParam(ctx: RequestContext, i: number): string {
  try {
    return decodeURIComponent(ctx.params[i] ?? '');
  } catch {
    throw new GatewayError('E_BAD_REQUEST', 'a path segment is not valid percent-encoding');
  }
}

export function bearerToken(authorization: string): string {
  const m = /^Bearer ([A-Za-z0-9_\-.~+/=]{1,512})$/.exec(authorization);
  if (!m) throw new GatewayError('E_TOKEN_INVALID');
  return m[1]!;
}

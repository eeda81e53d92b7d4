// Who is asking: resolves the session cookie on every request (through the session cache),
// enforces CSRF tokens on state-changing requests, and offers the guards routes declare
// (requireUser, requireRole).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { commonErrors } from '../../errors.ts';
import { ANONYMOUS, type ActorContext } from '../../db/context.ts';
import type { UserRole } from '../../db/schema.ts';
import { authErrors } from './errors.ts';
import type { SessionUser } from './repository.ts';
import { SessionCache } from './session-cache.ts';
import { newToken, sameToken, sha256Hex } from './tokens.ts';

export const SESSION_COOKIE = 'lsp_session';
/** Before login there is no session to bind a CSRF token to: this cookie carries one instead. */
export const PRE_SESSION_CSRF_COOKIE = 'lsp_csrf';
export const CSRF_HEADER = 'x-csrf-token';

declare module 'fastify' {
  interface FastifyInstance {
    sessions: SessionCache;
  }
  interface FastifyRequest {
    user: SessionUser | null;
    actor: ActorContext;
    /** 'expired' lets guards say so instead of a plain "log in" */
    sessionState: 'none' | 'valid' | 'expired' | 'unknown';
    /** the CSRF token a client must echo on state-changing requests */
    csrfToken: string | null;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

async function resolveSession(app: FastifyInstance, request: FastifyRequest): Promise<void> {
  request.user = null;
  request.actor = ANONYMOUS;
  request.sessionState = 'none';
  request.csrfToken = null;
  const token = request.cookies[SESSION_COOKIE];
  if (!token) return;
  const tokenHash = sha256Hex(token);
  const found = await app.sessions.lookup(tokenHash);
  request.sessionState = found.status;
  if (found.status !== 'valid') return;
  request.user = found.user;
  request.actor = { sessionTokenHash: tokenHash };
  request.csrfToken = found.csrfToken;
}

const TOKEN_PATTERN = /^[0-9a-f]{64}$/;

function checkCsrf(request: FastifyRequest): void {
  if (SAFE_METHODS.has(request.method)) return;
  const sent = request.headers[CSRF_HEADER];
  if (typeof sent !== 'string' || sent === '') throw authErrors.csrfMissing();
  const preSession = request.cookies[PRE_SESSION_CSRF_COOKIE];
  const expected = request.csrfToken ?? (preSession && TOKEN_PATTERN.test(preSession) ? preSession : undefined);
  if (!expected || !sameToken(sent, expected)) throw authErrors.csrfInvalid();
}

/** The token for an anonymous client, set as a cookie the first time it is asked for. */
export function preSessionCsrfToken(request: FastifyRequest, reply: FastifyReply, secure: boolean): string {
  const existing = request.cookies[PRE_SESSION_CSRF_COOKIE];
  if (existing && TOKEN_PATTERN.test(existing)) return existing;
  const token = newToken();
  reply.setCookie(PRE_SESSION_CSRF_COOKIE, token, { path: '/', httpOnly: true, sameSite: 'strict', secure });
  return token;
}

export const authPlugin = fp(async (app: FastifyInstance) => {
  app.decorate('sessions', new SessionCache(app.db));
  app.decorateRequest('user', null);
  // set by the onRequest hook before any handler runs
  app.decorateRequest('actor', null as unknown as ActorContext);
  app.decorateRequest('sessionState', 'none');
  app.decorateRequest('csrfToken', null);
  app.addHook('onRequest', async (request) => {
    await resolveSession(app, request);
    // Every state-changing request, whatever its URL: the router decodes paths (/%61pi/… is /api/…),
    // so a check keyed on the raw URL could be walked around.
    checkCsrf(request);
  });
});

export function requireUser(request: FastifyRequest): SessionUser {
  if (request.user) return request.user;
  throw request.sessionState === 'expired' ? authErrors.sessionExpired() : commonErrors.notAuthenticated();
}

/** A preHandler that admits only the given roles (any signed-in user when none are given). */
export function requireRole(...roles: UserRole[]) {
  return async (request: FastifyRequest): Promise<void> => {
    const user = requireUser(request);
    if (roles.length > 0 && !roles.includes(user.role)) {
      const route = `${request.method} ${request.routeOptions.url ?? request.url}`;
      throw commonErrors.forbidden({ zh: `使用此功能（接口 ${route}）`, en: `use this (${route})` }, { route });
    }
  };
}

// Opening a session for a user whose password was just verified (login, change of one's own
// password): the cookie, the CSRF token and the user as the session lookup sees it.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authErrors } from './errors.ts';
import { PRE_SESSION_CSRF_COOKIE, SESSION_COOKIE } from './plugin.ts';
import { lookupSession, openSession, type SessionUser } from './repository.ts';
import { newToken, sha256Hex } from './tokens.ts';

export type IssuedSession = { user: SessionUser; csrfToken: string } | { lockedUntil: Date };

export async function issueSession(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, userId: string): Promise<IssuedSession> {
  const { config, db } = app;
  const token = newToken();
  const tokenHash = sha256Hex(token);
  const csrfToken = newToken();
  const refused = await openSession(db, {
    tokenHash,
    userId,
    csrfToken,
    ttlMinutes: config.sessionTtlMinutes,
    clientIp: request.ip,
    userAgent: request.headers['user-agent'] ?? null,
  });
  if (refused) return refused;
  const session = await lookupSession(db, tokenHash);
  if (session.status !== 'valid') throw authErrors.invalidCredentials();
  reply.setCookie(SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: config.cookieSecure,
    maxAge: config.sessionTtlMinutes * 60,
  });
  reply.clearCookie(PRE_SESSION_CSRF_COOKIE, { path: '/' });
  return { user: session.user, csrfToken };
}

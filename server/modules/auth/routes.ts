import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { errorResponses } from '../../errors.ts';
import { asSystem } from '../../db/context.ts';
import { recordAudit } from '../audit/repository.ts';
import { authErrors } from './errors.ts';
import { burnVerificationTime, verifyPassword } from './passwords.ts';
import { PRE_SESSION_CSRF_COOKIE, SESSION_COOKIE, preSessionCsrfToken, requireUser } from './plugin.ts';
import { closeSession, findLoginCandidate, lookupSession, openSession, recordFailedLogin } from './repository.ts';
import { LoginBody, SessionResponse, SessionUserSchema } from './schemas.ts';
import { newToken, sha256Hex } from './tokens.ts';

export const authRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config, db } = app;
  const secure = config.cookieSecure;

  app.get(
    '/api/auth/session',
    {
      schema: {
        tags: ['auth'],
        summary: '当前会话 / the current session and its CSRF token',
        response: { 200: SessionResponse, ...errorResponses },
      },
    },
    async (request, reply) => ({
      user: request.user,
      csrfToken: request.csrfToken ?? preSessionCsrfToken(request, reply, secure),
    }),
  );

  app.post(
    '/api/auth/login',
    {
      config: { rateLimit: { max: config.loginRateLimitPerMinute, timeWindow: 60_000 } },
      schema: {
        tags: ['auth'],
        summary: '登录 / log in (needs the pre-session CSRF token from GET /api/auth/session)',
        body: LoginBody,
        response: { 200: SessionResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { username, password } = request.body;
      const candidate = await findLoginCandidate(db, username);
      const audit = (action: string, detail: Record<string, unknown>) =>
        asSystem(db, (tx) =>
          recordAudit(tx, null, { action, objectType: 'user', objectId: candidate?.id ?? username, detail, clientIp: request.ip }),
        );
      if (!candidate) {
        await burnVerificationTime(password);
        await audit('auth.login_failed', { username, reason: 'unknown_user' });
        throw authErrors.invalidCredentials();
      }
      if (candidate.lockedUntil && candidate.lockedUntil > new Date()) {
        await audit('auth.login_refused', { username, reason: 'locked' });
        throw authErrors.accountLocked(candidate.lockedUntil);
      }
      if (!(await verifyPassword(candidate.passwordHash, password))) {
        const lockedUntil = await recordFailedLogin(db, candidate.id, config.lockoutThreshold, config.lockoutMinutes);
        await audit('auth.login_failed', { username, reason: 'wrong_password', locked: lockedUntil !== null });
        throw lockedUntil ? authErrors.accountLocked(lockedUntil) : authErrors.invalidCredentials();
      }
      // Only after the password: otherwise any guess would learn that the account exists.
      if (candidate.disabled) {
        await audit('auth.login_refused', { username, reason: 'disabled' });
        throw authErrors.accountDisabled();
      }

      const token = newToken();
      const tokenHash = sha256Hex(token);
      const csrfToken = newToken();
      await openSession(db, {
        tokenHash,
        userId: candidate.id,
        csrfToken,
        ttlMinutes: config.sessionTtlMinutes,
        clientIp: request.ip,
        userAgent: request.headers['user-agent'] ?? null,
      });
      const session = await lookupSession(db, tokenHash);
      if (session.status !== 'valid') throw authErrors.invalidCredentials();
      await asSystem(db, (tx) =>
        recordAudit(tx, session.user, { action: 'auth.login', objectType: 'user', objectId: session.user.id, clientIp: request.ip }),
      );
      reply.setCookie(SESSION_COOKIE, token, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure,
        maxAge: config.sessionTtlMinutes * 60,
      });
      reply.clearCookie(PRE_SESSION_CSRF_COOKIE, { path: '/' });
      return { user: session.user, csrfToken };
    },
  );

  app.post(
    '/api/auth/logout',
    {
      schema: {
        tags: ['auth'],
        summary: '退出登录 / log out',
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      if (request.actor.sessionTokenHash) await closeSession(db, request.actor.sessionTokenHash);
      await asSystem(db, (tx) => recordAudit(tx, user, { action: 'auth.logout', objectType: 'user', objectId: user.id, clientIp: request.ip }));
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/me',
    {
      schema: {
        tags: ['auth'],
        summary: '当前用户 / the signed-in user',
        response: { 200: SessionUserSchema, ...errorResponses },
      },
    },
    async (request) => requireUser(request),
  );
};

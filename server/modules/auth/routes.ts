import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { errorResponses } from '../../errors.ts';
import { asSystem } from '../../db/context.ts';
import { recordAudit } from '../audit/repository.ts';
import { authErrors } from './errors.ts';
import { checkAccountPassword } from './password-check.ts';
import { burnVerificationTime } from './passwords.ts';
import { SESSION_COOKIE, preSessionCsrfToken, requireUser } from './plugin.ts';
import { passwordChangeRoute } from './password-routes.ts';
import { closeSession, findLoginCandidate } from './repository.ts';
import { LoginBody, SessionResponse, SessionUserSchema } from './schemas.ts';
import { issueSession } from './session-issue.ts';

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
      // Refused while locked before the password is looked at; see password-check.ts.
      const check = await checkAccountPassword(db, config, candidate, password);
      if (check.outcome === 'locked') {
        await audit('auth.login_refused', { username, reason: 'locked' });
        throw authErrors.accountLocked(check.lockedUntil);
      }
      if (check.outcome === 'wrong') {
        await audit('auth.login_failed', { username, reason: 'wrong_password', locked: check.lockedUntil !== null });
        throw check.lockedUntil ? authErrors.accountLocked(check.lockedUntil) : authErrors.invalidCredentials();
      }
      // Only after the password: otherwise any guess would learn that the account exists.
      if (candidate.disabled) {
        await audit('auth.login_refused', { username, reason: 'disabled' });
        throw authErrors.accountDisabled();
      }

      const issued = await issueSession(app, request, reply, candidate.id);
      // A wrong password checked beside this one locked the account: no login during a lock.
      if ('lockedUntil' in issued) {
        await audit('auth.login_refused', { username, reason: 'locked_during_check' });
        throw authErrors.accountLocked(issued.lockedUntil);
      }
      await asSystem(db, (tx) =>
        recordAudit(tx, issued.user, { action: 'auth.login', objectType: 'user', objectId: issued.user.id, clientIp: request.ip }),
      );
      return issued;
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

  passwordChangeRoute(app);
};

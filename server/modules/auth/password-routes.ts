// A user changes their own password. The current one is checked under the same lock-out as a
// login (a stolen session cannot guess it without limit); the change ends every session of the
// account in the database (migrations/0014) and the caller gets a fresh one.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { asSystem } from '../../db/context.ts';
import { errorResponses } from '../../errors.ts';
import { recordAudit } from '../audit/repository.ts';
import { checkNewPassword, setPassword } from '../users/repository.ts';
import { authErrors } from './errors.ts';
import { checkAccountPassword } from './password-check.ts';
import { requireUser } from './plugin.ts';
import { findLoginCandidate } from './repository.ts';
import { SessionResponse } from './schemas.ts';
import { issueSession } from './session-issue.ts';

type App = Parameters<FastifyPluginAsyncTypebox>[0];

export function passwordChangeRoute(app: App): void {
  const { config, db } = app;
  app.post(
    '/api/me/password',
    {
      config: { rateLimit: { max: config.loginRateLimitPerMinute, timeWindow: 60_000 } },
      schema: {
        tags: ['auth'],
        summary: '修改密码 / change your own password: ends all your sessions and opens a new one (new cookie and CSRF token)',
        body: Type.Object({
          currentPassword: Type.String({ minLength: 1, maxLength: 256 }),
          newPassword: Type.String({ minLength: 1, maxLength: 256 }),
        }),
        response: { 200: SessionResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const { currentPassword, newPassword } = request.body;
      checkNewPassword(newPassword);
      const audit = (action: string, detail?: Record<string, unknown>) =>
        asSystem(db, (tx) => recordAudit(tx, user, { action, objectType: 'user', objectId: user.id, clientIp: request.ip, ...(detail ? { detail } : {}) }));
      const account = await findLoginCandidate(db, user.username);
      if (!account) throw authErrors.invalidCredentials();
      const check = await checkAccountPassword(db, config, account, currentPassword);
      if (check.outcome !== 'right') {
        await audit('user.password_change_refused', { reason: check.outcome === 'locked' ? 'locked' : 'wrong_password' });
        if (check.outcome === 'locked' || check.lockedUntil) throw authErrors.accountLocked(check.lockedUntil!);
        throw authErrors.wrongCurrentPassword();
      }
      await asSystem(db, async (tx) => {
        await setPassword(tx, user.id, newPassword);
        await recordAudit(tx, user, { action: 'user.password_changed', objectType: 'user', objectId: user.id, clientIp: request.ip });
      });
      const issued = await issueSession(app, request, reply, user.id);
      if ('lockedUntil' in issued) throw authErrors.accountLocked(issued.lockedUntil);
      return issued;
    },
  );
}

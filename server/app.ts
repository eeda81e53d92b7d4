// Builds the Fastify application over an open, migrated database.
import fs from 'node:fs';
import path from 'node:path';
import cookie from '@fastify/cookie';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Config } from './config.ts';
import type { Capabilities } from './db/capabilities.ts';
import type { Database } from './db/engine.ts';
import { AppError, commonErrors, ErrorBody, errorBody } from './errors.ts';
import { translateDatabaseError } from './db/errors.ts';
import { notFoundHandler } from './http/not-found.ts';
import { logEachRequest, noteRefusal } from './http/request-log.ts';
import { docsContentSecurityPolicy, registerSecurityHeaders } from './http/security-headers.ts';
import { frameworkError, refuseUnrepresentable, validationError } from './http/validation.ts';
import { adminUnitRoutes } from './modules/admin-units/routes.ts';
import { auditRoutes } from './modules/audit/routes.ts';
import { authErrors } from './modules/auth/errors.ts';
import { authPlugin } from './modules/auth/plugin.ts';
import { authRoutes } from './modules/auth/routes.ts';
import { codeListRoutes } from './modules/code-lists/routes.ts';
import { healthRoutes } from './modules/health/routes.ts';
import { ImportQueue } from './modules/ingest/jobs.ts';
import { documentRoutes } from './modules/ingest/document-routes.ts';
import { uploadRoutes } from './modules/ingest/routes.ts';
import { stagedParcelRoutes } from './modules/ingest/staged-routes.ts';
import { qualityRoutes } from './modules/quality/routes.ts';
import { checksAfterImport } from './modules/quality/service.ts';
import { surveyLifecycleRoutes } from './modules/submissions/survey-routes.ts';
import { inboxRoutes } from './modules/progress/inbox-routes.ts';
import { progressRoutes } from './modules/progress/routes.ts';
import { publicationRoutes } from './modules/publications/routes.ts';
import { submissionRoutes } from './modules/submissions/routes.ts';
import { surveyRoutes } from './modules/surveys/routes.ts';
import { tileRoutes } from './modules/tiles/routes.ts';
import { userRoutes } from './modules/users/routes.ts';
import { versionRoutes } from './modules/versions/routes.ts';
import { tableRoutes } from './modules/versions/table-routes.ts';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    db: Database;
    capabilities: Capabilities;
    imports: ImportQueue;
  }
}

export interface AppDependencies {
  config: Config;
  db: Database;
  capabilities: Capabilities;
  /** where log lines go (standard output when absent); tests read them */
  logStream?: { write(line: string): void };
}

function toAppError(error: FastifyError | Error): AppError {
  if (error instanceof AppError) return error;
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) return validationError(fastifyError);
  const fromDatabase = translateDatabaseError(error);
  if (fromDatabase) return fromDatabase;
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode < 500) return frameworkError(fastifyError);
  return commonErrors.internal();
}

export async function buildApp({ config, db, capabilities, logStream }: AppDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: config.logLevel, ...(logStream ? { stream: logStream } : {}) },
    // One line per request, from logEachRequest, instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    // Errors of the router itself (an over-long or malformed path) in the platform's error format.
    frameworkErrors: (error, _request, reply) => {
      const appError = frameworkError(error);
      void (reply as FastifyReply).code(appError.statusCode).send(errorBody(appError));
    },
    // The client address (login rate limit, audit log) is the socket's unless proxies are declared.
    trustProxy: (_address: string, hop: number) => hop < config.trustProxyHops,
    ajv: { customOptions: { removeAdditional: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('config', config);
  app.decorate('db', db);
  app.decorate('capabilities', capabilities);
  const imports = new ImportQueue(db, config.ingest, app.log);
  // Every imported package is checked before it can go forward (art. 19, 21).
  imports.setAfterImport(checksAfterImport(db));
  app.decorate('imports', imports);
  // Shutting down waits for a running import rather than leave it to the start-up sweep.
  app.addHook('onClose', () => imports.idle());
  app.addSchema(ErrorBody);
  logEachRequest(app);
  // After schema validation and before any route's own preHandler (role checks included).
  app.addHook('preHandler', refuseUnrepresentable);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const appError = toAppError(error);
    if (appError.statusCode >= 500) request.log.error({ err: error }, 'request failed');
    noteRefusal(request, appError.code);
    return reply.code(appError.statusCode).send(errorBody(appError));
  });

  await registerSecurityHeaders(app, config.cookieSecure);
  await app.register(cookie);
  await app.register(multipart, { limits: { fileSize: config.ingest.maxUploadBytes, files: 1, fields: 20, parts: 21 } });
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) => {
      const error = authErrors.rateLimited(Math.ceil(context.ttl / 1000));
      return Object.assign(error, { statusCode: 429 });
    },
  });
  await app.register(swagger, {
    openapi: {
      info: {
        title: '上海市土地调查成果管理平台 API',
        description:
          'Shanghai land survey results platform. Sessions are HTTP-only cookies; every POST/PUT/PATCH/DELETE ' +
          'must carry the x-csrf-token header from GET /api/auth/session. Errors: {error:{code,message:{zh,en}}}.',
        version: '0.1.0',
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', transformStaticCSP: docsContentSecurityPolicy });
  await app.register(authPlugin);

  await app.register(healthRoutes);
  await app.register(authRoutes);
  await app.register(adminUnitRoutes);
  await app.register(codeListRoutes);
  await app.register(userRoutes);
  await app.register(surveyRoutes);
  await app.register(submissionRoutes);
  await app.register(surveyLifecycleRoutes);
  await app.register(publicationRoutes);
  await app.register(uploadRoutes);
  await app.register(stagedParcelRoutes);
  await app.register(documentRoutes);
  await app.register(qualityRoutes);
  await app.register(versionRoutes);
  await app.register(tableRoutes);
  await app.register(auditRoutes);
  await app.register(tileRoutes);
  await app.register(progressRoutes);
  await app.register(inboxRoutes);

  const webIndex = path.join(config.webDistDir, 'index.html');
  if (fs.existsSync(webIndex)) {
    await app.register(fastifyStatic, { root: config.webDistDir, wildcard: false });
  } else {
    app.log.warn(`web app not built (${webIndex} missing): run npm run build:web`);
  }
  app.setNotFoundHandler(notFoundHandler(fs.existsSync(webIndex)));

  return app;
}

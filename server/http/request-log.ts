// One log line per request, written when the answer has gone: method, URL, status, time, and the
// error code of a refusal. (Fastify's own logging writes two, "incoming request" and "request
// completed"; it is turned off with disableRequestLogging.) A 5xx also logs its error with the
// stack, from the error handler.
import type { FastifyInstance, FastifyRequest } from 'fastify';

const refusals = new WeakMap<FastifyRequest, string>();

/** The error code a request was answered with, for its log line. */
export function noteRefusal(request: FastifyRequest, code: string): void {
  refusals.set(request, code);
}

export function logEachRequest(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    const ms = Math.round(reply.elapsedTime * 10) / 10;
    const code = refusals.get(request);
    const line = { method: request.method, url: request.url, status: reply.statusCode, ms, ...(code ? { code } : {}), ...(request.user ? { user: request.user.username } : {}) };
    if (reply.statusCode >= 500) request.log.error(line, 'request');
    else request.log.info(line, 'request');
  });
}

// Which paths the web app answers and which answer 404. The web app routes in the browser by the
// URL's hash (#/map, #/upload), so its page is served at / and at the paths of those routes only;
// every other unknown path is a 404 in JSON, the same whether under a service prefix or not.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { commonErrors, errorBody, THINGS } from '../errors.ts';

/**
 * Path prefixes of the machine interfaces, present and planned: nothing under them is ever a
 * page. Keep new services (OGC API, WFS, WMS, exports …) here.
 */
export const SERVICE_PREFIXES = ['/api', '/tiles', '/docs', '/ogc', '/collections', '/wfs', '/wms', '/wmts', '/export', '/download'] as const;

/** Paths that are the web app's page (its hash routes, typed as paths, included). */
export const PAGE_ROUTES = ['/', '/index.html', '/map', '/upload'] as const;

export function isServicePath(pathname: string): boolean {
  const lower = pathname.toLowerCase();
  return SERVICE_PREFIXES.some((prefix) => lower === prefix || lower.startsWith(`${prefix}/`) || lower.startsWith(`${prefix}.`));
}

export function isPageRoute(pathname: string): boolean {
  const trimmed = pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
  return (PAGE_ROUTES as readonly string[]).includes(trimmed);
}

/** setNotFoundHandler: the app's page on its routes (when built), a JSON 404 everywhere else. */
export function notFoundHandler(webBuilt: boolean) {
  return (request: FastifyRequest, reply: FastifyReply) => {
    const pathname = request.url.split('?')[0] ?? '/';
    if (webBuilt && (request.method === 'GET' || request.method === 'HEAD') && isPageRoute(pathname) && !isServicePath(pathname)) {
      return reply.sendFile('index.html');
    }
    const thing = isServicePath(pathname) ? THINGS.route : THINGS.page;
    return reply.code(404).send(errorBody(commonErrors.notFound(thing, `${request.method} ${pathname}`)));
  };
}

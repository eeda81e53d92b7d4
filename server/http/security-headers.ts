// Security headers on every answer (pages, API, tiles, /docs): @fastify/helmet with a policy that
// admits only this server. The web app loads its script, style and tiles from here; MapLibre runs
// its worker from a blob: URL and draws data:/blob: images (the control icons in its CSS, the
// farmland hatching); the Swagger UI at /docs is served from here too and needs nothing more.
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/** The Content-Security-Policy directives (helmet's camel-case names). */
export function contentSecurityPolicy(https: boolean): Record<string, string[]> {
  const directives: Record<string, string[]> = {
    defaultSrc: ["'self'"],
    baseUri: ["'self'"],
    scriptSrc: ["'self'"],
    scriptSrcAttr: ["'none'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:', 'blob:'],
    fontSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    workerSrc: ["'self'", 'blob:'],
    childSrc: ["'self'", 'blob:'],
    objectSrc: ["'none'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    frameSrc: ["'none'"],
    manifestSrc: ["'self'"],
  };
  // Only behind HTTPS: on plain HTTP it would send the page's own requests to https://.
  if (https) directives.upgradeInsecureRequests = [];
  return directives;
}

/**
 * The Swagger UI at /docs inserts <style> elements of its own: only its pages admit inline styles
 * (scripts stay 'self' only). Used as @fastify/swagger-ui's transformStaticCSP.
 */
export function docsContentSecurityPolicy(header: string): string {
  return header.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'");
}

/** https: the platform is served over HTTPS (COOKIE_SECURE), so HSTS and upgrades apply. */
export async function registerSecurityHeaders(app: FastifyInstance, https: boolean): Promise<void> {
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: contentSecurityPolicy(https) },
    strictTransportSecurity: https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'same-origin' },
    xFrameOptions: { action: 'deny' },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    crossOriginEmbedderPolicy: false,
  });
}

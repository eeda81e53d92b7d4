// Assertions shared by the API tests.
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';

export interface ErrorResponseBody {
  error: { code: string; message: { zh: string; en: string }; details?: Record<string, unknown> };
}

/** Checks status, error code and the bilingual message of an error answer; returns the body. */
export function expectError(response: LightMyRequestResponse, status: number, code: string): ErrorResponseBody {
  expect({ status: response.statusCode, body: response.body }).toMatchObject({ status });
  expect(response.headers['content-type']).toMatch(/application\/json/);
  const body = response.json<ErrorResponseBody>();
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message.zh).toBe('string');
  expect(typeof body.error.message.en).toBe('string');
  expect(body.error.message.zh.length).toBeGreaterThan(0);
  expect(body.error.message.en.length).toBeGreaterThan(0);
  return body;
}

/** The Set-Cookie line for a cookie name, whether the header came as one string or many. */
export function setCookieLine(response: LightMyRequestResponse, name: string): string | undefined {
  const header = response.headers['set-cookie'];
  const lines = header === undefined ? [] : Array.isArray(header) ? header : [header];
  return lines.find((line) => line.startsWith(`${name}=`));
}

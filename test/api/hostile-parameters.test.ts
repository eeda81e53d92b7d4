// Every route of the OpenAPI document, every parameter (path, query, header, JSON body field),
// each sent hostile values — as a city administrator with a CSRF token and as an anonymous
// visitor — while the other parameters keep ordinary values. No answer may be a 5xx, and every
// error answer must be whole in each language (see test/support/messages.ts).
import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asSystem } from '../../server/db/context.ts';
import { ENGINES } from '../support/databases.ts';
import { CHONGMING, DEMO_PASSWORD, insertSubmissionRow, nationalSurveyId } from '../support/data.ts';
import { openTestApp, TestClient, type TestApp } from '../support/app.ts';
import { messageLeaks } from '../support/messages.ts';

interface Schema {
  type?: string | string[];
  format?: string;
  pattern?: string;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  default?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
}
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Strings every text parameter is sent. */
const HOSTILE_TEXT = [
  '0000',
  '0000-01-01',
  '9999-12-31',
  '2019-02-30',
  '-1',
  '0',
  '1e309',
  '-1e309',
  'Infinity',
  'NaN',
  '1.5',
  '18446744073709551616',
  '-9223372036854775809',
  '99999999999999999999999999999999',
  '\u0000',
  'a\u0000b',
  '%00',
  'é中文\u{1F600}',
  "'; DROP TABLE users; --",
  '../../etc/passwd',
  'x'.repeat(10_000),
  '',
  ' ',
];
/** Values of other JSON types a body field is sent. */
const HOSTILE_JSON: unknown[] = [null, true, 0, -1, 1.5, 18446744073709551616, -1e300, 1e300, {}, [], ['\u0000'], { a: '\u0000' }, 'x'.repeat(100_000)];
/** Raw JSON number texts that JSON.parse reads as Infinity or as beyond 64 bits. */
const HOSTILE_RAW_NUMBERS = ['1e309', '-1e309', '18446744073709551616', '123456789012345678901234567890'];

/**
 * Operations left out because their ordinary effect would undo the test's own setup:
 * logging out ends the session the walk signs in with.
 */
const DESTRUCTIVE = new Set(['POST /api/auth/logout']);

function schemaOf(schema: Schema | undefined): Schema {
  const variants = schema?.anyOf ?? schema?.oneOf;
  if (variants) return schemaOf(variants.find((variant) => variant.type !== 'null') ?? variants[0]);
  return schema ?? {};
}

describe.each(ENGINES)('hostile parameters on every route (%s engine)', (engine) => {
  let test: TestApp;
  let paths: Record<string, Record<string, Operation>>;
  let known: Record<string, string>;
  const failures: string[] = [];
  const leaks: string[] = [];
  let sent = 0;

  beforeAll(async () => {
    test = await openTestApp(engine);
    const surveyId = await nationalSurveyId(test.db);
    const submissionId = await asSystem(test.db, (tx) => insertSubmissionRow(tx, CHONGMING, surveyId, 'received'));
    known = { surveyId, submissionId };
    const response = await test.app.inject({ method: 'GET', url: '/docs/json' });
    paths = response.json<{ paths: typeof paths }>().paths;
  });
  afterAll(() => test?.drop());

  /** An ordinary value for a parameter, so that a request gets past it to the one under test. */
  function ordinary(name: string, route: string, raw: Schema | undefined): unknown {
    const schema = schemaOf(raw);
    if (schema.default !== undefined) return schema.default;
    if (schema.enum) return schema.enum[0];
    if (schema.const !== undefined) return schema.const;
    const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
    if (type === 'integer' || type === 'number') {
      if (name === 'year') return 2019;
      if (name === 'z') return 10;
      if (name === 'x') return 857;
      if (name === 'y') return 418;
      return schema.minimum ?? 1;
    }
    if (type === 'boolean') return true;
    if (type === 'array') return [];
    if (type === 'object') return ordinaryObject(route, schema);
    if (schema.format === 'uuid') {
      if (/\/surveys\/\{id\}/.test(route) && name === 'id') return known.surveyId;
      if (/\/submissions\/\{id\}/.test(route) && name === 'id') return known.submissionId;
      if (name === 'surveyId') return known.surveyId;
      return randomUUID();
    }
    if (schema.format === 'date') return '2020-01-01';
    if (schema.format === 'date-time') return '2020-01-01T00:00:00Z';
    if (schema.pattern === '^[0-9]{6}$') return CHONGMING;
    if (schema.pattern?.startsWith('^[0-9]{4}')) return '2019';
    if (schema.pattern?.startsWith('^[0-9]{6,')) return CHONGMING;
    if (name === 'bbox') return '121.3,31.5,121.9,31.9';
    if (name === 'layer' && route.startsWith('/tiles/')) return 'land_use';
    if (name === 'list') return 'dlbm';
    if (name === 'bsm') return '310151000000000001';
    return 'ordinary';
  }

  function ordinaryObject(route: string, schema: Schema): Record<string, unknown> {
    const body: Record<string, unknown> = {};
    for (const name of schema.required ?? []) body[name] = ordinary(name, route, schema.properties?.[name]);
    return body;
  }

  interface Call {
    method: Method;
    route: string;
    path: Record<string, string>;
    query: Record<string, string>;
    headers: Record<string, string>;
    /** a JSON text, or undefined for no body */
    body?: string;
    /** what is hostile about it, for the failure list */
    what: string;
  }

  function url(call: Call): string {
    const path = call.route.replace(/\{(\w+)\}/g, (_whole, name: string) => encodeURIComponent(call.path[name] ?? ''));
    const query = new URLSearchParams(call.query).toString();
    return query ? `${path}?${query}` : path;
  }

  function calls(route: string, method: Method, operation: Operation): Call[] {
    const parameters = operation.parameters ?? [];
    const base = { path: {} as Record<string, string>, query: {} as Record<string, string>, headers: {} as Record<string, string> };
    for (const parameter of parameters) {
      if (parameter.in === 'cookie') continue;
      const target = parameter.in === 'path' ? base.path : parameter.in === 'query' ? base.query : base.headers;
      if (parameter.required || parameter.in === 'path') target[parameter.name] = String(ordinary(parameter.name, route, parameter.schema));
    }
    const jsonSchema = operation.requestBody?.content?.['application/json']?.schema;
    const bodySchema = jsonSchema ? schemaOf(jsonSchema) : undefined;
    const baseBody = bodySchema ? ordinaryObject(route, bodySchema) : undefined;
    const make = (what: string, change: Partial<Call> = {}): Call => ({
      method,
      route,
      path: { ...base.path },
      query: { ...base.query },
      headers: { ...base.headers },
      ...(baseBody !== undefined ? { body: JSON.stringify(baseBody) } : {}),
      what,
      ...change,
    });
    const list: Call[] = [make('ordinary values')];
    for (const parameter of parameters) {
      if (parameter.in === 'cookie') continue;
      for (const value of HOSTILE_TEXT) {
        // Header values cannot carry NUL or very long text through HTTP at all.
        if (parameter.in === 'header' && (value.includes('\u0000') || value.length > 1000 || /[^\x20-\x7e]/.test(value))) continue;
        const where = parameter.in === 'path' ? 'path' : parameter.in === 'query' ? 'query' : 'headers';
        const call = make(`${parameter.in} ${parameter.name}=${JSON.stringify(value.slice(0, 40))}${value.length > 40 ? `…(${value.length})` : ''}`);
        call[where] = { ...call[where], [parameter.name]: value };
        list.push(call);
      }
      if (parameter.in === 'query') {
        // The same name twice: an array where one value is expected.
        const call = make(`query ${parameter.name} given twice`);
        call.query[parameter.name] = 'ARRAY';
        list.push(call);
      }
    }
    if (bodySchema && baseBody) {
      for (const field of Object.keys(bodySchema.properties ?? {})) {
        for (const value of [...HOSTILE_TEXT, ...HOSTILE_JSON]) {
          const shown = JSON.stringify(value)?.slice(0, 40);
          list.push(make(`body ${field}=${shown}`, { body: JSON.stringify({ ...baseBody, [field]: value }) }));
        }
        for (const raw of HOSTILE_RAW_NUMBERS) {
          const text = JSON.stringify({ ...baseBody, [field]: 0 }).replace(`"${field}":0`, `"${field}":${raw}`);
          list.push(make(`body ${field}=${raw} (raw JSON number)`, { body: text }));
        }
      }
      list.push(make('body not an object', { body: '[]' }), make('body a string', { body: '"text"' }), make('body null', { body: 'null' }));
      list.push(make('body not JSON', { body: '{"a":' }), make('body with NUL in a key', { body: JSON.stringify({ ...baseBody, 'a\u0000': 1 }) }));
    }
    return list;
  }

  async function send(client: TestClient | null, call: Call): Promise<LightMyRequestResponse> {
    let address = url(call);
    // A query parameter given twice (?a=x&a=y).
    for (const [name, value] of Object.entries(call.query)) {
      if (value === 'ARRAY') address = address.replace(`${encodeURIComponent(name)}=ARRAY`, `${encodeURIComponent(name)}=1&${encodeURIComponent(name)}=2`);
    }
    const headers: Record<string, string> = { ...call.headers };
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    return client ? client.raw(call.method, address, headers, call.body) : test.app.inject({ method: call.method, url: address, headers, ...(call.body !== undefined ? { payload: call.body } : {}) });
  }

  /** The strings inside a JSON body text (keys and values). */
  function bodyTexts(body: string | undefined): string[] {
    if (body === undefined) return [];
    try {
      const texts: string[] = [];
      JSON.parse(body, (key, value) => {
        texts.push(key);
        if (typeof value === 'string' || typeof value === 'number') texts.push(String(value));
        return value;
      });
      return texts;
    } catch {
      return [body];
    }
  }

  async function walk(client: TestClient | null, who: string): Promise<void> {
    for (const [route, item] of Object.entries(paths)) {
      for (const [lower, operation] of Object.entries(item)) {
        const method = lower.toUpperCase() as Method;
        if (!['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(method)) continue;
        if (DESTRUCTIVE.has(`${method} ${route}`)) continue;
        for (const call of calls(route, method, operation)) {
          const response = await send(client, call);
          sent++;
          if (response.statusCode >= 500) failures.push(`${who}: ${response.statusCode} ${method} ${route} with ${call.what}: ${response.body.slice(0, 300)}`);
          if (response.statusCode >= 400 && response.headers['content-type']?.toString().includes('json')) {
            const message = (response.json() as { error?: { message?: { zh?: string; en?: string } } }).error?.message;
            // The client's own text may be quoted back (未找到代码表：xyz): it is no leak of ours.
            const echoed = [...Object.values(call.path), ...Object.values(call.query), ...Object.values(call.headers), ...bodyTexts(call.body)].filter((value) => value.length > 0);
            const own = echoed.sort((a, b) => b.length - a.length).reduce((text, value) => text.split(value).join(' '), message?.zh ?? '');
            const leak = message?.zh !== undefined ? messageLeaks(own) : ['no error.message.zh'];
            if (leak.length) leaks.push(`${who}: ${method} ${route} with ${call.what}: ${leak.join(', ')} in "${message?.zh?.slice(0, 200)}"`);
          }
        }
      }
    }
  }

  it('bounds every parameter and body field in its schema', () => {
    const unbounded: string[] = [];
    const check = (where: string, raw: Schema | undefined) => {
      const schema = schemaOf(raw);
      const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
      if (schema.enum || schema.const !== undefined) return;
      const bounds = schema as Schema & { maximum?: number; maxLength?: number };
      if ((type === 'integer' || type === 'number') && (bounds.minimum === undefined || bounds.maximum === undefined)) unbounded.push(`${where}: number without minimum and maximum`);
      const fixedPattern = schema.pattern !== undefined && /^\^.*\$$/.test(schema.pattern) && !/[+*]/.test(schema.pattern);
      if (type === 'string' && bounds.maxLength === undefined && schema.format === undefined && !fixedPattern) unbounded.push(`${where}: text without maxLength, format or fixed pattern`);
      if (type === 'object') for (const [name, inner] of Object.entries(schema.properties ?? {})) check(`${where}.${name}`, inner);
    };
    for (const [route, item] of Object.entries(paths)) {
      for (const [method, operation] of Object.entries(item)) {
        for (const parameter of operation.parameters ?? []) check(`${method.toUpperCase()} ${route} ${parameter.in} ${parameter.name}`, parameter.schema);
        const body = operation.requestBody?.content?.['application/json']?.schema;
        if (body) check(`${method.toUpperCase()} ${route} body`, body);
      }
    }
    expect(unbounded).toEqual([]);
  });

  it('answers no hostile value with a 5xx, signed in as the city administrator', async () => {
    const admin = new TestClient(test.app);
    expect((await admin.login('admin', DEMO_PASSWORD)).statusCode).toBe(200);
    await walk(admin, 'admin');
    expect(sent).toBeGreaterThan(1000);
    expect(failures).toEqual([]);
  }, 900_000);

  it('answers no hostile value with a 5xx for an anonymous visitor', async () => {
    const anonymous = new TestClient(test.app);
    await anonymous.get('/api/auth/session');
    await walk(anonymous, 'anonymous');
    await walk(null, 'anonymous without CSRF');
    expect(failures).toEqual([]);
  }, 900_000);

  it('gives every refusal a Chinese message with no English words or ISO timestamps in it', () => {
    expect(sent).toBeGreaterThan(1000);
    expect([...new Set(leaks)].slice(0, 60)).toEqual([]);
  });
});

// Refusals of the request itself, before any route code runs: schema validation (its AJV errors
// told in Chinese as well as English), values no schema keyword can keep out (a number coerced
// from "1e309" or "Infinity", text with NUL in it), and Fastify's own errors (bad JSON, wrong
// media type, an over-long path).
import type { FastifyError, FastifyRequest } from 'fastify';
import { AppError, commonErrors, type Bilingual } from '../errors.ts';

interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

const PART: Record<string, Bilingual> = {
  querystring: { zh: '查询参数', en: 'query parameter' },
  params: { zh: '路径参数', en: 'path parameter' },
  body: { zh: '请求体字段', en: 'body field' },
  headers: { zh: '请求头', en: 'header' },
};
const TYPE_ZH: Record<string, string> = { integer: '整数', number: '数字', string: '文本', boolean: '布尔值（`true` 或 `false`）', object: '对象', array: '数组', null: '空值（null）' };
const FORMAT_ZH: Record<string, string> = { uuid: 'UUID', date: '日期（YYYY-MM-DD）', 'date-time': '日期时间（ISO 8601）', email: '电子邮件地址', uri: 'URI' };

/** Names and values of the API itself are set in backticks: code the client types, not words. */
const code = (value: unknown) => `\`${String(value)}\``;

function what(part: string | undefined, path: string): string {
  const name = PART[part ?? '']?.zh ?? '参数';
  return path ? `${name} ${code(path)}` : part === 'body' ? '请求体' : name;
}

function rule(error: SchemaError, alternatives: unknown[]): string {
  const p = error.params;
  switch (error.keyword) {
    case 'type':
      return `应为${String(p.type).split(',').map((type) => TYPE_ZH[type] ?? type).join('或')}`;
    case 'minimum':
      return `不得小于 ${p.limit}`;
    case 'maximum':
      return `不得大于 ${p.limit}`;
    case 'exclusiveMinimum':
      return `应大于 ${p.limit}`;
    case 'exclusiveMaximum':
      return `应小于 ${p.limit}`;
    case 'minLength':
      return `至少应有 ${p.limit} 个字符`;
    case 'maxLength':
      return `至多 ${p.limit} 个字符`;
    case 'minItems':
      return `至少应有 ${p.limit} 项`;
    case 'maxItems':
      return `至多 ${p.limit} 项`;
    case 'pattern':
      return `格式不符（应匹配 ${code(p.pattern)}）`;
    case 'format':
      return `应为${FORMAT_ZH[String(p.format)] ?? `格式 ${code(p.format)}`}`;
    case 'enum':
      return `应为以下之一：${(p.allowedValues as unknown[]).map(code).join('、')}`;
    case 'const':
    case 'anyOf':
      return alternatives.length ? `应为以下之一：${alternatives.map(code).join('、')}` : '不符合任何允许的形式';
    case 'additionalProperties':
      return `不允许有字段 ${code(p.additionalProperty)}`;
    case 'multipleOf':
      return `应为 ${p.multipleOf} 的倍数`;
    default:
      return `不符合要求（${error.keyword}）`;
  }
}

/** A schema validation failure as a bilingual 400: the first problem, named in both languages. */
export function validationError(error: FastifyError): AppError {
  const errors = (error.validation ?? []) as SchemaError[];
  const part = (error as FastifyError & { validationContext?: string }).validationContext;
  const first = errors[0];
  if (!first) return commonErrors.validation({ zh: '请求不符合接口的定义', en: error.message });
  // A union of literals reports each literal, then anyOf: say the allowed values at once.
  const alternatives = errors.filter((e) => e.keyword === 'const' && e.instancePath === first.instancePath).map((e) => e.params.allowedValue);
  const missing = first.keyword === 'required' ? String(first.params.missingProperty) : null;
  const path = [first.instancePath.replace(/^\//, '').replace(/\//g, '.'), missing].filter(Boolean).join('.');
  const zh = missing ? `缺少${what(part, path)}` : `${what(part, path)} ${rule(first, alternatives)}`;
  return commonErrors.validation({ zh, en: error.message }, { issues: errors, ...(part ? { part } : {}) });
}

/** Where a validated value holds something no schema keyword can refuse, a description of it. */
function unrepresentable(value: unknown, path: string, depth = 0): Bilingual | null {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { zh: `${code(path)} 不是有限的数`, en: `${path} is not a finite number` };
    if (Number.isInteger(value) && !Number.isSafeInteger(value)) return { zh: `${code(path)} 超出可精确表示的整数范围`, en: `${path} is beyond the integers that can be represented exactly` };
    return null;
  }
  if (typeof value === 'string') {
    return value.includes('\u0000') ? { zh: `${path ? code(path) : ''} 含有空字符（NUL，\\u0000）`, en: `${path} contains a NUL character (\\u0000)` } : null;
  }
  if (value === null || typeof value !== 'object' || depth > 32) return null;
  for (const [key, inner] of Object.entries(value)) {
    if (key.includes('\u0000')) return { zh: `${path ? code(path) : ''} 的字段名含有空字符（NUL）`, en: `a field name in ${path} contains a NUL character` };
    const found = unrepresentable(inner, path ? `${path}.${key}` : key, depth + 1);
    if (found) return found;
  }
  return null;
}

/**
 * Runs after schema validation: AJV turns "1e309" into Infinity and then skips minimum and
 * maximum, and PostgreSQL text cannot hold NUL; such values are refused here, for every route.
 */
export async function refuseUnrepresentable(request: FastifyRequest): Promise<void> {
  for (const [part, value] of [['querystring', request.query], ['params', request.params], ['body', request.body]] as const) {
    const found = unrepresentable(value, '');
    if (found) {
      const name = PART[part]!;
      const tidy = (text: string) => text.replace(/\s+/g, ' ').trim();
      throw commonErrors.validation({ zh: tidy(`${name.zh} ${found.zh}`), en: tidy(`${name.en} ${found.en}`) }, { part });
    }
  }
}

/** Fastify's own refusals of a request, told in both languages. */
const FRAMEWORK_ZH: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: '请求体不是有效的 JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: '请求体声明为 JSON，却是空的',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: '不支持该请求体类型（`Content-Type`）',
  FST_ERR_CTP_BODY_TOO_LARGE: '请求体过大',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: '请求体长度与 `Content-Length` 不符',
  FST_ERR_BAD_URL: '请求地址无效',
  FST_ERR_MAX_PARAM_LENGTH: '路径参数过长',
  FST_ERR_ASYNC_CONSTRAINT: '请求无法路由',
};

export function frameworkError(error: FastifyError): AppError {
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  const code = error.code ?? 'BAD_REQUEST';
  const zh = FRAMEWORK_ZH[code] ?? `请求无效（${code}）`;
  return new AppError(status, code, zh, error.message);
}

// The checker the API tests judge Chinese messages with: it must catch what leaked before.
import { describe, expect, it } from 'vitest';
import { messageLeaks } from '../support/messages.ts';

describe('messageLeaks', () => {
  it('finds English words and ISO timestamps in Chinese text', () => {
    expect(messageLeaks('当前角色无权执行此操作：submit for district 310115')).toEqual(['English word "submit"', 'English word "for"', 'English word "district"']);
    expect(messageLeaks('同一文件已于 2026-12-04T13:12:11.561Z 提交过')).toEqual(['ISO timestamp 2026-12-04T13:12']);
    expect(messageLeaks('请求不符合要求：querystring/limit must be <= 5000')).toEqual(['English word "must"', 'English word "be"']);
  });

  it('lets codes, identifiers, paths, numbers, units and names through', () => {
    expect(messageLeaks('不支持的坐标系 EPSG:4528（CGCS2000 高斯-克吕格 Gauss-Kruger）')).toEqual([]);
    expect(messageLeaks('字段 DLTB.BSM 缺失；查询参数 districtCode 应为 6 位数字；接口 GET /api/users；面积 12.5 m²，2 km')).toEqual([]);
    expect(messageLeaks('查询参数 `level` 应为以下之一：`city`、`district`')).toEqual([]);
    expect(messageLeaks('该年度的调查任务尚未结束：“ordinary survey”（计划中）')).toEqual([]);
    expect(messageLeaks('缺少 CSRF 令牌（请求头 x-csrf-token）；同一文件已于 2026年12月4日 21:12 提交过')).toEqual([]);
  });
});

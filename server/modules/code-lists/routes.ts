import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { commonErrors, errorResponses, THINGS } from '../../errors.ts';
import { asActor } from '../../db/context.ts';
import { getCodeList, listCodeLists } from './repository.ts';

const CodeEntrySchema = Type.Object({
  code: Type.String(),
  name: Type.String(),
  parentCode: Type.Union([Type.String(), Type.Null()]),
  color: Type.Union([Type.String(), Type.Null()], { description: '三调 palette fill, #rrggbb' }),
  verified: Type.Boolean({ description: 'false: configuration from unverified sources, not law' }),
});

export const codeListRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/code-lists',
    {
      schema: {
        tags: ['reference'],
        summary: '代码表目录 / the code lists',
        response: { 200: Type.Array(Type.Object({ list: Type.String(), entries: Type.Integer() })), ...errorResponses },
      },
    },
    (request) => asActor(app.db, request.actor, listCodeLists),
  );

  app.get(
    '/api/code-lists/:list',
    {
      schema: {
        tags: ['reference'],
        summary: '代码表 / one code list (dlbm, dlbm_group, gbt21010, qsxz, gdlx, gdpdjb, zzsxdm, tbxhdm, czcsxm)',
        params: Type.Object({ list: Type.String({ pattern: '^[a-z0-9_]{1,32}$' }) }),
        response: { 200: Type.Array(CodeEntrySchema), ...errorResponses },
      },
    },
    async (request) => {
      const entries = await asActor(app.db, request.actor, (tx) => getCodeList(tx, request.params.list));
      if (entries.length === 0) throw commonErrors.notFound(THINGS.codeList, request.params.list);
      return entries;
    },
  );
};

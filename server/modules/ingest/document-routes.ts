// The documents and maps delivered in a package, read back out of the archived upload. Which
// submissions a user may read is the database's decision (the select runs under the user's role);
// a document is served only if the import report listed it.
import path from 'node:path';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { asActor } from '../../db/context.ts';
import { AppError, commonErrors, errorResponses, THINGS } from '../../errors.ts';
import { requireRole } from '../auth/plugin.ts';
import { STAFF_READERS } from '../auth/roles.ts';
import type { PackageDocument } from './documents.ts';
import { openZip } from './zip.ts';

const MEDIA_TYPES: Record<string, string> = {
  '.pdf': 'application/pdf', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.tif': 'image/tiff', '.tiff': 'image/tiff',
  '.txt': 'text/plain; charset=utf-8', '.csv': 'text/csv; charset=utf-8', '.svg': 'image/svg+xml',
  '.doc': 'application/msword', '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.xls': 'application/vnd.ms-excel', '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

function documentNotFound(submissionId: string, memberPath: string): AppError {
  return new AppError(404, 'DOCUMENT_NOT_FOUND', `提交 ${submissionId} 的成果包中没有文件 ${memberPath}`, `The package of submission ${submissionId} holds no document ${memberPath}`, { file: memberPath });
}

const DocumentSchema = Type.Object({
  path: Type.String({ description: 'the file in the package' }),
  category: Type.Union([Type.Literal('text'), Type.Literal('map'), Type.Literal('table'), Type.Literal('raster'), Type.Literal('other')], { description: 'text 文字成果 | map 图件成果 | table 表格成果 | raster 栅格成果 | other' }),
  sizeBytes: Type.Integer(),
});

export const documentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  async function readable(request: { actor: Parameters<typeof asActor>[1] }, id: string) {
    const row = await asActor(app.db, request.actor, (tx) =>
      tx.selectFrom('submissions').select(['id', 'archive_path', 'report']).where('id', '=', id).executeTakeFirst(),
    );
    if (!row) throw commonErrors.notFound(THINGS.submission, id);
    const report = row.report as { documents?: PackageDocument[] } | null;
    return { archivePath: row.archive_path, documents: report?.documents ?? [] };
  }

  app.get(
    '/api/submissions/:id/documents',
    {
      preHandler: requireRole(...STAFF_READERS),
      schema: {
        tags: ['submissions'],
        summary: '成果包中的文字、图件、表格成果 / the documents and maps delivered in the package',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 200: Type.Object({ documents: Type.Array(DocumentSchema) }), ...errorResponses },
      },
    },
    async (request) => ({ documents: (await readable(request, request.params.id)).documents }),
  );

  app.get(
    '/api/submissions/:id/documents/file',
    {
      preHandler: requireRole(...STAFF_READERS),
      schema: {
        tags: ['submissions'],
        summary: '下载成果包中的一个文件 / download one document of the package',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        querystring: Type.Object({ path: Type.String({ minLength: 1, maxLength: 1000, description: 'the path listed in documents' }) }),
        response: { 200: { description: 'the file as delivered', type: 'string', format: 'binary' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { archivePath, documents } = await readable(request, request.params.id);
      const listed = documents.find((document) => document.path === request.query.path);
      if (!listed) throw documentNotFound(request.params.id, request.query.path);
      const ingest = app.config.ingest;
      const zip = await openZip(path.resolve(ingest.archiveDir, archivePath), listed.path, {
        maxUncompressedBytes: ingest.maxUncompressedBytes, maxCompressionRatio: ingest.maxCompressionRatio, maxEntries: ingest.maxZipEntries,
      });
      const entry = zip.entries.find((candidate) => candidate.path === listed.path);
      if (!entry) {
        zip.close();
        throw documentNotFound(request.params.id, listed.path);
      }
      const stream = await zip.open(entry);
      stream.once('close', () => zip.close());
      const extension = path.posix.extname(listed.path).toLowerCase();
      reply.header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(path.posix.basename(listed.path))}`);
      reply.header('content-length', String(entry.uncompressedSize));
      return reply.type(MEDIA_TYPES[extension] ?? 'application/octet-stream').send(stream as never);
    },
  );
};

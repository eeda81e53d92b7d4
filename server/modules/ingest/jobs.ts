// Imports run in the background, one at a time: an import keeps both cores busy (reading here,
// transforming in PostGIS), and the embedded engine has a single connection. Progress lives in
// memory while a job runs; the outcome (state, report, error) is stored with the submission.
import type { FastifyBaseLogger } from 'fastify';
import { asSystem } from '../../db/context.ts';
import type { Database } from '../../db/engine.ts';
import type { IngestConfig } from '../../config.ts';
import { AppError } from '../../errors.ts';
import { recordAudit } from '../audit/repository.ts';
import { runImport, type ImportProgress, type ImportReport, type ImportRequest } from './importer.ts';
import { markImportFailed, markImportStarted } from './submission-repository.ts';

export interface ImportOutcome {
  submissionId: string;
  report: ImportReport | null;
  error: AppError | null;
}

/** What runs after a successful import, in the same queue (the quality checks). */
export type AfterImport = (submissionId: string, onProgress: (progress: ImportProgress) => void) => Promise<void>;

export class ImportQueue {
  private readonly progressById = new Map<string, ImportProgress>();
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;
  private afterImport: AfterImport | null = null;

  constructor(
    private readonly db: Database,
    private readonly config: IngestConfig,
    private readonly log: Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>,
  ) {}

  /** Every import that lands is followed by this (the quality checks), before the next job. */
  setAfterImport(after: AfterImport | null): void {
    this.afterImport = after;
  }

  /** Queues other work behind the imports (a quality run asked for by hand); it never rejects. */
  enqueueWork(submissionId: string, work: (onProgress: (progress: ImportProgress) => void) => Promise<void>): Promise<void> {
    this.pending++;
    const run = this.tail.then(async () => {
      try {
        await work((progress) => this.progressById.set(submissionId, progress));
      } catch (error) {
        this.log.error({ err: error, submissionId }, 'queued work failed');
      } finally {
        this.pending--;
        setTimeout(() => this.progressById.delete(submissionId), 60_000).unref();
      }
    });
    this.tail = run;
    return run;
  }

  /** Queues an import; the returned promise settles when it has run (it never rejects). */
  enqueue(request: ImportRequest): Promise<ImportOutcome> {
    this.progressById.set(request.submissionId, { stage: 'queued', layer: null, recordsRead: 0, recordsTotal: null, percent: 0 });
    this.pending++;
    const run = this.tail.then(() => this.run(request));
    this.tail = run;
    return run;
  }

  progress(submissionId: string): ImportProgress | null {
    return this.progressById.get(submissionId) ?? null;
  }

  /** Settles when every queued import has run (shutdown, tests, the CLI). */
  async idle(): Promise<void> {
    while (this.pending > 0) await this.tail;
  }

  private async run(request: ImportRequest): Promise<ImportOutcome> {
    const started = Date.now();
    try {
      await markImportStarted(this.db, request);
      const report = await runImport(this.db, this.config, request, (progress) => this.progressById.set(request.submissionId, progress));
      await asSystem(this.db, (tx) =>
        recordAudit(tx, null, {
          action: 'submission.imported',
          objectType: 'submission',
          objectId: request.submissionId,
          districtCode: request.districtCode,
          detail: { records: report.records, layers: report.layers.map((layer) => layer.code), ms: Date.now() - started },
        }),
      );
      this.log.info({ submissionId: request.submissionId, records: report.records, ms: Date.now() - started }, 'import finished');
      if (this.afterImport) {
        // A failed check is recorded with its run; the import itself stands.
        await this.afterImport(request.submissionId, (progress) => this.progressById.set(request.submissionId, progress)).catch((error: unknown) =>
          this.log.error({ err: error, submissionId: request.submissionId }, 'quality checks failed'),
        );
      }
      return { submissionId: request.submissionId, report, error: null };
    } catch (caught) {
      const error = caught instanceof AppError ? caught : new AppError(500, 'IMPORT_FAILED', '导入失败（服务器内部错误）', 'The import failed (internal error)', { reason: (caught as Error).message });
      if (!(caught instanceof AppError)) this.log.error({ err: caught, submissionId: request.submissionId }, 'import failed unexpectedly');
      const progress = this.progressById.get(request.submissionId);
      if (progress) this.progressById.set(request.submissionId, { ...progress, stage: 'failed' });
      await markImportFailed(this.db, request, error).catch((markError: unknown) => this.log.error({ err: markError }, 'could not record the failed import'));
      await asSystem(this.db, (tx) =>
        recordAudit(tx, null, {
          action: 'submission.import_failed',
          objectType: 'submission',
          objectId: request.submissionId,
          districtCode: request.districtCode,
          detail: { code: error.code, ms: Date.now() - started },
        }),
      ).catch((auditError: unknown) => this.log.error({ err: auditError }, 'could not audit the failed import'));
      return { submissionId: request.submissionId, report: null, error };
    } finally {
      this.pending--;
      // Progress of finished jobs is kept briefly for clients still polling, then dropped.
      setTimeout(() => this.progressById.delete(request.submissionId), 60_000).unref();
    }
  }
}

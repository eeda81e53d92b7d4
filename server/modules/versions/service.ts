// Acceptance (验收) of a checked submission by the city, before it is applied. The database lets a
// submission become accepted only when its latest quality run finished without a blocking
// finding (migrations/0008); this adds who accepted it and when, and the audit entry.
import { asSystem } from '../../db/context.ts';
import type { Database } from '../../db/engine.ts';
import { recordAudit } from '../audit/repository.ts';
import type { SessionUser } from '../auth/repository.ts';
import { versionErrors } from './errors.ts';

export async function acceptSubmission(db: Database, submissionId: string, user: SessionUser, clientIp: string | null): Promise<{ id: string; state: string; districtCode: string }> {
  return asSystem(db, async (tx) => {
    const submission = await tx.selectFrom('submissions').select(['id', 'state', 'district_code']).where('id', '=', submissionId).forUpdate().executeTakeFirst();
    if (!submission) throw versionErrors.submissionNotFound(submissionId);
    if (submission.state !== 'checked') throw versionErrors.notCheckedClean(submission.state);
    await tx
      .updateTable('submissions')
      .set({ state: 'accepted', accepted_at: new Date(), accepted_by: user.id, updated_at: new Date() })
      .where('district_code', '=', submission.district_code)
      .where('id', '=', submission.id)
      .execute();
    await recordAudit(tx, user, { action: 'submission.accepted', objectType: 'submission', objectId: submission.id, districtCode: submission.district_code, clientIp });
    return { id: submission.id, state: 'accepted', districtCode: submission.district_code };
  });
}

/** 验收不通过: the city turns down a checked or accepted (not yet applied) package; a corrected one must follow. */
export async function rejectSubmission(db: Database, submissionId: string, user: SessionUser, reason: string, clientIp: string | null): Promise<{ id: string; state: string; districtCode: string }> {
  return asSystem(db, async (tx) => {
    const submission = await tx.selectFrom('submissions').select(['id', 'state', 'district_code']).where('id', '=', submissionId).forUpdate().executeTakeFirst();
    if (!submission) throw versionErrors.submissionNotFound(submissionId);
    if (submission.state !== 'checked' && submission.state !== 'accepted') throw versionErrors.notRejectable(submission.state);
    await tx.updateTable('submissions').set({ state: 'rejected', updated_at: new Date() }).where('district_code', '=', submission.district_code).where('id', '=', submission.id).execute();
    await recordAudit(tx, user, { action: 'submission.rejected', objectType: 'submission', objectId: submission.id, districtCode: submission.district_code, clientIp, detail: { reason, from: submission.state } });
    return { id: submission.id, state: 'rejected', districtCode: submission.district_code };
  });
}

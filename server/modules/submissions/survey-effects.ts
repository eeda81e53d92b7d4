// What a survey step does besides moving the state: publishing (公布) records what is published,
// under which approval; withdrawing ends publications. Kept here, beside the steps, so the
// publications table is written by the lifecycle only (its trigger allows nothing but one
// withdrawal per row).
import type { Tx } from '../../db/context.ts';
import type { AuditActor } from '../audit/repository.ts';
import type { DecisionInput, Moved } from './lifecycle.ts';
import { lifecycleErrors } from './errors.ts';

/** The layers a publication covers unless it names them: the ones the public map draws. */
export const PUBLIC_LAYERS = ['land_use', 'basic_farmland'] as const;
/** The fields the public's tiles and tables carry (server/modules/tiles/sql.ts, versions/statistics.ts). */
export const PUBLIC_FIELDS: Record<string, string[]> = {
  land_use: ['BSM', 'DLBM', 'DLMC', 'XZQDM', 'TBMJ'],
  basic_farmland: ['BSM', 'DLBM'],
};

/** The layers named (default: the public map's), refused unless the public read rule covers them (migrations/0018). */
function publishedLayers(named: string[] | undefined): string[] {
  const layers = named?.length ? [...new Set(named)] : [...PUBLIC_LAYERS];
  const refused = layers.filter((layer) => !(PUBLIC_LAYERS as readonly string[]).includes(layer));
  if (refused.length) throw lifecycleErrors.publicationOutsidePublicSet('layers', refused, [...PUBLIC_LAYERS]);
  return layers;
}

/** The fields named (default: all the public carry), once each, refused unless the public's tiles and tables carry them. */
function publishedFields(layers: string[], named: string[] | undefined): string[] {
  const carried = [...new Set(layers.flatMap((layer) => PUBLIC_FIELDS[layer] ?? []))];
  const fields = named?.length ? [...new Set(named.map((field) => field.toUpperCase()))] : carried;
  const refused = fields.filter((field) => !carried.includes(field));
  if (refused.length) throw lifecycleErrors.publicationOutsidePublicSet('fields', refused, carried);
  return fields;
}

async function latestApproval(tx: Tx, surveyId: string): Promise<string> {
  const approval = await tx
    .selectFrom('decisions')
    .select('id')
    .where('survey_id', '=', surveyId)
    .where('object', '=', 'survey')
    .where('action', '=', 'approve')
    .orderBy('decided_at', 'desc')
    .executeTakeFirst();
  if (!approval) throw lifecycleErrors.needs('approval', 'approved', 'publish');
  return approval.id;
}

export async function afterSurveyMove(tx: Tx, moved: Moved, actor: AuditActor, decisionId: string, input: DecisionInput): Promise<void> {
  switch (moved.action) {
    case 'publish':
    case 'publish_district': {
      const survey = await tx.selectFrom('surveys').select(['time_point', 'scope', 'district_code']).where('id', '=', moved.surveyId).executeTakeFirstOrThrow();
      const layers = publishedLayers(input.layers);
      await tx
        .insertInto('publications')
        .values({
          survey_id: moved.surveyId,
          // A city survey's own publication covers the city; a district's (依次公布) or a
          // district survey's covers that district.
          district_code: moved.action === 'publish_district' || survey.scope === 'district' ? moved.districtCode : null,
          day: survey.time_point,
          layers,
          fields: publishedFields(layers, input.fields),
          decision_id: decisionId,
          approval_decision_id: await latestApproval(tx, moved.surveyId),
          published_by: actor.id,
        })
        .execute();
      return;
    }
    case 'withdraw':
      await tx.updateTable('publications').set({ withdrawn_decision_id: decisionId }).where('survey_id', '=', moved.surveyId).where('withdrawn_at', 'is', null).execute();
      return;
    case 'withdraw_district':
      await tx
        .updateTable('publications')
        .set({ withdrawn_decision_id: decisionId })
        .where('survey_id', '=', moved.surveyId)
        .where('district_code', '=', moved.districtCode ?? '')
        .where('withdrawn_at', 'is', null)
        .execute();
      return;
    default:
      return;
  }
}

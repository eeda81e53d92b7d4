// The district bureau's page (本区成果, #/district): its surveys and their deadlines, its
// submissions grouped by what they correct (each round, its state, the decisions with their
// opinions), and its 整改 list: the submissions the city (or an office) returned, the 整改
// requirements and the findings they point at, each with 上传整改成果, which opens the upload page
// on that survey. The upload route makes a package sent after a returned one the next round,
// linked to it (server/modules/ingest/submission-repository.ts), so the page need only preset the survey.
import './workflow.css';
import { errorMessage, type User } from './api';
import { listFindings, listSurveys, type Finding, type Survey } from './api-data';
import { decisionItem, rectificationItem, roleName } from './decision-view';
import { byId, formatDateTime, h, showError } from './dom';
import { SUBMISSION_STATES, surveyStateLabel } from './labels';
import { listLifecycleSubmissions, submissionRecord, type LifecycleSubmission, type SubmissionRecord } from './workflow-api';

/** States the lifecycle adds to the upload page's list. */
export const LIFECYCLE_STATES: Record<string, string> = {
  ...SUBMISSION_STATES,
  rejected: '已退回（须整改）',
  preliminary_accepted: '已初验',
  filed: '已备案',
};

export function stateName(state: string): string {
  return LIFECYCLE_STATES[state] ?? state;
}

/** What the upload page needs to take a correction. */
export interface Correction {
  surveyId: string;
  surveyTitle: string;
  corrects: LifecycleSubmission;
}

const surveysBody = byId<HTMLTableElement>('district-surveys').tBodies[0]!;
const rectifyList = byId('rectify-list');
const chainList = byId('district-chains');
const pageError = byId('district-error');
const title = byId('district-title');

/** The latest submission of each survey (its record holds every round of the survey). */
function latestPerSurvey(submissions: LifecycleSubmission[]): LifecycleSubmission[] {
  const latest = new Map<string, LifecycleSubmission>();
  for (const s of submissions) {
    const seen = latest.get(s.surveyId);
    if (!seen || s.createdAt > seen.createdAt) latest.set(s.surveyId, s);
  }
  return [...latest.values()].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
}

/** A survey's round awaiting correction: the latest one not failed, when it was turned down. */
function awaitingCorrection(record: SubmissionRecord): LifecycleSubmission | undefined {
  const live = record.rounds.filter((round) => round.state !== 'failed').sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const last = live.at(-1);
  return last?.state === 'rejected' ? last : undefined;
}

export class DistrictPage {
  private loading = 0;

  constructor(private readonly onRectify: (correction: Correction) => void) {}

  async enter(user: User): Promise<void> {
    const load = ++this.loading;
    title.textContent = `本区成果${user.districtName ? `（${user.districtName}）` : ''}`;
    showError(pageError, null);
    let surveys: Survey[];
    let records: SubmissionRecord[];
    try {
      const [loadedSurveys, submissions] = await Promise.all([listSurveys(), listLifecycleSubmissions()]);
      surveys = loadedSurveys;
      records = await Promise.all(latestPerSurvey(submissions).map((s) => submissionRecord(s.id)));
    } catch (err) {
      showError(pageError, `无法加载本区成果：${errorMessage(err)}`);
      return;
    }
    if (load !== this.loading) return;
    this.renderSurveys(surveys);
    await this.renderRectifications(records.flatMap((record) => {
      const round = awaitingCorrection(record);
      return round ? [{ record, round }] : [];
    }));
    this.renderChains(records);
  }

  private renderSurveys(surveys: Survey[]): void {
    const rows = [...surveys]
      .sort((a, b) => Number(b.state === 'collecting') - Number(a.state === 'collecting') || b.year - a.year)
      .map((survey) => h('tr', '', h('td', '', survey.title), h('td', '', String(survey.year)), h('td', '', surveyStateLabel(survey)), h('td', '', survey.submissionDeadline ?? '—')));
    surveysBody.replaceChildren(...rows);
  }

  private async renderRectifications(returned: { record: SubmissionRecord; round: LifecycleSubmission }[]): Promise<void> {
    if (returned.length === 0) {
      rectifyList.replaceChildren(h('p', 'muted', '没有待整改的成果。'));
      return;
    }
    const items = await Promise.all(returned.map(({ record, round }) => this.rectificationCard(record, round)));
    rectifyList.replaceChildren(...items);
  }

  private async rectificationCard(record: SubmissionRecord, submission: LifecycleSubmission): Promise<HTMLElement> {
    const returns = record.decisions.filter((d) => d.submissionId === submission.id && d.to === 'rejected');
    const last = returns.at(-1);
    const findings = await this.pointedFindings(record.submission.id === submission.id ? record.latestRun : null, last?.rectification ?? []);
    const upload = h('button', '', '上传整改成果');
    upload.type = 'button';
    upload.addEventListener('click', () => this.onRectify({ surveyId: submission.surveyId, surveyTitle: submission.surveyTitle, corrects: submission }));
    const card = h(
      'div',
      'chain rectify-item',
      h('strong', '', `${submission.surveyTitle} · 第 ${submission.round} 轮 · ${submission.fileName}`),
      h('p', 'small', last ? `${last.label}：${formatDateTime(last.decidedAt)}，${[last.deciderName ?? roleName(last.deciderRole), last.organisationName].filter(Boolean).join('，')}` : '质检未通过，须更正后重新上传'),
    );
    if (last?.opinion) card.append(h('p', 'small', `审核意见：${last.opinion}`));
    if (last?.rectification?.length) card.append(h('ol', 'rectification', ...last.rectification.map((item) => rectificationItem(item, findings))));
    card.append(h('div', 'item-actions', upload));
    card.dataset.submission = submission.id;
    return card;
  }

  /** The findings the requirements point at, from the round's latest quality run. */
  private async pointedFindings(run: SubmissionRecord['latestRun'], rectification: { findings?: number[] }[]): Promise<Map<number, Finding>> {
    const wanted = new Set(rectification.flatMap((item) => item.findings ?? []));
    const found = new Map<number, Finding>();
    if (wanted.size === 0 || !run) return found;
    try {
      // A run lists its findings in order; a return points at a handful, among the first thousand.
      const page = await listFindings(run.id, { limit: 1000, offset: 0 });
      for (const finding of page.findings) if (wanted.has(finding.findingNo)) found.set(finding.findingNo, finding);
    } catch {
      // The numbers are shown without their text.
    }
    return found;
  }

  private renderChains(records: SubmissionRecord[]): void {
    if (records.length === 0) {
      chainList.replaceChildren(h('p', 'muted', '本区尚无提交记录。'));
      return;
    }
    chainList.replaceChildren(
      ...records.map((record) => {
        const rounds = [...record.rounds].sort((a, b) => a.round - b.round);
        const list = h(
          'ol',
          'round-list',
          ...rounds.map((round) => {
            const decisions = record.decisions.filter((d) => d.submissionId === round.id);
            const corrects = round.correctsSubmissionId ? rounds.find((r) => r.id === round.correctsSubmissionId) : undefined;
            const li = h(
              'li',
              'round',
              h('strong', '', `第 ${round.round} 轮`),
              ` ${round.fileName} · ${formatDateTime(round.createdAt)} 上传 · `,
              h('span', 'round-state', stateName(round.state)),
              corrects ? h('span', 'muted small', `（更正第 ${corrects.round} 轮）`) : '',
            );
            li.dataset.submission = round.id;
            li.dataset.round = String(round.round);
            if (round.correctsSubmissionId) li.dataset.corrects = round.correctsSubmissionId;
            if (decisions.length > 0) li.append(h('ul', 'decision-list', ...decisions.map((d) => decisionItem(d))));
            return li;
          }),
        );
        const chain = h('div', 'chain', h('strong', '', record.submission.surveyTitle), list);
        chain.dataset.latest = record.submission.id;
        return chain;
      }),
    );
  }
}

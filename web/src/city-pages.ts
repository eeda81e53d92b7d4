// The city's review pages and their routes: #/review (the queue), #/submissions/<id>,
// #/surveys and #/surveys/<id>. main.ts asks cityPageFor() which page an address stands for and
// hands the shown page to CityPages.show(); everything else about these pages is here.
import type { Role, User } from './api';
import type { Finding, QualityRun, Submission } from './api-data';
import type { District } from './districts';
import { byId } from './dom';
import { ReviewQueuePage } from './review-queue';
import { SubmissionPage } from './submission-page';
import { SurveyListPage, SurveyPage } from './survey-page';

export type CityPage = 'review' | 'submission' | 'surveys' | 'survey';

/** The city roles that review and decide: the bureau's administrator and auditor, the leading-group office. */
export const CITY_ROLES: readonly Role[] = ['city_admin', 'city_auditor', 'leading_group_office'];

const ROUTES: [RegExp, CityPage][] = [
  [/^#\/review$/, 'review'],
  [/^#\/submissions\/([0-9a-f-]{36})$/, 'submission'],
  [/^#\/surveys$/, 'surveys'],
  [/^#\/surveys\/([0-9a-f-]{36})$/, 'survey'],
];

/** The city page an address stands for, if the user may see it. */
export function cityPageFor(hash: string, user: User | null): CityPage | null {
  if (!user || !CITY_ROLES.includes(user.role)) return null;
  return ROUTES.find(([pattern]) => pattern.test(hash))?.[1] ?? null;
}

/** The nav link a city page lights up. */
export function cityNavRoute(page: CityPage): string {
  return page === 'submission' ? 'review' : page === 'survey' ? 'surveys' : page;
}

export class CityPages {
  private readonly views: Record<CityPage, HTMLElement>;
  private readonly queue: ReviewQueuePage;
  private readonly submission: SubmissionPage;
  private readonly surveys: SurveyListPage;
  private readonly survey: SurveyPage;
  private shown: string | null = null;

  constructor(
    private readonly districts: () => readonly District[],
    onFinding: (run: QualityRun, finding: Finding, submission: Submission | null) => void,
  ) {
    this.views = { review: byId('review-view'), submission: byId('submission-view'), surveys: byId('surveys-view'), survey: byId('survey-view') };
    this.queue = new ReviewQueuePage(this.views.review);
    this.submission = new SubmissionPage(this.views.submission, onFinding);
    this.surveys = new SurveyListPage(this.views.surveys);
    this.survey = new SurveyPage(this.views.survey);
  }

  /** Shows the page (null: none of these), entering it when the address changed. */
  show(page: CityPage | null, user: User | null): void {
    for (const [name, view] of Object.entries(this.views)) view.hidden = name !== page;
    const address = page ? window.location.hash : null;
    if (address === this.shown) return;
    this.shown = address;
    if (page !== 'submission') this.submission.leave();
    if (page !== 'survey') this.survey.leave();
    if (!page || !user) return;
    const id = ROUTES.find(([, name]) => name === page)![0].exec(window.location.hash)?.[1] ?? '';
    const districts = this.districts();
    if (page === 'review') void this.queue.enter(districts.map((d) => ({ code: d.unit.code, name: d.unit.name })));
    else if (page === 'submission') void this.submission.enter(id, districts);
    else if (page === 'surveys') void this.surveys.enter();
    else void this.survey.enter(id, user, districts);
  }
}

// The city's review pages and their routes: #/review (the queue), #/submissions/<id>,
// #/surveys, #/surveys/<id> and #/accounts (the accounts page, accounts-page.ts). main.ts asks cityPageFor() which page an address stands for and
// hands the shown page to CityPages.show(); everything else about these pages is here.
import type { Role, User } from './api';
import type { Finding, QualityRun, Submission } from './api-data';
import type { District } from './districts';
import { byId } from './dom';
import { AccountsPage } from './accounts-page';
import { ReviewQueuePage } from './review-queue';
import { SubmissionPage } from './submission-page';
import { SurveyListPage, SurveyPage } from './survey-page';

export type CityPage = 'review' | 'submission' | 'surveys' | 'survey' | 'accounts';

/** The city roles that review and decide: the bureau's administrator and auditor, the leading-group office. */
export const CITY_ROLES: readonly Role[] = ['city_admin', 'city_auditor', 'leading_group_office'];

/** Accounts are the bureau's: its administrator manages them, its auditor reads them. */
const ACCOUNT_ROLES: readonly Role[] = ['city_admin', 'city_auditor'];

/** The survey pages serve the districts too: a district bureau publishes in turn (依次公布). */
const SURVEY_ROLES: readonly Role[] = [...CITY_ROLES, 'district_operator', 'district_office' as Role];

/** Whether a role may open a city page (the server decides again on every request). */
export function cityPageAllowed(page: CityPage, role: Role): boolean {
  if (page === 'accounts') return ACCOUNT_ROLES.includes(role);
  if (page === 'surveys' || page === 'survey') return SURVEY_ROLES.includes(role);
  return CITY_ROLES.includes(role);
}

const ROUTES: [RegExp, CityPage][] = [
  [/^#\/review$/, 'review'],
  [/^#\/submissions\/([0-9a-f-]{36})$/, 'submission'],
  [/^#\/surveys$/, 'surveys'],
  [/^#\/surveys\/([0-9a-f-]{36})$/, 'survey'],
  [/^#\/accounts$/, 'accounts'],
];

/** The city page an address stands for, if the user may see it. */
export function cityPageFor(hash: string, user: User | null): CityPage | null {
  if (!user) return null;
  const page = ROUTES.find(([pattern]) => pattern.test(hash))?.[1] ?? null;
  return page && cityPageAllowed(page, user.role) ? page : null;
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
  private readonly accounts: AccountsPage;
  private shown: string | null = null;

  constructor(
    private readonly districts: () => readonly District[],
    onFinding: (run: QualityRun, finding: Finding, submission: Submission | null) => void,
  ) {
    this.views = { review: byId('review-view'), submission: byId('submission-view'), surveys: byId('surveys-view'), survey: byId('survey-view'), accounts: byId('accounts-view') };
    this.queue = new ReviewQueuePage(this.views.review);
    this.submission = new SubmissionPage(this.views.submission, onFinding);
    this.surveys = new SurveyListPage(this.views.surveys);
    this.survey = new SurveyPage(this.views.survey);
    this.accounts = new AccountsPage(this.views.accounts);
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
    else if (page === 'accounts') {
      this.accounts.setDistricts([...districts]);
      void this.accounts.enter(user);
    } else void this.survey.enter(id, user, districts);
  }
}

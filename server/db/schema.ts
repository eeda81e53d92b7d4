// Kysely table types, written to match migrations/. Columns the database fills are Generated.
import type { ColumnType, Generated, RawBuilder } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string | RawBuilder<unknown>>;
/** numeric columns come back as exact decimal strings */
type Decimal = ColumnType<string, string | number, string | number>;
/** PostGIS geometry; read and write it through SQL functions (ST_AsGeoJSON, ST_GeomFromGeoJSON). */
type Geometry = ColumnType<string, string, string>;

export type AdminLevel = 'city' | 'district' | 'town' | 'village';
export type OrganisationKind = 'city_bureau' | 'district_bureau' | 'leading_group_office' | 'survey_unit' | 'agency';
export type UserRole = 'city_admin' | 'city_auditor' | 'district_operator' | 'leading_group_office' | 'district_office' | 'surveyor' | 'agency';
export type SurveyKind = 'national' | 'land_use_change' | 'cadastral_change' | 'special';
export type SurveyScope = 'city' | 'district';
export type SecrecyLevel = 'public' | 'internal' | 'confidential' | 'secret';
export type SurveyState =
  | 'planned' | 'collecting' | 'checking' | 'preliminary_accepted' | 'accepted'
  | 'filed' | 'approved' | 'published' | 'closed';
export type SubmissionState =
  | 'received' | 'importing' | 'imported' | 'checking' | 'checked'
  | 'rejected' | 'preliminary_accepted' | 'accepted' | 'filed' | 'applied' | 'failed' | 'superseded';
export type ParcelLayer = 'land_use' | 'basic_farmland' | 'ownership';
export type ChangeKind =
  | 'split' | 'merge' | 'reclassification' | 'boundary_change' | 'ownership_change' | 'attribute_change';

export interface AdminUnitsTable {
  code: string;
  level: AdminLevel;
  parent_code: string | null;
  name: string;
  boundary: Geometry | null;
  control_area_m2: Decimal | null;
  valid_from: ColumnType<string, string | undefined, string>;
  valid_to: string | null;
  note: string | null;
}

export interface CodeListsTable {
  list: string;
  code: string;
  name: string;
  parent_code: string | null;
  sort_order: number;
  color: string | null;
  verified: boolean;
}

export interface ReferenceLoadsTable {
  source: string;
  sha256: string;
  loaded_at: Timestamp;
}

export interface OrganisationsTable {
  id: Generated<string>;
  kind: OrganisationKind;
  name: string;
  district_code: string | null;
  credit_code: string | null;
  created_at: Timestamp;
}

export interface UsersTable {
  id: Generated<string>;
  username: string;
  display_name: string;
  role: UserRole;
  organisation_id: string | null;
  district_code: string | null;
  password_hash: string;
  failed_login_count: Generated<number>;
  locked_until: Date | null;
  disabled: Generated<boolean>;
  created_at: Timestamp;
  password_changed_at: Timestamp;
}

export interface SessionsTable {
  token_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: Timestamp;
  expires_at: Date;
  client_ip: string | null;
  user_agent: string | null;
}

export interface SurveysTable {
  id: Generated<string>;
  kind: SurveyKind;
  scope: SurveyScope;
  district_code: string | null;
  year: number;
  time_point: string;
  title: string;
  description: string | null;
  secrecy: ColumnType<SecrecyLevel, SecrecyLevel | undefined, SecrecyLevel>;
  state: ColumnType<SurveyState, SurveyState | undefined, SurveyState>;
  submission_deadline: string | null;
  acceptance_deadline: string | null;
  created_by: string | null;
  created_at: Timestamp;
}

export interface SubmissionsTable {
  id: Generated<string>;
  district_code: string;
  survey_id: string;
  state: ColumnType<SubmissionState, SubmissionState | undefined, SubmissionState>;
  file_name: string;
  sha256: string;
  size_bytes: number;
  archive_path: string;
  format: string | null;
  uploaded_by: string | null;
  surveyor_id: string | null;
  report: unknown | null;
  encoding_override: ColumnType<string | null, string | null | undefined, string | null>;
  declared_epsg: ColumnType<number | null, number | null | undefined, number | null>;
  import_started_at: ColumnType<Date | null, never, RawBuilder<unknown> | null>;
  import_finished_at: ColumnType<Date | null, never, RawBuilder<unknown> | null>;
  accepted_at: ColumnType<Date | null, never, Date | null>;
  accepted_by: ColumnType<string | null, never, string | null>;
  applied_at: ColumnType<Date | null, never, Date | null>;
  applied_by: ColumnType<string | null, never, string | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
  round: ColumnType<number, number | undefined, number>;
  corrects_submission_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: Timestamp;
  actor_user_id: string | null;
  actor_role: string;
  district_code: string | null;
  action: string;
  object_type: string | null;
  object_id: string | null;
  detail: unknown | null;
  client_ip: string | null;
}

/** Columns every versioned parcel table shares. */
export interface ParcelVersionColumns {
  version_id: Generated<number>;
  district_code: string;
  bsm: string;
  valid_from: string;
  valid_to: string | null;
  submission_id: string;
  closed_by_submission_id: string | null;
  created_at: Timestamp;
  geom: Geometry;
  area_m2: Decimal;
}

type Text = string | null;
type Num = Decimal | null;

export interface LandUseParcelsTable extends ParcelVersionColumns {
  ysdm: Text; tbybh: Text; tbbh: Text; dlbm: Text; dlmc: Text; qsxz: Text; qsdwdm: Text;
  qsdwmc: Text; zldwdm: Text; zldwmc: Text; tbmj: Num; kcdlbm: Text; kcxs: Num; kcmj: Num;
  tbdlmj: Num; gdlx: Text; gdpdjb: Text; xzdwkd: Num; tbxhdm: Text; tbxhmc: Text; zzsxdm: Text;
  zzsxmc: Text; gddb: number | null; frdbs: Text; czcsxm: Text; sjnf: number | null; mssm: Text;
  hdmc: Text; bz: Text;
}

export interface BasicFarmlandParcelsTable extends ParcelVersionColumns {
  ysdm: Text; xzqdm: Text; xzqmc: Text; yjjbnttbbh: Text; tbbh: Text; dlbm: Text; dlmc: Text;
  qsxz: Text; qsdwdm: Text; qsdwmc: Text; zldwdm: Text; zldwmc: Text; yjjbnttbmj: Num;
  kcdlbm: Text; kcxs: Num; kcmj: Num; yjjbntmj: Num; gdlx: Text; gdpdjb: Text; tbxhdm: Text;
  tbxhmc: Text; zzsxdm: Text; zzsxmc: Text; gddb: number | null; frdbs: Text; sjnf: number | null;
  bz: Text;
}

export interface OwnershipParcelsTable extends ParcelVersionColumns {
  ysdm: Text; zddm: Text; bdcdyh: Text; qsxz: Text; qllx: Text; qlrmc: Text; zl: Text; tdyt: Text;
  zdmj: Num; bz: Text; extra_attributes: unknown | null;
}

export interface ParcelLineageTable {
  district_code: string;
  layer: ParcelLayer;
  predecessor_version_id: number;
  predecessor_district_code: string;
  successor_version_id: number;
  change_kind: ChangeKind;
  change_date: string;
  submission_id: string;
}

export type QcSeverity = 'error' | 'warning' | 'info';
export type QcRunState = 'running' | 'finished' | 'failed';

export interface QcRunsTable {
  id: Generated<string>;
  district_code: string;
  submission_id: string;
  state: ColumnType<QcRunState, QcRunState | undefined, QcRunState>;
  started_at: ColumnType<Date, Date | string | undefined, Date | string>;
  finished_at: Timestamp | null;
  started_by: string | null;
  rules: unknown;
  summary: unknown | null;
  findings: number | null;
  blocking: number | null;
  error: unknown | null;
}

export interface QcFindingsTable {
  district_code: string;
  run_id: string;
  finding_no: number;
  rule_id: string;
  severity: QcSeverity;
  layer: string;
  record_no: number | null;
  bsm: string | null;
  other_bsm: string | null;
  message_zh: string;
  message_en: string;
  details: unknown | null;
  geom: Geometry | null;
}

export interface QcRuleSettingsTable {
  survey_id: string;
  rule_id: string;
  enabled: ColumnType<boolean, boolean | undefined, boolean>;
  severity: QcSeverity | null;
  params: ColumnType<unknown, string | undefined, string>;
  updated_by: string | null;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string | RawBuilder<unknown>>;
}

export interface SchemaMigrationsTable {
  name: string;
  sha256: string;
  applied_at: Timestamp;
}

export interface DB {
  admin_units: AdminUnitsTable;
  code_lists: CodeListsTable;
  reference_loads: ReferenceLoadsTable;
  organisations: OrganisationsTable;
  users: UsersTable;
  sessions: SessionsTable;
  surveys: SurveysTable;
  submissions: SubmissionsTable;
  audit_log: AuditLogTable;
  land_use_parcels: LandUseParcelsTable;
  basic_farmland_parcels: BasicFarmlandParcelsTable;
  ownership_parcels: OwnershipParcelsTable;
  parcel_lineage: ParcelLineageTable;
  schema_migrations: SchemaMigrationsTable;
  qc_runs: QcRunsTable;
  qc_findings: QcFindingsTable;
  qc_rule_settings: QcRuleSettingsTable;
  snapshots: SnapshotsTable;
  no_change_declarations: NoChangeDeclarationsTable;
  lifecycle_steps: LifecycleStepsTable;
  decisions: DecisionsTable;
  attachments: AttachmentsTable;
  publications: PublicationsTable;
  progress_deadlines: ProgressDeadlinesTable;
  progress_reports: ProgressReportsTable;
  progress_bulletins: ProgressBulletinsTable;
  notifications: NotificationsTable;
}

/** One allowed move of a survey or submission (migrations/0018). */
export interface LifecycleStepsTable {
  object: 'submission' | 'survey';
  kind: SurveyKind;
  scope: SurveyScope;
  from_state: string;
  action: string;
  to_state: string;
  roles: string[];
  level: 'city' | 'district' | 'own';
  decision: boolean;
  needs: string[];
  label_zh: string;
  label_en: string;
  article: string | null;
}

/** A recorded decision (审核意见), append-only; the database fills the decider's role and organisation. */
export interface DecisionsTable {
  id: Generated<string>;
  object: 'submission' | 'survey';
  survey_id: string;
  submission_id: string | null;
  district_code: string | null;
  round: ColumnType<number | null, never, never>;
  action: string;
  from_state: string;
  to_state: string;
  decided_by: string;
  decider_role: ColumnType<string, never, never>;
  decider_organisation: ColumnType<string | null, never, never>;
  decided_at: ColumnType<Date, never, never>;
  written_in: ColumnType<number, never, never>;
  opinion: string | null;
  rectification: unknown | null;
  document: unknown | null;
  attachment_ids: ColumnType<string[], string[] | undefined, never>;
  detail: unknown | null;
}

export interface AttachmentsTable {
  id: Generated<string>;
  sha256: string;
  file_name: string;
  media_type: 'application/pdf' | 'image/png' | 'image/jpeg';
  size_bytes: number;
  archive_path: string;
  uploaded_by: string;
  uploaded_at: Timestamp;
}

/** 公布: what was published, by whom, under which approval; withdrawn once, never removed. */
export interface PublicationsTable {
  id: Generated<string>;
  survey_id: string;
  district_code: string | null;
  day: string;
  layers: string[];
  fields: ColumnType<string[], string[] | undefined, never>;
  decision_id: string;
  approval_decision_id: string;
  published_by: string;
  published_at: Timestamp;
  withdrawn_decision_id: string | null;
  withdrawn_at: ColumnType<Date | null, never, never>;
}

/** 本年度无变化: a district declares no land-use change for a yearly change survey (migrations/0015). */
export interface NoChangeDeclarationsTable {
  district_code: string;
  survey_id: string;
  declared_by: string | null;
  declared_at: Timestamp;
  note: string | null;
}

export interface SnapshotsTable {
  year: number;
  snapshot_date: string;
  frozen_at: Timestamp;
  frozen_by: string | null;
  checksum: string;
  parcel_counts: unknown;
  statistics: unknown;
}

/** A deadline of a survey plan: by due_date the district's package has reached step (migrations/0019). */
export interface ProgressDeadlinesTable {
  id: Generated<string>;
  survey_id: string;
  district_code: string;
  step: string;
  due_date: ColumnType<string, string, string>;
  note: string | null;
  set_by: string | null;
  set_at: Generated<Date>;
}

/** A district's report of its progress, append-only. */
export interface ProgressReportsTable {
  id: Generated<string>;
  survey_id: string;
  district_code: string;
  percent: number;
  note: string | null;
  reported_by: string;
  reported_at: Generated<Date>;
}

/** 进度通报: the board frozen at issue time, append-only. */
export interface ProgressBulletinsTable {
  id: Generated<string>;
  number: ColumnType<number, never, never>;
  survey_id: string | null;
  as_of: ColumnType<string, string, string>;
  issued_how: 'on_demand' | 'scheduled';
  issued_by: string | null;
  issued_at: Generated<Date>;
  title: string;
  content: unknown;
  behind_districts: ColumnType<string[], string[] | undefined, never>;
  supervised_districts: ColumnType<string[], string[] | undefined, never>;
}

/** A notice in a user's inbox; only read_at ever changes. */
export interface NotificationsTable {
  id: Generated<string>;
  user_id: string;
  kind: 'decision' | 'returned' | 'submitted' | 'deadline_passed' | 'bulletin';
  title: string;
  body: string | null;
  survey_id: string | null;
  submission_id: string | null;
  decision_id: string | null;
  deadline_id: string | null;
  bulletin_id: string | null;
  created_at: Generated<Date>;
  read_at: Timestamp | null;
}

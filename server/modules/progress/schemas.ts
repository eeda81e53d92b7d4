// Request and response schemas of the progress and inbox routes.
import { Type, type TSchema } from 'typebox';
import { DateString, DistrictCodeParam } from '../../http/params.ts';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const STEPS = ['received', 'checked', 'preliminary_accepted', 'accepted', 'filed', 'applied'] as const;
export const StepSchema = Type.Union(STEPS.map((step) => Type.Literal(step)), {
  description: 'the state the package must have reached: received 汇交, checked 质检通过, preliminary_accepted 初验, accepted 验收, filed 备案, applied 入库',
});

export const DeadlineSchema = Type.Object({
  id: Type.String(),
  surveyId: Type.String(),
  surveyTitle: Type.String(),
  districtCode: Type.String(),
  districtName: Type.String(),
  step: Type.String(),
  dueDate: Type.String(),
  note: Nullable(Type.String()),
  setAt: Type.String(),
});

export const DeadlineBody = Type.Object({
  surveyId: Type.String({ format: 'uuid' }),
  districtCode: DistrictCodeParam,
  step: StepSchema,
  dueDate: DateString,
  note: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
});

export const ReportSchema = Type.Object({
  id: Type.String(),
  surveyId: Type.String(),
  districtCode: Type.String(),
  districtName: Type.String(),
  percent: Type.Integer(),
  note: Nullable(Type.String()),
  reportedBy: Type.String(),
  reportedAt: Type.String(),
});

export const ReportBody = Type.Object({
  surveyId: Type.String({ format: 'uuid' }),
  percent: Type.Integer({ minimum: 0, maximum: 100, description: '完成百分比' }),
  note: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
});

export const BoardRowSchema = Type.Object({
  surveyId: Type.String(),
  surveyTitle: Type.String(),
  surveyKind: Type.String(),
  districtCode: Type.String(),
  districtName: Type.String(),
  reached: Nullable(Type.String({ description: 'state of the latest round’s package; null: none sent' })),
  submissionId: Nullable(Type.String()),
  rounds: Type.Integer(),
  nextStep: Nullable(Type.String({ description: 'the earliest deadline not met' })),
  nextDue: Nullable(Type.String()),
  daysLate: Type.Integer({ description: 'days past nextDue as of asOf (0: not late)' }),
  deadlines: Type.Array(Type.Object({ id: Type.String(), step: Type.String(), dueDate: Type.String(), met: Type.Boolean() })),
  percent: Nullable(Type.Integer({ description: 'the latest reported percentage' })),
  reportedAt: Nullable(Type.String()),
});

export const BulletinSchema = Type.Object({
  id: Type.String(),
  number: Type.Integer(),
  surveyId: Nullable(Type.String()),
  asOf: Type.String(),
  issuedHow: Type.Union([Type.Literal('on_demand'), Type.Literal('scheduled')]),
  issuedAt: Type.String(),
  title: Type.String(),
  behindDistricts: Type.Array(Type.String()),
  supervisedDistricts: Type.Array(Type.String()),
});

export const BulletinDetailSchema = Type.Object({
  ...BulletinSchema.properties,
  content: Type.Object({
    asOf: Type.String(),
    rows: Type.Array(BoardRowSchema),
    behind: Type.Array(
      Type.Object({
        districtCode: Type.String(),
        districtName: Type.String(),
        daysLate: Type.Integer(),
        surveys: Type.Array(Type.Object({ surveyId: Type.String(), surveyTitle: Type.String(), nextStep: Nullable(Type.String()), nextDue: Nullable(Type.String()), daysLate: Type.Integer() })),
      }),
    ),
    supervised: Type.Array(Type.String()),
  }),
});

export const NoticeSchema = Type.Object({
  id: Type.String(),
  kind: Type.String({ description: 'decision, returned, submitted, deadline_passed, bulletin' }),
  title: Type.String(),
  body: Nullable(Type.String()),
  surveyId: Nullable(Type.String()),
  submissionId: Nullable(Type.String()),
  decisionId: Nullable(Type.String()),
  bulletinId: Nullable(Type.String()),
  createdAt: Type.String(),
  readAt: Nullable(Type.String()),
});

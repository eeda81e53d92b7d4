// The lifecycle's request and response schemas, shared by the submission and survey routes.
import { Type } from 'typebox';
import { DateString } from '../../http/params.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

export const StepSchema = Type.Object({
  object: Type.String({ description: 'submission | survey' }),
  kind: Type.String(),
  scope: Type.String(),
  fromState: Type.String(),
  action: Type.String(),
  toState: Type.String(),
  roles: Type.Array(Type.String(), { description: 'who may take it; empty: the platform itself (import, checks)' }),
  level: Type.String({ description: 'city: a city-level actor; district: an actor of the object’s district; own: either' }),
  decision: Type.Boolean({ description: 'a recorded decision (opinion, attachments, document)' }),
  needs: Type.Array(Type.String(), { description: 'document | rectification | frozen | settled | city_published' }),
  labelZh: Type.String(),
  labelEn: Type.String(),
  article: Nullable(Type.String()),
});

const AttachmentRef = Type.Object({ id: Type.String(), fileName: Type.String(), mediaType: Type.String(), sizeBytes: Type.Integer(), sha256: Type.String() });

export const DecisionSchema = Type.Object({
  id: Type.String(),
  submissionId: Nullable(Type.String()),
  districtCode: Nullable(Type.String()),
  round: Nullable(Type.Integer()),
  action: Type.String(),
  label: Type.String(),
  from: Type.String(),
  to: Type.String(),
  decidedBy: Type.String(),
  deciderName: Nullable(Type.String()),
  deciderRole: Type.String(),
  organisationName: Nullable(Type.String()),
  decidedAt: Type.String({ format: 'date-time' }),
  opinion: Nullable(Type.String()),
  rectification: Type.Unknown(),
  document: Type.Unknown(),
  attachments: Type.Array(AttachmentRef),
});

export const DecisionBody = Type.Object({
  action: Type.String({ minLength: 1, maxLength: 32, description: 'a step open from the current state (GET …/record lists them)' }),
  opinion: Type.Optional(Type.String({ maxLength: 4000, description: '审核意见' })),
  rectification: Type.Optional(
    Type.Array(
      Type.Object({
        requirement: Type.String({ minLength: 1, maxLength: 1000 }),
        findings: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 2 ** 31 - 1 }), { maxItems: 1000, description: 'finding numbers of the latest quality run' })),
      }),
      { maxItems: 100, description: '整改要求 (a return needs at least one)' },
    ),
  ),
  document: Type.Optional(
    Type.Object({
      number: Type.String({ minLength: 1, maxLength: 100, description: '文号' }),
      date: DateString,
      issuer: Type.Optional(Type.String({ maxLength: 200 })),
    }),
  ),
  attachmentIds: Type.Optional(Type.Array(Type.String({ format: 'uuid' }), { maxItems: 20 })),
});

export const SurveyDecisionBody = Type.Object({
  ...DecisionBody.properties,
  districtCode: Type.Optional(Type.String({ pattern: '^[0-9]{6}$', description: 'publish_district / withdraw_district: the district (default: your own)' })),
  layers: Type.Optional(Type.Array(Type.Union([Type.Literal('land_use'), Type.Literal('basic_farmland')]), { minItems: 1, maxItems: 2 })),
  fields: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 20 }), { maxItems: 50 })),
});

export const DecisionOutcomeSchema = Type.Object({
  id: Type.String(),
  districtCode: Type.String(),
  action: Type.String(),
  from: Type.String(),
  state: Type.String(),
  decisionId: Nullable(Type.String()),
  applied: Type.Boolean(),
});

export const PublicationSchema = Type.Object({
  id: Type.String(),
  surveyId: Type.String(),
  surveyTitle: Type.String(),
  surveyKind: Type.String(),
  year: Type.Integer(),
  districtCode: Nullable(Type.String()),
  districtName: Nullable(Type.String()),
  day: Type.String({ format: 'date' }),
  layers: Type.Array(Type.String()),
  fields: Type.Array(Type.String()),
  publishedAt: Type.String({ format: 'date-time' }),
  withdrawnAt: Nullable(Type.String({ format: 'date-time' })),
});

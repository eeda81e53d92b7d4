// Assertions shared by the ingest reader tests.
import { expect } from 'vitest';
import { IngestError } from '../../server/modules/ingest/errors.ts';
import type { SourceLayer, SourceRecord } from '../../server/modules/ingest/readers/types.ts';

/** The IngestError a call throws; the test fails if it throws nothing or something else. */
export function refusal(run: () => unknown): IngestError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(IngestError);
    return error as IngestError;
  }
  throw new Error('expected a refusal');
}

/** The IngestError a promise rejects with; the test fails if it resolves or rejects with something else. */
export async function refusalOf(run: Promise<unknown>): Promise<IngestError> {
  const error = await run.then(
    () => null,
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(IngestError);
  return error as IngestError;
}

export async function readAll(layer: SourceLayer): Promise<SourceRecord[]> {
  const records: SourceRecord[] = [];
  for await (const record of layer.records()) records.push(record);
  return records;
}

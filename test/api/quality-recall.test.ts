// Recall and precision of the quality checks on generated 崇明区 packages, through the upload
// path (upload → import → checks → report): every defect the generator seeds is found by its rule,
// and a clean package has no finding at all. On both engines.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FindingRow } from '../../server/modules/quality/repository.ts';
import { DEFECT_KINDS, generatePackage, type DefectEntry, type PackageManifest } from '../../server/seed/generator/package.ts';
import { openTestApp, TestClient, type TestApp } from '../support/app.ts';
import { DEMO_PASSWORD, nationalSurveyId } from '../support/data.ts';
import { ENGINES } from '../support/databases.ts';
import { tempDir } from '../support/packages.ts';

/** A finding as the API returns it, geometry as GeoJSON. */
type Finding = Omit<FindingRow, 'geometry'> & { geometry: { type: string } | null };

let clean: { zip: Buffer; manifest: PackageManifest };
let defective: { zip: Buffer; manifest: PackageManifest };

beforeAll(async () => {
  const out = tempDir();
  const cleanPackage = await generatePackage({ districtCode: '310151', parcels: 3000, seed: 21, outDir: out });
  clean = { zip: fs.readFileSync(cleanPackage.zipPath), manifest: cleanPackage.manifest };
  const defects = Object.fromEntries(DEFECT_KINDS.map((kind) => [kind, 2]));
  const defectPackage = await generatePackage({ districtCode: '310151', parcels: 3000, seed: 22, outDir: out, defects });
  defective = { zip: fs.readFileSync(defectPackage.zipPath), manifest: defectPackage.manifest };
}, 180_000);

/** The rule that must report a seeded defect, and whether a finding is that defect's. */
function matches(entry: DefectEntry, finding: Finding): boolean {
  const neighbours = (finding.details?.neighbours as string[] | undefined) ?? [];
  switch (entry.kind) {
    case 'overlap':
      return finding.ruleId === 'TOPO_OVERLAP' && [finding.bsm, finding.otherBsm].includes(entry.bsm) && [finding.bsm, finding.otherBsm].includes(entry.otherBsm as string);
    case 'gap':
      return finding.ruleId === 'TOPO_GAP' && neighbours.includes(entry.bsm) && neighbours.includes(entry.neighbourBsm as string);
    case 'invalid_ring':
      return finding.ruleId === 'GEOM_INVALID' && finding.bsm === entry.bsm;
    case 'sliver':
      return finding.ruleId === 'TOPO_SLIVER' && finding.bsm === entry.bsm;
    case 'wrong_code':
      return finding.ruleId === (entry.variant === 'unknown_code' ? 'ATTR_CODE_DLBM' : 'ATTR_DLMC_MATCHES_DLBM') && finding.bsm === entry.bsm;
    case 'area_mismatch':
      return finding.ruleId === 'AREA_TBMJ' && finding.bsm === entry.bsm;
    case 'duplicate_bsm':
      return finding.ruleId === 'ATTR_BSM_UNIQUE' && finding.bsm === entry.bsm;
    case 'outside_district':
      return finding.ruleId === 'TOPO_OUTSIDE_DISTRICT' && finding.bsm === entry.bsm;
  }
}

describe.each(ENGINES)('quality checks of generated packages on the %s engine', (engine) => {
  let test: TestApp;
  let client: TestClient;
  let surveyId: string;

  beforeAll(async () => {
    test = await openTestApp(engine, { ARCHIVE_DIR: tempDir('lsp-archive-') });
    client = new TestClient(test.app);
    expect((await client.login('chongming', DEMO_PASSWORD)).statusCode).toBe(200);
    surveyId = await nationalSurveyId(test.db);
  });
  afterAll(() => test?.drop());

  async function uploadAndCheck(zip: Buffer, name: string) {
    const response = await client.upload(`/api/submissions?surveyId=${surveyId}`, name, zip);
    expect(response.statusCode, response.body).toBe(202);
    const id = response.json<{ id: string }>().id;
    await test.app.imports.idle();
    const submission = (await client.get(`/api/submissions/${id}`)).json<{ state: string }>();
    const run = (await client.get(`/api/submissions/${id}/quality`)).json<{ id: string; state: string; error: unknown; findings: number; blocking: number; summary: { ruleId: string; findings: number }[] }>();
    const findings = (await client.get(`/api/quality-runs/${run.id}/findings?limit=1000`)).json<{ total: number; findings: Finding[] }>();
    return { id, submission, run, findings };
  }

  it('finds nothing in a clean package, which may then go forward', async () => {
    const { submission, run, findings } = await uploadAndCheck(clean.zip, '崇明区-clean.zip');
    expect(run.state, JSON.stringify(run)).toBe('finished');
    expect(findings.findings.map((f) => `${f.ruleId} ${f.bsm} ${f.message.en}`)).toEqual([]);
    expect(run.findings).toBe(0);
    expect(submission.state).toBe('checked');
    // every rule ran
    expect(run.summary.length).toBeGreaterThan(25);
  });

  it('finds every seeded defect, each by its rule, and rejects the package', async () => {
    const { id, submission, run, findings } = await uploadAndCheck(defective.zip, '崇明区-defects.zip');
    expect(run.state, JSON.stringify(run)).toBe('finished');
    expect(submission.state).toBe('rejected');
    expect(run.blocking).toBeGreaterThan(0);
    expect(defective.manifest.defects.length).toBe(2 * DEFECT_KINDS.length);
    const missed = defective.manifest.defects.filter((entry) => !findings.findings.some((finding) => matches(entry, finding)));
    expect(missed, JSON.stringify(findings.findings.map((f) => [f.ruleId, f.bsm, f.otherBsm]))).toEqual([]);
    // And nothing else: every finding is a seeded defect's, but for the district total, which the
    // parcels outside the district and the wrong areas put off the control area.
    const unexplained = findings.findings.filter((finding) => !defective.manifest.defects.some((entry) => matches(entry, finding)));
    expect(unexplained.map((f) => `${f.ruleId} ${f.bsm} ${f.message.en}`)).toEqual([expect.stringMatching(/^AREA_DISTRICT_TOTAL /)]);
    // Each finding carries a message in both languages and a place to show on the map.
    for (const finding of findings.findings) {
      expect(finding.message.zh.length).toBeGreaterThan(0);
      expect(finding.message.en.length).toBeGreaterThan(0);
      if (finding.ruleId !== 'AREA_DISTRICT_TOTAL') expect(finding.geometry, finding.ruleId).not.toBeNull();
    }
    // Overlaps and gaps are areas with the defect's size.
    const overlap = defective.manifest.defects.find((entry) => entry.kind === 'overlap')!;
    const overlapFinding = findings.findings.find((finding) => matches(overlap, finding))!;
    expect(overlapFinding.geometry!.type).toMatch(/Polygon/);
    expect(Math.abs((overlapFinding.details!.areaM2 as number) - (overlap.areaM2 as number))).toBeLessThan(0.5);
    const gap = defective.manifest.defects.find((entry) => entry.kind === 'gap')!;
    const gapFinding = findings.findings.find((finding) => matches(gap, finding))!;
    expect(Math.abs((gapFinding.details!.areaM2 as number) - (gap.areaM2 as number)) / (gap.areaM2 as number)).toBeLessThan(0.05);

    // The report downloads as CSV (UTF-8 with BOM) and XLSX.
    const csv = await client.get(`/api/quality-runs/${run.id}/findings?format=csv`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = csv.body.replace(/^\uFEFF/, '').trim().split(/\r\n/);
    expect(lines[0]).toContain('规则 Rule');
    expect(lines.length).toBe(findings.total + 1);
    const xlsx = await client.get(`/api/quality-runs/${run.id}/findings?format=xlsx`);
    expect(xlsx.statusCode).toBe(200);
    expect(xlsx.rawPayload.subarray(0, 2).toString()).toBe('PK');

    // A new run keeps the old one in the history.
    const again = await client.post(`/api/submissions/${id}/quality-runs`);
    expect(again.statusCode, again.body).toBe(202);
    await test.app.imports.idle();
    const runs = (await client.get(`/api/submissions/${id}/quality-runs`)).json<{ id: string; findings: number }[]>();
    expect(runs.length).toBe(2);
    expect(runs[0]!.findings).toBe(runs[1]!.findings);
  });
});

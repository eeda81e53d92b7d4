// The documents and maps in a results package (文字成果, 图件成果, 表格成果) are kept and listed, not
// dropped as "ignored files": the import report lists each with its category, the reviewer
// downloads them as delivered from the archived package, and only those who may read the
// submission can (a district operator of another district gets 404), on both engines.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, TestClient, type TestApp } from '../support/app.ts';
import { DEMO_PASSWORD, nationalSurveyId } from '../support/data.ts';
import { ENGINES } from '../support/databases.ts';
import { dltbRecord, tempDir, writeLayer, zipEntries } from '../support/packages.ts';
import fs from 'node:fs';
import path from 'node:path';
import { expectError } from './helpers.ts';

const REPORT_PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
const MAP_JPG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 0xff, 0xd9]);
const TABLE_CSV = Buffer.from('\uFEFF地类,面积\n水田,1.5\n');
const MAP_PDF = Buffer.from('%PDF-1.4\n% 土地利用现状图\n%%EOF\n');

async function packageWithDocuments(): Promise<Buffer> {
  const dir = tempDir();
  const files = await writeLayer(dir, 'DLTB', [dltbRecord(1), dltbRecord(2)]);
  const layer = Object.values(files).map((file) => ({ name: `矢量数据/${path.basename(file)}`, data: fs.readFileSync(file) }));
  return zipEntries([
    ...layer,
    { name: '文字成果/崇明区第三次国土调查技术报告.pdf', data: REPORT_PDF },
    { name: '图件成果/崇明区土地利用现状图.pdf', data: MAP_PDF },
    { name: '图件成果/现场照片.jpg', data: MAP_JPG },
    { name: '表格成果/土地利用现状分类面积汇总表.csv', data: TABLE_CSV },
    { name: '说明.txt', data: '成果说明' },
    // a shapefile part without its .shp: neither a layer nor a document
    { name: '矢量数据/孤立.dbf', data: Buffer.alloc(33) },
  ]);
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe.each(ENGINES)('the documents and maps of a package, on the %s engine', (engine) => {
  let test: TestApp;
  let chongming: TestClient;
  let pudong: TestClient;
  let admin: TestClient;
  let submissionId: string;

  beforeAll(async () => {
    test = await openTestApp(engine, { ARCHIVE_DIR: tempDir('lsp-archive-'), IMPORT_WORK_DIR: tempDir('lsp-work-') });
    chongming = new TestClient(test.app);
    pudong = new TestClient(test.app);
    admin = new TestClient(test.app);
    expect((await chongming.login('chongming', DEMO_PASSWORD)).statusCode).toBe(200);
    expect((await pudong.login('pudong', DEMO_PASSWORD)).statusCode).toBe(200);
    expect((await admin.login('admin', DEMO_PASSWORD)).statusCode).toBe(200);
    const surveyId = await nationalSurveyId(test.db);
    const response = await chongming.upload(`/api/submissions?surveyId=${surveyId}`, '崇明-含文字图件.zip', await packageWithDocuments());
    expect(response.statusCode, response.body).toBe(202);
    submissionId = response.json<{ id: string }>().id;
    await test.app.imports.idle();
  }, 120_000);
  afterAll(() => test?.drop());

  it('lists every document with its category in the import report and leaves only the orphan part unused', async () => {
    const submission = (await chongming.get(`/api/submissions/${submissionId}`)).json<{ report: { documents: unknown[]; ignoredFiles: string[] } }>();
    const expected = [
      { path: '文字成果/崇明区第三次国土调查技术报告.pdf', category: 'text', sizeBytes: REPORT_PDF.length },
      { path: '图件成果/崇明区土地利用现状图.pdf', category: 'map', sizeBytes: MAP_PDF.length },
      { path: '图件成果/现场照片.jpg', category: 'map', sizeBytes: MAP_JPG.length },
      { path: '表格成果/土地利用现状分类面积汇总表.csv', category: 'table', sizeBytes: TABLE_CSV.length },
      { path: '说明.txt', category: 'text', sizeBytes: Buffer.byteLength('成果说明') },
    ];
    expect(submission.report.documents).toEqual(expected);
    expect(submission.report.ignoredFiles).toEqual(['矢量数据/孤立.dbf']);
    const listed = await admin.get(`/api/submissions/${submissionId}/documents`);
    expect(listed.statusCode, listed.body).toBe(200);
    expect(listed.json<{ documents: unknown[] }>().documents).toEqual(expected);
  });

  it('gives the reviewer each file exactly as delivered', async () => {
    for (const [file, data, type] of [
      ['文字成果/崇明区第三次国土调查技术报告.pdf', REPORT_PDF, 'application/pdf'],
      ['图件成果/现场照片.jpg', MAP_JPG, 'image/jpeg'],
      ['表格成果/土地利用现状分类面积汇总表.csv', TABLE_CSV, 'text/csv; charset=utf-8'],
    ] as const) {
      const response = await admin.get(`/api/submissions/${submissionId}/documents/file?path=${encodeURIComponent(file)}`);
      expect(response.statusCode, response.body).toBe(200);
      expect(response.headers['content-type']).toBe(type);
      expect(String(response.headers['content-disposition'])).toContain(encodeURIComponent(path.posix.basename(file)));
      expect(sha256(response.rawPayload)).toBe(sha256(data));
    }
  });

  it('serves only listed documents, and only to those who may read the submission', async () => {
    expectError(await admin.get(`/api/submissions/${submissionId}/documents/file?path=${encodeURIComponent('矢量数据/孤立.dbf')}`), 404, 'DOCUMENT_NOT_FOUND');
    expectError(await admin.get(`/api/submissions/${submissionId}/documents/file?path=${encodeURIComponent('../../etc/passwd')}`), 404, 'DOCUMENT_NOT_FOUND');
    expectError(await pudong.get(`/api/submissions/${submissionId}/documents`), 404, 'NOT_FOUND');
    expectError(await pudong.get(`/api/submissions/${submissionId}/documents/file?path=${encodeURIComponent('说明.txt')}`), 404, 'NOT_FOUND');
    const anonymous = new TestClient(test.app);
    expect((await anonymous.get(`/api/submissions/${submissionId}/documents`)).statusCode).toBe(401);
    expect((await chongming.get(`/api/submissions/${submissionId}/documents/file?path=${encodeURIComponent('说明.txt')}`)).body).toBe('成果说明');
  });
});

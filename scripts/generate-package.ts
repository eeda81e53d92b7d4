/**
 * Generate a deterministic, realistic 三调 survey package (zipped DLTB / YJJBNTTB / XZQ shapefiles
 * plus a manifest) for one Shanghai district. See fixtures/packages/README.md.
 *
 * Usage:
 *   npx tsx scripts/generate-package.ts --district 310151 --parcels 5000 --seed 1
 *     [--defects overlap=3,gap=2,... | --all-defects N] [--out .tmp/packages] [--name NAME]
 *     [--encoding gbk|utf-8] [--year 2019] [--zone 40|41] [--layers DLTB,YJJBNTTB,XZQ]
 *     [--no-prj] [--no-cpg] [--no-shx]
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFECT_KINDS, type DefectKind, type GenerateOptions, type LayerName, generatePackage } from '../server/seed/generator/package.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function usage(message?: string): never {
  if (message) console.error(`error: ${message}\n`);
  console.error(
    'usage: npx tsx scripts/generate-package.ts --district CODE --parcels N --seed S\n' +
      '         [--defects kind=n,…|--all-defects N] [--out DIR] [--name NAME] [--encoding gbk|utf-8]\n' +
      '         [--year YYYY] [--zone 40|41] [--layers DLTB,YJJBNTTB,XZQ] [--no-prj] [--no-cpg] [--no-shx]\n' +
      `defect kinds: ${DEFECT_KINDS.join(', ')}`,
  );
  process.exit(2);
}

function parseArgs(argv: string[]): GenerateOptions {
  const known = new Set(['district', 'parcels', 'seed', 'defects', 'all-defects', 'out', 'name', 'encoding', 'year', 'zone', 'layers', 'no-prj', 'no-cpg', 'no-shx', 'help']);
  const flags = new Map<string, string | true>();
  for (let k = 0; k < argv.length; k++) {
    const arg = argv[k]!;
    if (!arg.startsWith('--')) usage(`unexpected argument ${arg}`);
    const [key, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    if (!known.has(key)) usage(`unknown option --${key}`);
    if (key.startsWith('no-') || key === 'help') flags.set(key, true);
    else if (inline !== undefined) flags.set(key, inline);
    else if (k + 1 < argv.length) flags.set(key, argv[++k]!);
    else usage(`--${key} needs a value`);
  }
  if (flags.has('help')) usage();
  const text = (key: string) => {
    const value = flags.get(key);
    return typeof value === 'string' ? value : undefined;
  };
  const integer = (key: string, fallback?: number) => {
    const value = text(key);
    if (value === undefined) {
      if (fallback === undefined) usage(`--${key} is required`);
      return fallback;
    }
    const n = Number(value.replace(/_/g, ''));
    if (!Number.isInteger(n)) usage(`--${key} must be an integer`);
    return n;
  };
  const defects: Partial<Record<DefectKind, number>> = {};
  if (text('all-defects') !== undefined) for (const kind of DEFECT_KINDS) defects[kind] = integer('all-defects');
  for (const part of (text('defects') ?? '').split(',').filter(Boolean)) {
    const [kind, count] = part.split('=');
    if (!DEFECT_KINDS.includes(kind as DefectKind)) usage(`unknown defect kind ${kind}`);
    const n = Number(count ?? '1');
    if (!Number.isInteger(n) || n < 0) usage(`defect count for ${kind} must be a non-negative integer`);
    defects[kind as DefectKind] = n;
  }
  const encoding = text('encoding') ?? 'gbk';
  if (encoding !== 'gbk' && encoding !== 'utf-8') usage('--encoding must be gbk or utf-8');
  const zone = text('zone');
  if (zone !== undefined && zone !== '40' && zone !== '41') usage('--zone must be 40 or 41');
  const layers = text('layers')?.split(',') as LayerName[] | undefined;
  if (layers?.some((layer) => !['DLTB', 'YJJBNTTB', 'XZQ'].includes(layer))) usage('--layers takes DLTB, YJJBNTTB, XZQ');
  return {
    districtCode: text('district') ?? usage('--district is required'),
    parcels: integer('parcels'),
    seed: integer('seed'),
    outDir: path.resolve(text('out') ?? path.join(repoRoot, '.tmp/packages')),
    ...(text('name') ? { name: text('name')! } : {}),
    surveyYear: integer('year', 2019),
    ...(zone ? { zone: Number(zone) as 40 | 41 } : {}),
    defects,
    encoding,
    withPrj: !flags.has('no-prj'),
    withCpg: !flags.has('no-cpg'),
    withShx: !flags.has('no-shx'),
    ...(layers ? { layers } : {}),
  };
}

const options = parseArgs(process.argv.slice(2));
const started = performance.now();
let lastShown = 0;
const result = await generatePackage({
  ...options,
  onProgress: (written, total) => {
    const now = performance.now();
    if (written !== total && now - lastShown < 1000) return;
    lastShown = now;
    const pct = total > 0 ? ((100 * written) / total).toFixed(0) : '100';
    process.stderr.write(`\r  ${written.toLocaleString('en')} / ${total.toLocaleString('en')} parcels (${pct}%)  ${((now - started) / 1000).toFixed(1)} s`);
  },
});
process.stderr.write('\n');
const { manifest } = result;
const { size } = await import('node:fs').then((fs) => fs.statSync(result.zipPath));
const seconds = (performance.now() - started) / 1000;
console.log(`${manifest.districtName} ${manifest.districtCode}  EPSG:${manifest.epsg}  seed ${manifest.seed}  cell ${manifest.cellSizeM} m`);
console.log(`  parcels        ${manifest.parcels.toLocaleString('en')} (DLTB), ${manifest.basicFarmland.toLocaleString('en')} basic farmland (YJJBNTTB)`);
console.log(`  area           ${(manifest.totalAreaM2 / 1e6).toFixed(3)} km² (Σ TBMJ), control ${(manifest.controlAreaM2 / 1e6).toFixed(3)} km²`);
console.log(`  defects        ${manifest.defects.length ? manifest.defects.map((d) => d.kind).join(', ') : 'none'}`);
console.log(`  zip            ${result.zipPath} (${(size / 1e6).toFixed(1)} MB)`);
console.log(`  manifest       ${result.manifestPath}`);
console.log(`  sha256         ${manifest.sha256}`);
console.log(`  time           ${seconds.toFixed(1)} s, peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
for (const warning of manifest.warnings) console.log(`  warning        ${warning}`);

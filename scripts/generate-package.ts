/**
 * Generate a deterministic, realistic 三调 survey package (zipped DLTB / YJJBNTTB / XZQ shapefiles
 * plus a manifest) for one Shanghai district. See fixtures/packages/README.md.
 *
 * Usage:
 *   npx tsx scripts/generate-package.ts --district 310151 --parcels 5000 --seed 1
 *     [--defects overlap=3,gap=2,... | --all-defects N] [--out .tmp/packages] [--name NAME]
 *     [--encoding gbk|utf-8] [--year 2019] [--zone 40|41] [--layers DLTB,YJJBNTTB,XZQ]
 *     [--no-prj] [--no-cpg] [--no-shx]
 *
 * Change-survey packages continuing that (defect-free) baseline, one zip per year, plus
 * <name>-changes.manifest.json (see server/seed/generator/changes.ts):
 *   npx tsx scripts/generate-package.ts --district 310151 --parcels 5000 --seed 1
 *     --changes 2020,2021,2022,2023 [--fraction 0.02] [--change-seed N] [--out DIR] [--name NAME]
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ChangeSeriesOptions, generateChangeSeries } from '../server/seed/generator/changes.ts';
import { DEFECT_KINDS, type DefectKind, type GenerateOptions, type LayerName, generatePackage } from '../server/seed/generator/package.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function usage(message?: string): never {
  if (message) console.error(`error: ${message}\n`);
  console.error(
    'usage: npx tsx scripts/generate-package.ts --district CODE --parcels N --seed S\n' +
      '         [--defects kind=n,…|--all-defects N] [--out DIR] [--name NAME] [--encoding gbk|utf-8]\n' +
      '         [--year YYYY] [--zone 40|41] [--layers DLTB,YJJBNTTB,XZQ] [--no-prj] [--no-cpg] [--no-shx]\n' +
      '   or: npx tsx scripts/generate-package.ts --district CODE --parcels N --seed S\n' +
      '         --changes YYYY,YYYY,… [--fraction 0.02] [--change-seed N] [--out DIR] [--name NAME]\n' +
      `defect kinds: ${DEFECT_KINDS.join(', ')}`,
  );
  process.exit(2);
}

type Command = { mode: 'package'; options: GenerateOptions } | { mode: 'changes'; options: ChangeSeriesOptions & { name: string } };

/** Options that shape the baseline or its files: a change series continues the default baseline only. */
const BASELINE_ONLY = ['defects', 'all-defects', 'encoding', 'year', 'zone', 'layers', 'no-prj', 'no-cpg', 'no-shx'];

function parseArgs(argv: string[]): Command {
  const known = new Set(['district', 'parcels', 'seed', 'defects', 'all-defects', 'out', 'name', 'encoding', 'year', 'zone', 'layers', 'no-prj', 'no-cpg', 'no-shx', 'help', 'changes', 'fraction', 'change-seed']);
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
  const changes = text('changes');
  if (changes !== undefined) {
    const clash = BASELINE_ONLY.find((key) => flags.has(key));
    if (clash) usage(`--${clash} cannot be combined with --changes (a change series continues the default, defect-free baseline)`);
    const years = changes.split(',').map((year) => Number(year.trim()));
    if (years.length === 0 || years.some((year) => !Number.isInteger(year))) usage('--changes takes years, e.g. 2020,2021,2022');
    const fraction = Number(text('fraction') ?? '0.02');
    if (!(fraction > 0 && fraction <= 0.3)) usage('--fraction must be a number in (0, 0.3]');
    const districtCode = text('district') ?? usage('--district is required');
    const parcels = integer('parcels');
    const seed = integer('seed');
    return {
      mode: 'changes',
      options: {
        districtCode,
        parcels,
        seed,
        years,
        fraction,
        outDir: path.resolve(text('out') ?? path.join(repoRoot, '.tmp/packages')),
        name: text('name') ?? `${districtCode}-${parcels}-s${seed}`,
        ...(text('change-seed') !== undefined ? { changeSeed: integer('change-seed') } : {}),
      },
    };
  }
  if (flags.has('fraction') || flags.has('change-seed')) usage('--fraction and --change-seed need --changes');
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
  const options: GenerateOptions = {
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
  return { mode: 'package', options };
}

async function generateChanges(options: ChangeSeriesOptions & { name: string }): Promise<void> {
  const started = performance.now();
  let lastShown = 0;
  const manifests = await generateChangeSeries({
    ...options,
    onProgress: (year, written, total) => {
      const now = performance.now();
      if (written !== total && now - lastShown < 1000) return;
      lastShown = now;
      const what = options.years.includes(year) ? `${year}: records` : 'baseline: parcels';
      process.stderr.write(`\r  ${what} ${written.toLocaleString('en')} / ${total.toLocaleString('en')}  ${((now - started) / 1000).toFixed(1)} s     `);
    },
  });
  process.stderr.write('\n');
  const manifestPath = path.join(options.outDir, `${options.name}-changes.manifest.json`);
  const series = {
    name: options.name,
    districtCode: options.districtCode,
    parcels: options.parcels,
    seed: options.seed,
    changeSeed: options.changeSeed ?? options.seed + 1,
    fraction: options.fraction,
    years: options.years,
    // zip paths relative to this manifest, so the directory can move
    packages: manifests.map(({ zipPath, ...rest }) => ({ zip: path.basename(zipPath), ...rest })),
  };
  fs.writeFileSync(manifestPath, `${JSON.stringify(series, null, 2)}\n`);
  console.log(`change series ${options.name}  fraction ${options.fraction}  change seed ${series.changeSeed}`);
  for (const m of manifests) {
    console.log(
      `  ${m.year}  ${m.records.toLocaleString('en')} records: ${m.reclassifications} 地类变更, ${m.splits} 分割, ${m.merges} 合并; ${m.retirements} BSMs retired  ${path.basename(m.zipPath)}  sha256 ${m.sha256}`,
    );
  }
  console.log(`  manifest       ${manifestPath}`);
  console.log(`  time           ${((performance.now() - started) / 1000).toFixed(1)} s, peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
}

const command = parseArgs(process.argv.slice(2));
if (command.mode === 'changes') {
  await generateChanges(command.options);
  process.exit(0);
}
const options = command.options;
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

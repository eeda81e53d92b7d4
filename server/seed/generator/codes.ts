// The code lists the generator draws from, read from the project's copy of the domain facts
// (fixtures/reference/codes.json) so generated packages use exactly what the platform validates against.
import fs from 'node:fs';

export const CODES_FILE = new URL('../../../fixtures/reference/codes.json', import.meta.url);

interface CodeNode {
  code: string;
  name: string;
  classes?: CodeNode[];
}

export interface CodeLists {
  /** 三调 work classification: DLBM → DLMC (the codes DLTB.DLBM may hold) */
  dlmc: ReadonlyMap<string, string>;
  czcsxm: ReadonlyMap<string, string>;
  qsxz: ReadonlyMap<string, string>;
  gdlx: ReadonlyMap<string, string>;
  gdpdjb: ReadonlyMap<string, string>;
  zzsxdm: ReadonlyMap<string, string>;
  tbxhdm: ReadonlyMap<string, string>;
  minMappingArea: { construction: number; agricultural: number; other: number };
}

let cache: CodeLists | null = null;

export function loadCodes(): CodeLists {
  if (cache) return cache;
  const json = JSON.parse(fs.readFileSync(CODES_FILE, 'utf8')) as Record<string, { codes?: CodeNode[]; classes?: CodeNode[] } & Record<string, unknown>>;
  const flat = (key: string) => new Map((json[key]?.codes ?? []).map((node) => [node.code, node.name] as const));
  const dlmc = new Map<string, string>();
  for (const group of json.sandiao_work_classification?.classes ?? []) for (const cls of group.classes ?? []) dlmc.set(cls.code, cls.name);
  const min = json.min_mapping_area_m2 as Record<string, number> | undefined;
  cache = {
    dlmc,
    czcsxm: flat('czcsxm'),
    qsxz: flat('qsxz'),
    gdlx: flat('gdlx'),
    gdpdjb: flat('gdpdjb'),
    zzsxdm: flat('zzsxdm'),
    tbxhdm: flat('tbxhdm'),
    minMappingArea: {
      construction: min?.construction_and_facility_agriculture ?? 200,
      agricultural: min?.agricultural_excluding_facility ?? 400,
      other: min?.other ?? 600,
    },
  };
  return cache;
}

/** 最小上图面积 that applies to a class (configuration from codes.json, marked unverified there). */
export function minMappingAreaFor(dlbm: string): number {
  const { minMappingArea } = loadCodes();
  const group = dlbm.slice(0, 2);
  if (dlbm === '1202' || ['05', '06', '07', '08', '09', '10'].includes(group)) return minMappingArea.construction;
  if (['01', '02', '03', '04'].includes(group)) return minMappingArea.agricultural;
  return minMappingArea.other;
}

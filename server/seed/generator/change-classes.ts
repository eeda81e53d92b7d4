// Which class a reclassified parcel (地类变更) takes, and its class attributes afterwards. The
// attributes come from the baseline's land-use model (LandUseModel.classAttributes), so a parcel that
// stops being 耕地 loses GDLX / GDPDJB / ZZSXDM / KCXS / GDDB exactly as a baseline parcel of its new
// class never had them, and one that becomes 耕地 gets them the way baseline farmland does.
import type { LandUseModel } from './land-use.ts';
import { ringCentroid } from './polygon.ts';
import type { Rng } from './random.ts';
import type { AttributeValue } from './shapefile-writer.ts';

/**
 * Plausible yearly transitions (relative weights) for Shanghai: building on farmland (宅基地, industry,
 * roads, the odd railway), farmland turned into forest, ponds or 设施农用地, and the other way round
 * the city's 低效建设用地减量化 — scattered homesteads and industry returned to farmland or forest —
 * plus urban redevelopment. Classes without an entry (rivers, roads, special land…) do not change class.
 */
const TRANSITIONS: Record<string, Record<string, number>> = {
  '0101': { '0702': 3, '0601': 2, '1004': 1.5, '1001': 0.3, '0301': 1, '1104A': 0.7, '1202': 1, '0201': 0.4 },
  '0102': { '0101': 1.5, '0702': 2, '0601': 1.5, '1004': 1, '0301': 1, '1202': 1 },
  '0103': { '0101': 1.5, '0702': 2, '0601': 1, '1004': 1, '0301': 1, '0201': 0.5 },
  '0201': { '0101': 3, '0702': 1, '0301': 1 },
  '0204': { '0101': 3, '0301': 1 },
  '0301': { '0101': 2, '0601': 1, '0810': 1 },
  '0307': { '0101': 2, '0301': 1, '0810': 1 },
  '0404': { '0101': 2, '0301': 1, '0810': 0.5 },
  '1104': { '0101': 3, '1104A': 1, '0301': 1 },
  '1104A': { '0101': 3, '1104': 1 },
  '1202': { '0101': 3, '0601': 0.5 },
  '1201': { '0601': 1, '0701': 1, '0810': 1, '0101': 1 },
  '0702': { '0101': 3, '0301': 1.5, '0701': 1 },
  '0601': { '0101': 1.5, '0301': 1.5, '05H1': 1.5, '0701': 2, '0810': 1 },
  '0508': { '0601': 1, '05H1': 1, '0810': 1 },
  '0701': { '05H1': 1, '0810': 1, '08H2': 1 },
  '05H1': { '0701': 1, '0810': 1 },
  '08H2': { '0810': 1, '0701': 0.5 },
  '0810': { '08H2': 1, '05H1': 0.5 },
};

/** Classes a reclassification starts from. */
export function canReclassify(dlbm: string): boolean {
  return dlbm in TRANSITIONS;
}

/** A new class for a parcel of class `dlbm` (weighted draw), or null when it has no transition. */
export function pickTransition(dlbm: string, rng: Rng, known: ReadonlyMap<string, string>): string | null {
  const table = TRANSITIONS[dlbm];
  if (!table) return null;
  const entries = Object.entries(table).filter(([code]) => known.has(code));
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  let r = rng.next() * total;
  for (const [code, w] of entries) {
    r -= w;
    if (r < 0) return code;
  }
  return entries.at(-1)?.[0] ?? null;
}

const STATE = (qsxz: string) => qsxz.startsWith('1') || qsxz.startsWith('2');

/**
 * The DLTB attributes that change with the class, for a parcel with ring `ring` now of class `dlbm`.
 * key: an integer for the model's per-parcel draws (unique per new version). The ownership (QSXZ)
 * stays unless it moves between state and collective land with the new class (征收 for a railway).
 */
export function reclassifiedAttributes(
  landUse: LandUseModel,
  ring: ArrayLike<number>,
  dlbm: string,
  key: number,
  oldQsxz: string,
): Record<string, AttributeValue> {
  const [x, y] = ringCentroid(ring);
  // classify() gives the urbanness and the land-use patch the parcel lies in (its class is ignored).
  const { urbanness, patch } = landUse.classify(ring, x, y, false, key);
  const dlmc = landUse.codes.dlmc.get(dlbm);
  if (!dlmc) throw new Error(`DLBM ${dlbm} is not in the 三调 classification`);
  const a = landUse.classAttributes({ dlbm, dlmc, urbanness, patch }, key);
  return {
    DLBM: dlbm,
    DLMC: dlmc,
    QSXZ: oldQsxz && STATE(oldQsxz) === STATE(a.qsxz) ? oldQsxz : a.qsxz,
    KCDLBM: a.kcxs > 0 ? '1203' : '',
    KCXS: a.kcxs,
    GDLX: a.gdlx,
    GDPDJB: a.gdpdjb,
    XZDWKD: a.xzdwkd,
    ZZSXDM: a.zzsxdm,
    ZZSXMC: a.zzsxmc,
    GDDB: a.gddb,
    CZCSXM: a.czcsxm,
  };
}

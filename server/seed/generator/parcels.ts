// From options to a stream of finished parcels: geometry from the tessellation, class and attributes
// from the land-use model and the village they fall in, TBMJ from the ellipsoidal formula, seeded
// defects applied on the way. Nothing per parcel is kept once yielded except running totals.
import { projectedRingArea, roundArea } from '../../geo/ellipsoidal-area.ts';
import { AdminUnits, type Village } from './admin.ts';
import { type CellDefect, type DefectEntry, type DefectKind, type DefectPlan, planDefects } from './defects.ts';
import { type DistrictFeature, type PlaneOutline, type Projection, SegmentIndex, defaultZone, findDistrict, projectOutline, projectionForZone } from './district.ts';
import { LandUseModel, type ParcelClass } from './land-use.ts';
import { ringCentroid } from './polygon.ts';
import { Rng } from './random.ts';
import { YSDM } from './schema.ts';
import type { AttributeValue } from './shapefile-writer.ts';
import { type Tessellation, buildBoundary, parcelGeometries, tessellate } from './tessellation.ts';

export interface GenerationOptions {
  districtCode: string;
  parcels: number;
  seed: number;
  surveyYear?: number;
  zone?: 40 | 41;
  defects?: Partial<Record<DefectKind, number>>;
}

export interface GeneratedParcel {
  /** open counter-clockwise ring, Gauss-Kruger metres with zone prefix */
  ring: number[];
  bsm: string;
  dltb: Record<string, AttributeValue>;
  /** YJJBNTTB attributes when the parcel is permanent basic farmland (same geometry), else null */
  yjjbnttb: Record<string, AttributeValue> | null;
  /** ellipsoidal area of the parcel's geometry, unrounded (of the intended ring for invalid_ring) */
  trueAreaM2: number;
  defect: DefectKind | null;
}

export interface GenerationStats {
  parcels: number;
  basicFarmland: number;
  /** Σ recorded TBMJ in cents, overall and per DLBM */
  totalCents: number;
  classCents: Map<string, number>;
  /** Σ TBMJ of the clean tessellation (what XZQ.KZMJ records), in cents */
  cleanCents: number;
}

export class Generation {
  readonly district: DistrictFeature;
  readonly zone: 40 | 41;
  readonly projection: Projection;
  readonly outline: PlaneOutline;
  readonly index: SegmentIndex;
  readonly landUse: LandUseModel;
  readonly admin: AdminUnits;
  readonly tessellation: Tessellation;
  readonly plan: DefectPlan;
  readonly surveyYear: number;
  readonly stats: GenerationStats = { parcels: 0, basicFarmland: 0, totalCents: 0, classCents: new Map(), cleanCents: 0 };

  constructor(readonly options: GenerationOptions) {
    const { districtCode, parcels, seed } = options;
    if (!Number.isInteger(seed)) throw new Error('seed must be an integer');
    if (!(parcels >= 100 && parcels <= 2_000_000)) throw new Error('parcels must be between 100 and 2,000,000');
    this.district = findDistrict(districtCode);
    this.zone = options.zone ?? defaultZone(this.district);
    this.surveyYear = options.surveyYear ?? 2019;
    this.projection = projectionForZone(this.zone);
    this.outline = projectOutline(this.district, this.projection);
    this.index = new SegmentIndex(this.outline, Math.max(60, Math.min(2000, 2 * Math.sqrt(this.outline.area / parcels))));
    this.landUse = new LandUseModel(seed, districtCode, this.projection);
    const rng = new Rng(seed, 0xad);
    this.admin = new AdminUnits(rng, districtCode, this.district.name, this.outline, this.index, parcels, (x, y) => this.landUse.baseUrbanness(x, y));
    this.landUse.setTowns(this.admin.towns);
    this.tessellation = tessellate(this.outline, this.index, parcels, seed, (x, y) => this.landUse.urbanness(x, y));
    this.landUse.setCellSize(this.tessellation.grid.params.s);
    this.plan = planDefects(
      {
        grid: this.tessellation.grid,
        projection: this.projection,
        outline: this.outline,
        index: this.index,
        districtCode,
        rng: new Rng(seed, 0xdef),
      },
      options.defects ?? {},
    );
    // Defect blocks were reset to whole single cells, which can move split points on edges shared
    // with boundary cells: rebuild the boundary zone (and with it XZQ and the count) on the final grid.
    if (this.plan.entries.length > 0) Object.assign(this.tessellation, buildBoundary(this.tessellation.grid, this.outline, this.index));
  }

  get epsg(): 4528 | 4529 {
    return this.projection.epsg;
  }

  /** Parcels the stream will yield (exact). */
  get expectedParcels(): number {
    let slivers = 0;
    for (const defect of this.plan.byCell.values()) if (defect.sliverRing) slivers++;
    return this.tessellation.parcelCount + slivers + this.plan.outside.length;
  }

  /** Ellipsoidal area (m²) of a Gauss-Kruger ring: inverse-project (densified) vertices, then the survey formula. */
  ellipsoidalArea(ring: number[]): number {
    return projectedRingArea(ring, this.projection.inverse);
  }

  /** The parcels, in emission order. Each call starts over (and resets the running totals). */
  *parcels(): Generator<GeneratedParcel> {
    Object.assign(this.stats, { parcels: 0, basicFarmland: 0, totalCents: 0, classCents: new Map(), cleanCents: 0 });
    const { districtCode } = this.options;
    const seed = this.options.seed;
    const tbbh = new Map<number, number>();
    let seq = 0;
    let bfSeq = 0;
    const next = (
      ring: number[],
      cleanRing: number[] | null,
      cls: ParcelClass,
      village: Village,
      key: number,
      defect: CellDefect | undefined,
      partner: DefectEntry | undefined,
    ): GeneratedParcel => {
      seq++;
      let bsm = `${districtCode}1${String(seq).padStart(11, '0')}`;
      const number = (tbbh.get(village.index) ?? 0) + 1;
      tbbh.set(village.index, number);
      const kind = defect?.kind ?? null;
      if (defect?.duplicateRole === 'second') bsm = defect.entry.bsm;
      // TBMJ is the area of what is written — except for the bow-tie, whose "area" is meaningless:
      // it keeps the area of the ring it was before the two vertices were swapped.
      const trueArea = this.ellipsoidalArea(kind === 'invalid_ring' && cleanRing ? cleanRing : ring);
      const trueCents = Math.round(roundArea(trueArea) * 100);
      const recordedCents = trueCents + (defect?.areaDelta ? Math.round(defect.areaDelta * 100) : 0);
      if (cleanRing) this.stats.cleanCents += cleanRing === ring ? trueCents : Math.round(roundArea(this.ellipsoidalArea(cleanRing)) * 100);
      const a = this.landUse.classAttributes(cls, key);
      let dlbm = cls.dlbm;
      let dlmc = cls.dlmc;
      if (defect?.codeVariant === 'unknown_code') dlbm = defect.entry.dlbm as string;
      if (defect?.codeVariant === 'name_mismatch') {
        const names = [...this.landUse.codes.dlmc.values()].filter((name) => name !== cls.dlmc);
        dlmc = names[Math.floor((key % 997) / 997 * names.length)]!;
      }
      const kcmjCents = a.kcxs > 0 ? Math.round(recordedCents * a.kcxs) : 0;
      const tbbhText = String(number);
      const dltb: Record<string, AttributeValue> = {
        BSM: bsm, YSDM: YSDM.DLTB, TBYBH: '', TBBH: tbbhText, DLBM: dlbm, DLMC: dlmc, QSXZ: a.qsxz,
        QSDWDM: village.unitCode, QSDWMC: village.unitName, ZLDWDM: village.unitCode, ZLDWMC: village.unitName,
        TBMJ: recordedCents / 100, KCDLBM: a.kcxs > 0 ? '1203' : '', KCXS: a.kcxs, KCMJ: kcmjCents / 100,
        TBDLMJ: (recordedCents - kcmjCents) / 100, GDLX: a.gdlx, GDPDJB: a.gdpdjb, XZDWKD: a.xzdwkd, TBXHDM: '', TBXHMC: '',
        ZZSXDM: a.zzsxdm, ZZSXMC: a.zzsxmc, GDDB: a.gddb, FRDBS: '', CZCSXM: a.czcsxm, SJNF: this.surveyYear, MSSM: '00', HDMC: '', BZ: '',
      };
      let yjjbnttb: Record<string, AttributeValue> | null = null;
      if (a.basicFarmland && !defect && cleanRing) {
        bfSeq++;
        yjjbnttb = {
          BSM: `${districtCode}2${String(bfSeq).padStart(11, '0')}`, YSDM: YSDM.YJJBNTTB, XZQDM: districtCode, XZQMC: this.district.name,
          YJJBNTTBBH: String(bfSeq), TBBH: tbbhText, DLBM: dlbm, DLMC: dlmc, QSXZ: a.qsxz, QSDWDM: village.unitCode, QSDWMC: village.unitName,
          ZLDWDM: village.unitCode, ZLDWMC: village.unitName, YJJBNTTBMJ: dltb.TBMJ, KCDLBM: dltb.KCDLBM, KCXS: a.kcxs, KCMJ: dltb.KCMJ,
          YJJBNTMJ: dltb.TBDLMJ, GDLX: a.gdlx, GDPDJB: a.gdpdjb, TBXHDM: '', TBXHMC: '', ZZSXDM: a.zzsxdm, ZZSXMC: a.zzsxmc, GDDB: a.gddb,
          FRDBS: '', SJNF: this.surveyYear, BZ: '',
        };
        this.stats.basicFarmland++;
      }
      this.stats.parcels++;
      this.stats.totalCents += recordedCents;
      this.stats.classCents.set(dlbm, (this.stats.classCents.get(dlbm) ?? 0) + recordedCents);
      if (defect) this.completeEntry(defect, bsm, dltb, trueCents, recordedCents, cls);
      if (partner) partner[partner.kind === 'overlap' ? 'otherBsm' : 'neighbourBsm'] = bsm;
      return { ring, bsm, dltb, yjjbnttb, trueAreaM2: trueArea, defect: kind };
    };

    for (const g of parcelGeometries(this.tessellation)) {
      const defect = g.single >= 0 ? this.plan.byCell.get(g.single) : undefined;
      const partner = g.single >= 0 ? this.plan.partners.get(g.single) : undefined;
      const ring = defect?.editRing ? defect.editRing(g.ring) : g.ring;
      const [x, y] = ringCentroid(g.ring);
      const village = this.admin.villageAt(x, y, seed);
      const cls = this.landUse.classify(g.ring, x, y, g.elongated, seq + 1);
      const parcel = next(ring, g.ring, cls, village, seq + 1, defect, partner);
      yield parcel;
      if (defect?.sliverRing) {
        // The sliver inherits its parent's class and village: a fragment left over from an edit.
        const entry = defect.entry;
        entry.parentBsm = parcel.bsm;
        const sliver = next(defect.sliverRing, null, cls, village, seq + 1, undefined, undefined);
        entry.bsm = sliver.bsm;
        entry.tbmj = sliver.dltb.TBMJ;
        entry.dlbm = cls.dlbm;
        yield { ...sliver, defect: 'sliver' };
      }
    }
    for (const outside of this.plan.outside) {
      const [x, y] = ringCentroid(outside.ring);
      const cls = this.landUse.classify(outside.ring, x, y, false, seq + 1);
      const village = this.admin.villageAt(x, y, seed);
      const parcel = next(outside.ring, null, cls, village, seq + 1, undefined, undefined);
      outside.entry.bsm = parcel.bsm;
      outside.entry.tbmj = parcel.dltb.TBMJ;
      yield { ...parcel, defect: 'outside_district' };
    }
  }

  private completeEntry(defect: CellDefect, bsm: string, dltb: Record<string, AttributeValue>, trueCents: number, recordedCents: number, cls: ParcelClass): void {
    const entry = defect.entry;
    switch (defect.kind) {
      case 'duplicate_bsm': {
        const facts = { tbbh: dltb.TBBH, zldwdm: dltb.ZLDWDM };
        if (defect.duplicateRole === 'first') {
          entry.bsm = bsm;
          entry.first = facts;
        } else {
          entry.second = facts;
          entry.tbbh = [(entry.first as { tbbh: string }).tbbh, facts.tbbh];
        }
        return;
      }
      case 'sliver':
        return; // completed by the caller once the sliver itself is numbered
      case 'area_mismatch':
        entry.bsm = bsm;
        entry.recordedTbmj = recordedCents / 100;
        entry.trueTbmj = trueCents / 100;
        entry.differenceM2 = (recordedCents - trueCents) / 100;
        entry.detail = `TBMJ ${entry.recordedTbmj} recorded, ellipsoidal area ${entry.trueTbmj}`;
        return;
      case 'wrong_code':
        entry.bsm = bsm;
        entry.dlbm = dltb.DLBM;
        entry.dlmc = dltb.DLMC;
        entry.trueDlbm = cls.dlbm;
        entry.detail =
          entry.variant === 'unknown_code'
            ? `DLBM ${String(dltb.DLBM)} is not in the 三调 classification`
            : `DLMC ${String(dltb.DLMC)} does not match DLBM ${cls.dlbm} (${cls.dlmc})`;
        if (entry.variant === 'name_mismatch') entry.expectedDlmc = cls.dlmc;
        return;
      default:
        entry.bsm = bsm;
        entry.tbmj = recordedCents / 100;
    }
  }

  /** The district polygon as tessellated (union of the clean parcels), with its XZQ attributes. */
  xzq(): { rings: number[][]; attributes: Record<string, AttributeValue> } {
    return {
      rings: this.tessellation.xzqRings,
      attributes: {
        XZQDM: this.options.districtCode,
        XZQMC: this.district.name,
        KZMJ: this.stats.cleanCents / 100,
        DCMJ: this.stats.totalCents / 100,
        MSSM: '00',
      },
    };
  }
}

/** The parcels of a package without writing anything (for tests and tools). */
export function* generateParcels(options: GenerationOptions): Generator<GeneratedParcel> {
  yield* new Generation(options).parcels();
}

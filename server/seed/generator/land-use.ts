// Which land-use class a parcel gets, and the attributes that follow from it.
//
// Urbanness u ∈ [0, 1] falls off with distance from 人民广场, is high throughout the central districts,
// bumps up around every town centre (new towns, 镇区) and wobbles with smooth noise. The class mix is
// interpolated between a rural, a suburban and an urban table by u. Spatial coherence comes from
// land-use patches: the class is drawn once per patch of a warped lattice (several cells across), so
// neighbouring parcels mostly share a class; a minority of parcels draw their own. When parcels are
// small enough, rivers, canals and roads follow contour lines of seeded noise fields, giving connected
// chains of linear parcels rather than scattered ones.
import { type CodeLists, loadCodes } from './codes.ts';
import type { Projection } from './district.ts';
import { smoothstep } from './grid.ts';
import { fbm, hashUnit, valueNoise } from './random.ts';

const PEOPLES_SQUARE = [121.4737, 31.2304] as const;
const CENTRAL_DISTRICTS = new Set(['310101', '310104', '310105', '310106', '310107', '310109', '310110']);
export const LINEAR_CLASSES = new Set(['1001', '1003', '1004', '1006', '1101', '1107']);
const CONSTRUCTION = new Set(['05H1', '0508', '0601', '0602', '0701', '0702', '08H1', '08H2', '0809', '0810', '0810A', '09', '1004', '1005', '1201']);
const STATE_LAND = new Set(['1001', '1002', '1003', '1101', '1109', '1007', '1008']);

type Mix = Record<string, number>;
// Class weights (relative). Shanghai is flat, wet and built-up: 水田 dominates farmland, ponds and
// ditches are everywhere in the countryside, industry rings the towns.
const RURAL: Mix = {
  '0101': 45, '0102': 8, '0103': 2, '0201': 3, '0204': 1, '0301': 8, '0307': 2, '0404': 1.5, '1104': 5, '1104A': 3, '1101': 2,
  '1107': 3, '1202': 4, '0702': 10, '1006': 3, '1003': 1, '0601': 4, '0508': 1, '1201': 1, '0809': 0.5, '1109': 0.5, '0810': 0.5, '09': 0.3,
};
const SUBURBAN: Mix = {
  '0101': 10, '0102': 3, '0301': 5, '0404': 1, '1104': 2, '1101': 2, '1107': 1, '1202': 2, '0702': 5, '0701': 14, '05H1': 5, '0508': 4,
  '0601': 16, '08H1': 1, '08H2': 3, '0809': 2, '0810': 5, '1004': 5, '1003': 3, '1005': 1, '1006': 1, '1201': 3, '09': 0.5, '1001': 0.5,
};
const URBAN: Mix = {
  '0701': 30, '05H1': 13, '0508': 2, '0601': 5, '08H1': 3, '08H2': 8, '0809': 3, '0810': 8, '0810A': 1, '1004': 12, '1003': 1, '1005': 2,
  '1002': 1.5, '1101': 2, '1201': 1.5, '09': 1, '1008': 0.5,
};
const ALL_CLASSES = [...new Set([...Object.keys(RURAL), ...Object.keys(SUBURBAN), ...Object.keys(URBAN)])].sort();

/** A noise-contour network of linear parcels. */
interface Network {
  dlbm: string;
  salt: number;
  scale: number;
  uMin: number;
  uMax: number;
}

export interface ParcelClass {
  dlbm: string;
  dlmc: string;
  urbanness: number;
  /** patch-level random in [0, 1), shared by neighbouring parcels (basic-farmland clustering) */
  patch: number;
}

export type AttributeValue = string | number | null;

export class LandUseModel {
  readonly codes: CodeLists = loadCodes();
  private readonly centreX: number;
  private readonly centreY: number;
  private readonly central: boolean;
  private towns: { x: number; y: number; radius: number }[] = [];
  private patchScale = 300;
  private networks: Network[] = [];
  private patchWeights: (mix: Mix) => Mix = (mix) => mix;
  private readonly cdfCache = new Map<number, Float64Array>();

  constructor(
    private readonly seed: number,
    districtCode: string,
    projection: Projection,
  ) {
    [this.centreX, this.centreY] = projection.forward(PEOPLES_SQUARE[0], PEOPLES_SQUARE[1]);
    this.central = CENTRAL_DISTRICTS.has(districtCode);
  }

  /** Scales patches and networks to the parcel size (call once the grid's cell size is known). */
  setCellSize(cellSize: number): void {
    this.cdfCache.clear();
    this.patchScale = Math.max(300, 6 * cellSize);
    const s = cellSize;
    // Contour networks only make sense when a parcel is narrow enough to pass for a road or a river.
    this.networks =
      s > 200
        ? []
        : [
            { dlbm: '1101', salt: 0xa1, scale: Math.max(3000, 30 * s), uMin: 0, uMax: 1 },
            { dlbm: '1003', salt: 0xa2, scale: Math.max(5000, 50 * s), uMin: 0, uMax: 1 },
            { dlbm: '1004', salt: 0xa3, scale: Math.max(900, 16 * s), uMin: 0.45, uMax: 1 },
            { dlbm: '1006', salt: 0xa4, scale: Math.max(1200, 24 * s), uMin: 0, uMax: 0.5 },
            { dlbm: '1107', salt: 0xa5, scale: Math.max(1200, 24 * s), uMin: 0, uMax: 0.45 },
          ];
    const networked = new Set(this.networks.map((n) => n.dlbm));
    // With networks the patches carry fewer linear classes (they come from the networks instead).
    this.patchWeights = (mix) => Object.fromEntries(Object.entries(mix).map(([code, w]) => [code, networked.has(code) ? w * 0.15 : w]));
  }

  /** Urbanness from the distance to the city centre and the district alone (no towns). */
  baseUrbanness(x: number, y: number): number {
    const km = Math.hypot(x - this.centreX, y - this.centreY) / 1000;
    const core = 1 - smoothstep(7, 24, km);
    return this.central ? Math.max(core, 0.88) : core;
  }

  setTowns(towns: readonly { x: number; y: number; urban: boolean }[]): void {
    this.towns = towns.map((t) => ({ x: t.x, y: t.y, radius: t.urban ? 2500 : 1300 }));
  }

  urbanness(x: number, y: number): number {
    let u = this.baseUrbanness(x, y);
    for (const town of this.towns) {
      const r2 = ((x - town.x) ** 2 + (y - town.y) ** 2) / (town.radius * town.radius);
      if (r2 < 9) u = Math.max(u, 0.8 * Math.exp(-r2));
    }
    u += 0.35 * (fbm(this.seed ^ 0x51, x / 5000, y / 5000) - 0.5);
    return Math.max(0, Math.min(1, u));
  }

  /** Cumulative class weights at urbanness level k/100, for [round parcels, elongated parcels]. */
  private cdfAt(u: number, elongated: boolean): Float64Array {
    const level = Math.round(u * 100);
    const key = level * 2 + (elongated ? 1 : 0);
    let cdf = this.cdfCache.get(key);
    if (!cdf) {
      const mix = this.patchWeights(mixAt(level / 100));
      const fresh = new Float64Array(ALL_CLASSES.length);
      let total = 0;
      ALL_CLASSES.forEach((code, k) => {
        let w = mix[code] ?? 0;
        // No networks: favour linear classes on elongated parcels (pairs, half-cells).
        if (this.networks.length === 0 && LINEAR_CLASSES.has(code)) w *= elongated ? 2.5 : 0.5;
        total += w;
        fresh[k] = total;
      });
      for (let k = 0; k < fresh.length; k++) fresh[k]! /= total;
      this.cdfCache.set(key, fresh);
      cdf = fresh;
    }
    return cdf;
  }

  /**
   * The network a parcel lies on: one whose contour line (noise = 0.5) passes through it, i.e. whose
   * noise changes sign between the parcel's vertices. Parcels a line passes through form an
   * edge-connected chain (as in marching squares), so roads and rivers come out continuous.
   */
  private onNetwork(ring: ArrayLike<number>, u: number): string | null {
    for (const net of this.networks) {
      if (u < net.uMin || u > net.uMax) continue;
      const seed = this.seed ^ net.salt;
      let above = false;
      let below = false;
      for (let k = 0; k < ring.length; k += 2) {
        const gx = ring[k]! / net.scale;
        const gy = ring[k + 1]! / net.scale;
        const value = 0.75 * valueNoise(seed, gx, gy) + 0.25 * valueNoise(seed ^ 0x77, 2.1 * gx + 3.3, 2.1 * gy - 1.7);
        if (value >= 0.5) above = true;
        else below = true;
        if (above && below) return net.dlbm;
      }
    }
    return null;
  }

  /**
   * The class of a parcel with ring `ring` and representative point (x, y). key: a per-parcel
   * integer (its sequence number) for the parcels that do not follow their patch.
   */
  classify(ring: ArrayLike<number>, x: number, y: number, elongated: boolean, key: number): ParcelClass {
    const u = this.urbanness(x, y);
    const warp = 0.45;
    const px = x / this.patchScale + warp * (valueNoise(this.seed ^ 0x61, x / (2 * this.patchScale), y / (2 * this.patchScale)) - 0.5) * 2;
    const py = y / this.patchScale + warp * (valueNoise(this.seed ^ 0x62, x / (2 * this.patchScale), y / (2 * this.patchScale)) - 0.5) * 2;
    const pi = Math.floor(px);
    const pj = Math.floor(py);
    const patch = hashUnit(this.seed, pi, pj, 0x63);
    const network = this.onNetwork(ring, u);
    if (network) return { dlbm: network, dlmc: this.codes.dlmc.get(network)!, urbanness: u, patch };
    const own = hashUnit(this.seed, key, 0, 0x64) < 0.12;
    const r = own ? hashUnit(this.seed, key, 0, 0x65) : hashUnit(this.seed, pi, pj, 0x66);
    const cdf = this.cdfAt(u, elongated);
    let k = 0;
    while (k < cdf.length - 1 && r >= cdf[k]!) k++;
    const dlbm = ALL_CLASSES[k]!;
    return { dlbm, dlmc: this.codes.dlmc.get(dlbm)!, urbanness: u, patch };
  }

  /** The attributes that follow from the class (everything but identity, location and areas). */
  classAttributes(cls: ParcelClass, key: number): {
    qsxz: string;
    czcsxm: string;
    gdpdjb: string;
    gdlx: string;
    zzsxdm: string;
    zzsxmc: string;
    kcxs: number;
    xzdwkd: number | null;
    gddb: number | null;
    basicFarmland: boolean;
  } {
    const r = (salt: number) => hashUnit(this.seed, key, salt, 0x70);
    const { dlbm, urbanness: u } = cls;
    const farmland = dlbm.startsWith('01');
    let czcsxm = '';
    if (CONSTRUCTION.has(dlbm)) {
      if (dlbm === '09') czcsxm = '205';
      else if (dlbm === '0602') czcsxm = '204';
      else if (dlbm === '0702' || u < 0.4) czcsxm = dlbm === '0601' && r(1) < 0.5 ? '203A' : '203';
      else if (u < 0.65) czcsxm = dlbm === '0601' && r(1) < 0.4 ? '202A' : '202';
      else czcsxm = dlbm === '0601' && r(1) < 0.15 ? '201A' : '201';
    }
    let qsxz: string;
    if (STATE_LAND.has(dlbm) || czcsxm.startsWith('201')) qsxz = r(2) < 0.93 ? '20' : '10';
    else if (czcsxm.startsWith('202')) qsxz = r(2) < 0.6 ? '20' : '30';
    else qsxz = r(2) < 0.82 ? '30' : r(2) < 0.91 ? '31' : '32';
    let gdpdjb = '';
    let gdlx = '';
    let zzsxdm = '';
    let kcxs = 0;
    let gddb: number | null = null;
    if (farmland) {
      gdpdjb = r(3) < 0.88 ? '1' : '2';
      if (gdpdjb !== '1') gdlx = r(4) < 0.85 ? 'PD' : 'TT';
      const z = r(5);
      zzsxdm = z < 0.7 ? 'LS' : z < 0.82 ? 'FLS' : z < 0.92 ? 'LYFL' : z < 0.95 ? 'XG' : 'WG';
      if (r(6) < 0.35) kcxs = Math.round((0.012 + 0.048 * r(7)) * 10000) / 10000;
      gddb = 4 + Math.floor(r(8) * 4);
    }
    let xzdwkd: number | null = null;
    if (LINEAR_CLASSES.has(dlbm)) {
      const [lo, hi] = ({ '1001': [15, 30], '1003': [20, 50], '1004': [8, 40], '1006': [3, 7], '1101': [15, 120], '1107': [2, 8] } as Record<string, [number, number]>)[dlbm]!;
      xzdwkd = Math.round((lo + (hi - lo) * r(9)) * 10) / 10;
    }
    // About 70 % of 耕地 is permanent basic farmland, in clusters: decided mostly by the patch.
    const basicFarmland = farmland && (cls.patch < 0.78 ? r(10) < 0.86 : r(10) < 0.25);
    return {
      qsxz,
      czcsxm,
      gdpdjb,
      gdlx,
      zzsxdm,
      zzsxmc: zzsxdm ? this.codes.zzsxdm.get(zzsxdm)! : '',
      kcxs,
      xzdwkd,
      gddb,
      basicFarmland,
    };
  }
}

function mixAt(u: number): Mix {
  const blend = (a: Mix, b: Mix, t: number): Mix => Object.fromEntries(ALL_CLASSES.map((c) => [c, (a[c] ?? 0) * (1 - t) + (b[c] ?? 0) * t]));
  if (u <= 0.15) return RURAL;
  if (u < 0.5) return blend(RURAL, SUBURBAN, (u - 0.15) / 0.35);
  if (u < 0.85) return blend(SUBURBAN, URBAN, (u - 0.5) / 0.35);
  return URBAN;
}

// Towns (镇/街道) and villages (村/居委会) of a generated district: seeded centres scattered over the
// outline, villages belonging to their nearest town, each parcel to its nearest village (via a
// raster lookup with a wobble so village borders are not straight). Codes follow the 19-character
// 权属/坐落单位代码 layout: district(6) + town(3) + village(3) + '0000000'. Names are made from
// seeded syllables — they are fictitious.
import type { PlaneOutline, SegmentIndex } from './district.ts';
import { type Rng, valueNoise } from './random.ts';

export interface Town {
  code: string;
  name: string;
  x: number;
  y: number;
  urban: boolean;
}

export interface Village {
  index: number;
  town: Town;
  code: string;
  name: string;
  x: number;
  y: number;
  /** 19-character unit code */
  unitCode: string;
  /** district + town + village name, e.g. 崇明区城桥镇长兴村 */
  unitName: string;
}

const SYLLABLES = [...'新华安宁长兴东西南北城桥港堡庙竖河江海沙林园丰盛永和平泰福春光明金山石湾庄塘泾浜汇浦亭宅墩盈陈张王李秀枫朱泗莘庄徐漕龙华虹梅马陆罗店杨行月浦高行合庆祝惠川沙周浦航头万祥泥城书院大团老港宣桥康坊廊下吕巷亭林张堰漕泾柘林金汇青村邬桥奉城四团叶榭小昆车墩洞泾佘山九亭泖港练塘白鹤赵屯重固华新香花凤溪江桥南翔外冈嘉定徐行华亭安亭黄渡竹桥'];

function syllable(rng: Rng): string {
  return SYLLABLES[rng.int(SYLLABLES.length)]!;
}

function uniqueName(rng: Rng, used: Set<string>): string {
  for (let attempt = 0; ; attempt++) {
    const name = syllable(rng) + syllable(rng) + (attempt > 50 ? syllable(rng) : '');
    if (name[0] !== name[1] && !used.has(name)) {
      used.add(name);
      return name;
    }
  }
}

/** Seeded points inside the outline, at least `spacing` apart where possible (dart throwing). */
function scatter(rng: Rng, outline: PlaneOutline, index: SegmentIndex, count: number, spacing: number): [number, number][] {
  const points: [number, number][] = [];
  let minGap = spacing;
  for (let tries = 0; points.length < count; tries++) {
    if (tries > 0 && tries % 2000 === 0) minGap *= 0.8; // crowded: relax the spacing
    const x = rng.range(outline.minX, outline.maxX);
    const y = rng.range(outline.minY, outline.maxY);
    if (!index.contains(x, y)) continue;
    if (points.some(([px, py]) => Math.hypot(px - x, py - y) < minGap)) continue;
    points.push([x, y]);
  }
  return points;
}

export class AdminUnits {
  readonly towns: Town[] = [];
  readonly villages: Village[] = [];
  private readonly raster: Uint16Array;
  private readonly rasterSize: number;
  private readonly rasterX: number;
  private readonly rasterY: number;
  private readonly wobble: number;

  constructor(
    rng: Rng,
    readonly districtCode: string,
    readonly districtName: string,
    private readonly outline: PlaneOutline,
    index: SegmentIndex,
    parcels: number,
    baseUrbanness: (x: number, y: number) => number,
  ) {
    const areaKm2 = outline.area / 1e6;
    const townCount = Math.max(4, Math.min(24, Math.round(3 + 0.45 * Math.sqrt(areaKm2))));
    const villageCount = Math.max(3 * townCount, Math.min(800, Math.round(Math.min(areaKm2 / 3.5, parcels / 15))));
    const townSpacing = 0.7 * Math.sqrt(outline.area / townCount);
    const villageSpacing = 0.6 * Math.sqrt(outline.area / villageCount);

    const names = new Set<string>();
    let streets = 0;
    let townships = 0;
    for (const [x, y] of scatter(rng, outline, index, townCount, townSpacing)) {
      const urban = baseUrbanness(x, y) > 0.6;
      // 街道 get codes 001…, 镇 100… as in the national 乡级 code ranges.
      const code = String(urban ? ++streets : 100 + townships++).padStart(3, '0');
      this.towns.push({ code, name: uniqueName(rng, names) + (urban ? '街道' : '镇'), x, y, urban });
    }
    const perTown = new Map<Town, number>();
    for (const [x, y] of scatter(rng, outline, index, villageCount, villageSpacing)) {
      const town = this.towns.reduce((best, t) => (Math.hypot(t.x - x, t.y - y) < Math.hypot(best.x - x, best.y - y) ? t : best));
      const urban = baseUrbanness(x, y) > 0.5;
      const serial = (perTown.get(town) ?? 0) + 1;
      perTown.set(town, serial);
      // 居委会 take 001-199, 村 200+ (the usual split of village-level codes).
      const code = String(urban ? serial : 200 + serial).padStart(3, '0');
      const name = uniqueName(rng, names) + (urban ? '居委会' : '村');
      this.villages.push({
        index: this.villages.length,
        town,
        code,
        name,
        x,
        y,
        unitCode: `${districtCode}${town.code}${code}0000000`,
        unitName: `${districtName}${town.name}${name}`,
      });
    }

    // Nearest-village raster: fine enough that borders look natural, coarse enough to be cheap.
    this.rasterSize = villageSpacing / 8;
    this.wobble = villageSpacing / 4;
    this.rasterX = Math.ceil((outline.maxX - outline.minX) / this.rasterSize) + 1;
    this.rasterY = Math.ceil((outline.maxY - outline.minY) / this.rasterSize) + 1;
    this.raster = new Uint16Array(this.rasterX * this.rasterY);
    for (let ry = 0; ry < this.rasterY; ry++) {
      for (let rx = 0; rx < this.rasterX; rx++) {
        const x = outline.minX + (rx + 0.5) * this.rasterSize;
        const y = outline.minY + (ry + 0.5) * this.rasterSize;
        let best = 0;
        let bestD = Infinity;
        for (const v of this.villages) {
          const d = (v.x - x) ** 2 + (v.y - y) ** 2;
          if (d < bestD) {
            bestD = d;
            best = v.index;
          }
        }
        this.raster[ry * this.rasterX + rx] = best;
      }
    }
  }

  /** The village a point belongs to (points outside the outline get the nearest raster cell's). */
  villageAt(x: number, y: number, seed: number): Village {
    const wx = x + this.wobble * (2 * valueNoise(seed ^ 0x3c1, x / (this.wobble * 3), y / (this.wobble * 3)) - 1);
    const wy = y + this.wobble * (2 * valueNoise(seed ^ 0x3c2, x / (this.wobble * 3), y / (this.wobble * 3)) - 1);
    const rx = Math.max(0, Math.min(this.rasterX - 1, Math.floor((wx - this.outline.minX) / this.rasterSize)));
    const ry = Math.max(0, Math.min(this.rasterY - 1, Math.floor((wy - this.outline.minY) / this.rasterSize)));
    return this.villages[this.raster[ry * this.rasterX + rx]!]!;
  }
}

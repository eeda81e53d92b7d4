// Shared by the browser tests: Chromium (Debian's package, driven by playwright-core, WebGL on
// SwiftShader), the real app listening on a free port, a watch on every request the page makes
// (none may leave this server), and the map's pixels read from a screenshot.
import fs from 'node:fs';
import zlib from 'node:zlib';
import { chromium, type Browser, type Page } from 'playwright-core';
import { loadConfig } from '../../server/config.ts';
import type { TestApp } from '../support/app.ts';
import { DEMO_PASSWORD } from '../support/data.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const haveChromium = fs.existsSync(CHROMIUM);
export const haveWebBuild = fs.existsSync(`${loadConfig({}).webDistDir}/index.html`);
if (process.env.CI && (!haveChromium || !haveWebBuild)) {
  throw new Error(`browser tests need ${CHROMIUM} and a built web app (npm run build:web) under CI`);
}
if (!haveChromium) console.warn(`browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);
export const canRun = haveChromium && haveWebBuild;

/** Screenshots of the runs, for people to look at. */
export const ARTIFACTS = 'test-results/browser';

export function launchChromium(): Promise<Browser> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

/** Listens on 127.0.0.1 and a free port; returns the base URL. */
export async function listen(test: TestApp): Promise<string> {
  await test.app.listen({ host: '127.0.0.1', port: 0 });
  const address = test.app.server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

/** Every request the page makes that is not to base (inline data and the page's own blobs aside). */
export function watchRequests(page: Page, base: string): { foreign: string[]; tiles: string[]; failed: string[]; pending: Set<string>; errors: string[] } {
  const seen = { foreign: [] as string[], tiles: [] as string[], failed: [] as string[], pending: new Set<string>(), errors: [] as string[] };
  page.on('pageerror', (error) => seen.errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') seen.errors.push(message.text());
  });
  page.on('requestfinished', (request) => seen.pending.delete(request.url()));
  page.on('requestfailed', (request) => {
    seen.pending.delete(request.url());
    // MapLibre cancels the tiles it no longer needs (net::ERR_ABORTED): that is no failure.
    const reason = request.failure()?.errorText ?? 'failed';
    if (request.url().startsWith(base) && !reason.includes('ERR_ABORTED')) seen.failed.push(`${reason} ${request.url()}`);
  });
  page.on('request', (request) => {
    const url = request.url();
    if (url.startsWith('data:') || url.startsWith(`blob:${base}`)) return;
    if (!url.startsWith(`${base}/`)) seen.foreign.push(url);
    else if (url.startsWith(`${base}/tiles/`)) seen.tiles.push(url.slice(base.length));
    if (url.startsWith(`${base}/`)) seen.pending.add(url);
  });
  page.on('response', (response) => {
    // /api/health answers 503 by design when the database is degraded; the page shows it.
    if (response.status() >= 500 && !response.url().startsWith(`${base}/api/health`)) seen.failed.push(`${response.status()} ${response.url()}`);
  });
  return seen;
}

export async function signIn(page: Page, username: string): Promise<void> {
  await page.fill('#username', username);
  await page.fill('#password', DEMO_PASSWORD);
  await page.click('#login-submit');
  await page.waitForSelector('#current-user:not([hidden])');
}

/** The map's count of finished renders ('idle' events). */
export function idleCount(page: Page): Promise<number> {
  return page.$eval('#map', (el) => Number((el as HTMLElement).dataset.idle ?? 0));
}

/**
 * Waits until the map has rendered everything after the given idle count, with its state
 * description (data-drawn) containing `state`.
 */
export async function waitForMap(page: Page, after: number, state = ''): Promise<void> {
  try {
    await waitForMapState(page, after, state);
  } catch (error) {
    const now = await page.$eval('#map', (el) => `aria-busy=${el.getAttribute('aria-busy')} ${JSON.stringify((el as HTMLElement).dataset)}`).catch(() => '?');
    throw new Error(`the map was not drawn with "${state}" after idle ${after}: ${now}`, { cause: error });
  }
}

function waitForMapState(page: Page, after: number, state: string) {
  return page.waitForFunction(
    ({ after, state }) => {
      const el = document.getElementById('map');
      return !!el && el.getAttribute('aria-busy') === 'false' && Number(el.dataset.idle ?? 0) > after && (el.dataset.drawn ?? '').includes(state);
    },
    { after, state },
    { timeout: 60_000 },
  );
}

// ---- pixels ----

export interface Image {
  width: number;
  height: number;
  /** RGBA */
  data: Uint8Array;
}

/** Decodes an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium's screenshots are). */
export function decodePng(png: Buffer): Image {
  let offset = 8;
  let width = 0;
  let height = 0;
  let colorType = 0;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('ascii', offset + 4, offset + 8);
    const body = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      if (body[8] !== 8 || body[12] !== 0) throw new Error('only 8-bit non-interlaced PNGs');
      colorType = body[9]!;
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    offset += 12 + length;
  }
  const channels = colorType === 6 ? 4 : colorType === 2 ? 3 : 0;
  if (!channels) throw new Error(`PNG colour type ${colorType} not supported`);
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const rows = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const left = x >= channels ? rows[y * stride + x - channels]! : 0;
      const up = y > 0 ? rows[(y - 1) * stride + x]! : 0;
      const upLeft = y > 0 && x >= channels ? rows[(y - 1) * stride + x - channels]! : 0;
      let value = line[x]!;
      if (filter === 1) value += left;
      else if (filter === 2) value += up;
      else if (filter === 3) value += (left + up) >> 1;
      else if (filter === 4) {
        const p = left + up - upLeft;
        const pa = Math.abs(p - left);
        const pb = Math.abs(p - up);
        const pc = Math.abs(p - upLeft);
        value += pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      }
      rows[y * stride + x] = value & 0xff;
    }
  }
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    data[i * 4] = rows[i * channels]!;
    data[i * 4 + 1] = rows[i * channels + 1]!;
    data[i * 4 + 2] = rows[i * channels + 2]!;
    data[i * 4 + 3] = channels === 4 ? rows[i * channels + 3]! : 255;
  }
  return { width, height, data };
}

/** A screenshot of the map alone (canvas and HTML markers), saved as an artifact too. */
export async function mapImage(page: Page, name: string): Promise<Image> {
  const png = await page.locator('#map').screenshot({ path: `${ARTIFACTS}/${name}.png` });
  return decodePng(png);
}

export type Rgb = [number, number, number];

export function hexRgb(hex: string): Rgb {
  const value = Number.parseInt(hex.replace('#', ''), 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}

function distance(data: Uint8Array, i: number, rgb: Rgb): number {
  return Math.max(Math.abs(data[i]! - rgb[0]), Math.abs(data[i + 1]! - rgb[1]), Math.abs(data[i + 2]! - rgb[2]));
}

/** Share of the image's pixels that differ from the colour by more than tolerance. */
export function shareUnlike(image: Image, rgb: Rgb, tolerance = 12): number {
  let count = 0;
  for (let i = 0; i < image.data.length; i += 4) if (distance(image.data, i, rgb) > tolerance) count++;
  return count / (image.width * image.height);
}

/** Pixels within tolerance of the colour. */
export function countNear(image: Image, rgb: Rgb, tolerance = 10): number {
  let count = 0;
  for (let i = 0; i < image.data.length; i += 4) if (distance(image.data, i, rgb) <= tolerance) count++;
  return count;
}

/** Blends a colour over a background, as a fill of that opacity draws it. */
export function blend(rgb: Rgb, over: Rgb, opacity: number): Rgb {
  return [0, 1, 2].map((c) => Math.round(rgb[c]! * opacity + over[c]! * (1 - opacity))) as Rgb;
}

/** Share of pixels that differ between two images of the same size. */
export function shareChanged(a: Image, b: Image, tolerance = 12): number {
  if (a.width !== b.width || a.height !== b.height) throw new Error('images differ in size');
  let count = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    if (Math.max(Math.abs(a.data[i]! - b.data[i]!), Math.abs(a.data[i + 1]! - b.data[i + 1]!), Math.abs(a.data[i + 2]! - b.data[i + 2]!)) > tolerance) count++;
  }
  return count / (a.width * a.height);
}

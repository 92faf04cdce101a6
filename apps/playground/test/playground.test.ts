/**
 * The built playground in headless Chromium (Debian `chromium` + playwright-core): no console
 * errors; a seeded episode on the page's wasm backend equals the same policy and seed in Node
 * (@mipjs/policy + @mipjs/envs on @tensorflow/tfjs-backend-wasm) step for step to 1e-6; the WebGL
 * backend stays within 0.05 coverage of Node; dragging the T through the page's own pointer handling
 * moves it; missing / corrupt assets show a readable message; latency per chunk is measured and
 * printed beside Node's; a screenshot is saved (test-output/, and apps/docs/public/playground.png
 * when MIPJS_UPDATE_SCREENSHOT=1 or when it does not exist yet).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PushTEnv, pushTObservationForTask } from '@mipjs/envs';
import { RecedingHorizon } from '@mipjs/policy';
import { loadPolicyFromRun } from '@mipjs/policy/node';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlaygroundHook } from '../src/main.js';

declare global {
  interface Window {
    __mipjs: PlaygroundHook;
  }
}

const appRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(appRoot, 'dist');
const policies = join(appRoot, 'public', 'policies');
const output = join(appRoot, 'test-output');
const docsScreenshot = join(appRoot, '..', 'docs', 'public', 'playground.png');
/** Debian's chromium; MIPJS_CHROMIUM overrides it (e.g. a path that does not exist, to see the skip). */
const chromiumPath = process.env.MIPJS_CHROMIUM ?? '/usr/bin/chromium';
const SEED = 100000;
const STEPS = 300;

const skipReason = existsSync(chromiumPath)
  ? null
  : `${chromiumPath} is missing (install Debian's chromium: sudo apt-get install -y chromium)`;
if (skipReason) console.warn(`SKIPPING the browser test of the playground: ${skipReason}`);

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.png': 'image/png',
};

/** Serves `dist` on 127.0.0.1 like a static host. */
function serve(): Promise<Server> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = normalize(join(dist, path));
    if (file === dist || file.endsWith(sep)) file = join(file, 'index.html');
    if (!file.startsWith(dist + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

interface IndexEntry {
  name: string;
  nfe: number;
  fixedNfe: number | null;
}

/** The same episode as the page's `runEpisode`, written out here: Node, wasm backend. */
async function nodeEpisode(name: string, seed: number, steps: number, nfe: number) {
  const policy = await loadPolicyFromRun(join(policies, name));
  const env = new PushTEnv({ observation: pushTObservationForTask(policy.manifest.task), legacy: true });
  const control = new RecedingHorizon(
    {
      obsSteps: policy.obsSteps,
      horizon: policy.horizon,
      actionSteps: policy.actionSteps,
      obsDim: policy.obsDim,
      actDim: policy.actDim,
      act(observations, options) {
        const t0 = performance.now();
        const chunk = policy.act(observations, options);
        latencyMs.push(performance.now() - t0);
        return chunk;
      },
    },
    { batch: 1, nfe, seed },
  );
  const latencyMs: number[] = [];
  const coverages: number[] = [];
  const actions: number[] = [];
  let obs = env.reset(seed);
  for (let t = 0; t < steps; t++) {
    const action = control.step(obs);
    actions.push(...action);
    const r = env.step(action);
    obs = r.observation;
    coverages.push(r.coverage);
    if (r.terminated || r.truncated) break;
  }
  policy.dispose();
  return { coverages, actions, latencyMs };
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
/** Largest |a[i] - b[i]| over the common length. */
function maxDiff(a: readonly number[], b: readonly number[]): number {
  let worst = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

/** Median latency without the first chunk (warm-up: wasm compilation, WebGL shaders). */
const warmMedian = (v: number[]) => median(v.length > 1 ? v.slice(1) : v);

describe.skipIf(skipReason !== null)('the built playground in headless Chromium', () => {
  let server: Server;
  let base: string;
  let context: BrowserContext;
  let userDataDir: string;
  let index: IndexEntry[];
  const latency: Record<string, Record<string, number>> = {};

  beforeAll(async () => {
    if (!existsSync(join(dist, 'index.html'))) {
      console.log('no built playground: running `pnpm run build` in apps/playground');
      execFileSync('pnpm', ['run', 'build'], { cwd: appRoot, stdio: 'inherit', timeout: 300_000 });
    }
    index = (JSON.parse(readFileSync(join(policies, 'index.json'), 'utf8')) as { policies: IndexEntry[] })
      .policies;
    await tf.setBackend('wasm');
    server = await serve();
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    userDataDir = mkdtempSync(join(tmpdir(), 'mipjs-playground-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: chromiumPath,
      headless: true,
      viewport: { width: 1000, height: 820 },
      args: [
        '--headless',
        '--no-sandbox',
        // WebGL through SwiftShader (software); headless Chromium here has no GPU.
        '--use-angle=swiftshader',
        '--enable-unsafe-swiftshader',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    mkdirSync(output, { recursive: true });
  });

  afterAll(async () => {
    await context?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    if (Object.keys(latency).length > 0) {
      console.log('\nlatency per chunk, median over an episode without the first chunk (ms):');
      for (const [name, row] of Object.entries(latency)) {
        console.log(
          `  ${name.padEnd(6)} ${Object.entries(row)
            .map(([k, v]) => `${k} ${v.toFixed(2)}`)
            .join('  ')}`,
        );
      }
    }
  });

  /** Opens the page and collects console errors, failed requests and uncaught exceptions. */
  async function open(query = '') {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console error: ${m.text()}`);
    });
    page.on('response', (r) => {
      if (r.status() >= 400) errors.push(`${r.status()} for ${r.url()}`);
    });
    page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
    await page.goto(base + query, { waitUntil: 'load' });
    await page.waitForFunction(() => '__mipjs' in window);
    await page.evaluate(() => window.__mipjs.ready);
    return { page, errors };
  }

  it('loads, picks a backend and runs the policy live with no console errors', async () => {
    const { page, errors } = await open();
    await page.waitForFunction(() => window.__mipjs.status().steps >= 10, undefined, { timeout: 60_000 });
    const status = await page.evaluate(() => window.__mipjs.status());
    console.log(`default backend in headless Chromium: ${status.backend}`);
    expect(status.error).toBeNull();
    expect(['webgl', 'wasm']).toContain(status.backend);
    expect(await page.locator('#backend').textContent()).toBe(status.backend);
    expect(await page.locator('#policy option').count()).toBe(index.length);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('runs a seeded episode on wasm exactly as Node does (1e-6, every step, every policy)', async () => {
    const { page, errors } = await open('?autoplay=0&backend=wasm');
    for (const e of index) {
      const nfe = e.fixedNfe ?? e.nfe;
      const browser = await page.evaluate((a) => window.__mipjs.runEpisode(a), {
        policy: e.name,
        seed: SEED,
        steps: STEPS,
        backend: 'wasm' as const,
      });
      const node = await nodeEpisode(e.name, SEED, STEPS, nfe);
      expect(browser.backend).toBe('wasm');
      expect(browser.coverages.length).toBe(node.coverages.length);
      const worst = maxDiff(browser.coverages, node.coverages);
      const worstAction = maxDiff(browser.actions, node.actions);
      console.log(
        `${e.name} on wasm: ${node.coverages.length} steps, coverage browser ${browser.coverages.at(-1)!.toFixed(4)} ` +
          `node ${node.coverages.at(-1)!.toFixed(4)} (max over the episode ${Math.max(...node.coverages).toFixed(4)}), ` +
          `max |coverage diff| ${worst.toExponential(2)}, max |action diff| ${worstAction.toExponential(2)} px`,
      );
      expect(worst).toBeLessThanOrEqual(1e-6);
      expect(worstAction).toBeLessThanOrEqual(1e-6);
      latency[e.name] = {
        ...latency[e.name],
        'browser-wasm': warmMedian(browser.latencyMs),
        'node-wasm': warmMedian(node.latencyMs),
      };
    }
    expect(errors).toEqual([]);
    await page.close();
  });

  it('runs on WebGL within 0.05 coverage of Node', async (ctx) => {
    const { page, errors } = await open('?autoplay=0&backend=wasm');
    for (const e of index) {
      let browser: Awaited<ReturnType<PlaygroundHook['runEpisode']>>;
      try {
        browser = await page.evaluate((a) => window.__mipjs.runEpisode(a), {
          policy: e.name,
          seed: SEED,
          steps: STEPS,
          backend: 'webgl' as const,
        });
      } catch (error) {
        const why = (error as Error).message.split('\n')[0];
        if (!why.includes('not available')) throw error;
        console.warn(`SKIPPING the WebGL check: ${why}`);
        ctx.skip();
        return;
      }
      const node = await nodeEpisode(e.name, SEED, STEPS, e.fixedNfe ?? e.nfe);
      expect(browser.backend).toBe('webgl');
      const worst = maxDiff(browser.coverages, node.coverages);
      console.log(
        `${e.name} on WebGL: ${browser.coverages.length} steps (node ${node.coverages.length}), coverage ` +
          `${browser.coverages.at(-1)!.toFixed(4)} (node ${node.coverages.at(-1)!.toFixed(4)}), max |coverage diff| ` +
          `${worst.toExponential(2)}, max |action diff| ${maxDiff(browser.actions, node.actions).toExponential(2)} px`,
      );
      expect(worst).toBeLessThanOrEqual(0.05);
      latency[e.name] = { ...latency[e.name], 'browser-webgl': warmMedian(browser.latencyMs) };
    }
    expect(errors).toEqual([]);
    await page.close();
  });

  it('moves the T when it is dragged with the mouse, and the agent too', async () => {
    const { page, errors } = await open('?autoplay=0&backend=wasm');
    const before = (await page.evaluate(() => window.__mipjs.status())).state;
    const [wx, wy] = await page.evaluate(() => window.__mipjs.blockPoint());
    const box = (await page.locator('#scene').boundingBox())!;
    const scale = box.width / 512;
    const x = box.x + wx * scale;
    const y = box.y + wy * scale;
    const [dx, dy] = [wx > 256 ? -60 : 60, wy > 256 ? -40 : 40];
    await page.mouse.move(x, y);
    await page.mouse.down();
    for (let i = 1; i <= 6; i++) await page.mouse.move(x + (dx * scale * i) / 6, y + (dy * scale * i) / 6);
    await page.mouse.up();
    const after = (await page.evaluate(() => window.__mipjs.status())).state;
    console.log(
      `dragged the T by (${dx}, ${dy}): block (${before[2]!.toFixed(1)}, ${before[3]!.toFixed(1)}) -> (${after[2]!.toFixed(1)}, ${after[3]!.toFixed(1)})`,
    );
    expect(after[2]! - before[2]!).toBeCloseTo(dx, 0);
    expect(after[3]! - before[3]!).toBeCloseTo(dy, 0);
    expect(after[4]).toBeCloseTo(before[4]!, 6);

    // The agent: grab its centre and move it 50 px; then the policy acts from the new scene.
    const ax = box.x + after[0]! * scale;
    const ay = box.y + after[1]! * scale;
    const adx = after[0]! > 256 ? -50 : 50;
    await page.mouse.move(ax, ay);
    await page.mouse.down();
    await page.mouse.move(ax + adx * scale, ay, { steps: 5 });
    await page.mouse.up();
    const moved = (await page.evaluate(() => window.__mipjs.status())).state;
    expect(moved[0]! - after[0]!).toBeCloseTo(adx, 0);
    await page.evaluate(() => window.__mipjs.step());
    expect((await page.evaluate(() => window.__mipjs.status())).steps).toBe(1);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows a readable message for a missing or corrupt policy asset', async () => {
    const name = index[0]!.name;
    const cases: [pattern: string, body: { status: number; body: string }, expected: RegExp][] = [
      [`**/policies/${name}/checkpoint/ema/network/weights.bin`, { status: 404, body: '' }, /missing/i],
      [
        `**/policies/${name}/checkpoint/ema/network/manifest.json`,
        { status: 200, body: '{not json' },
        /not JSON/,
      ],
      [`**/policies/${name}/policy.json`, { status: 200, body: '{"format":"x"}' }, /policy\.json/],
      ['**/policies/index.json', { status: 404, body: '' }, /index\.json.*404/],
    ];
    for (const [pattern, reply, expected] of cases) {
      const page = await context.newPage();
      await page.route(pattern, (route) => route.fulfill({ status: reply.status, body: reply.body }));
      await page.goto(`${base}?autoplay=0&backend=wasm&policy=${name}`);
      await page.waitForFunction(() => '__mipjs' in window);
      await page.evaluate(() => window.__mipjs.ready);
      const box = page.locator('#error');
      await expect(box.isVisible()).resolves.toBe(true);
      const text = (await box.textContent()) ?? '';
      console.log(`bad asset ${pattern.split('/').slice(-2).join('/')}: "${text.replaceAll('\n', ' | ')}"`);
      expect(text).toMatch(/^Cannot /);
      expect(text).toMatch(expected);
      await page.close();
    }
  });

  it('saves a screenshot of an episode in progress', async () => {
    const { page, errors } = await open(`?autoplay=0&backend=wasm&seed=${SEED + 3}`);
    for (let i = 0; i < 40; i++) await page.evaluate(() => window.__mipjs.step());
    const file = join(output, 'playground.png');
    await page.screenshot({ path: file, fullPage: true });
    if (process.env.MIPJS_UPDATE_SCREENSHOT === '1' || !existsSync(docsScreenshot)) {
      copyFileSync(file, docsScreenshot);
      console.log(`screenshot: ${docsScreenshot}`);
    } else console.log(`screenshot: ${file} (MIPJS_UPDATE_SCREENSHOT=1 copies it to the docs)`);
    expect(statSync(file).size).toBeGreaterThan(10_000);
    expect(errors).toEqual([]);
    await page.close();
  });
});

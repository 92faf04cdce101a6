/**
 * The built site, checked in a real browser: formulas rendered, API pages present, internal links
 * resolve, no console errors. Serves `.vitepress/dist` from a tiny static server on 127.0.0.1.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const docsRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(docsRoot, '.vitepress', 'dist');
/** Debian's chromium; MIPJS_CHROMIUM overrides it (e.g. a path that does not exist, to see the skip). */
const chromiumPath = process.env.MIPJS_CHROMIUM ?? '/usr/bin/chromium';
const packages = ['interpolant', 'nets', 'losses', 'samplers', 'data', 'bench'];

// The test only looks for the browser: installing system packages is .ci/run's job (and the
// contributor one-liner in the README), never a test's.
const skipReason = existsSync(chromiumPath)
  ? null
  : `${chromiumPath} is missing (install Debian's chromium: sudo apt-get install -y chromium)`;
if (skipReason) console.warn(`SKIPPING the browser test of the docs site: ${skipReason}`);

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain',
};

/** Serves `dist` like a static host: `/x/` -> `/x/index.html`, `/x` -> `/x.html` when that exists. */
function serve(): Promise<Server> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = normalize(join(dist, path));
    const candidates = [file, join(file, 'index.html'), `${file}.html`];
    const found = file.startsWith(dist + sep) || file === dist ? candidates.find(isFile) : undefined;
    if (!found) {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end(readFileSync(join(dist, '404.html')));
      return;
    }
    res.writeHead(200, { 'content-type': types[extname(found)] ?? 'application/octet-stream' });
    res.end(readFileSync(found));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}

describe.skipIf(skipReason !== null)('the built docs site in headless Chromium', () => {
  let server: Server;
  let base: string;
  let context: BrowserContext;
  let userDataDir: string;

  beforeAll(async () => {
    if (!existsSync(join(dist, 'index.html')) || !existsSync(join(dist, 'api'))) {
      console.log('no built site: running `pnpm run build` in apps/docs');
      execFileSync('pnpm', ['run', 'build'], { cwd: docsRoot, stdio: 'inherit', timeout: 300_000 });
    }
    server = await serve();
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    userDataDir = mkdtempSync(join(tmpdir(), 'mipjs-docs-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: chromiumPath,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await context?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  /** Opens a page and returns the console errors and uncaught exceptions seen while it loaded. */
  async function open(path: string) {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`${path}: console error: ${message.text()}`);
    });
    page.on('response', (response) => {
      if (response.status() >= 400) errors.push(`${path}: ${response.status()} for ${response.url()}`);
    });
    page.on('pageerror', (error) => errors.push(`${path}: uncaught: ${error.message}`));
    const response = await page.goto(base + path, { waitUntil: 'networkidle' });
    return { page, errors, status: response?.status() };
  }

  it('renders every formula of the architecture page', async () => {
    const { page, errors, status } = await open('/architecture.html');
    expect(status).toBe(200);
    // biome-ignore lint/performance/useDomNodeTextContent: the visible text is what must hold no raw TeX
    const text = await page.locator('main').innerText();
    for (const raw of ['$$', '\\frac', '\\begin', '\\lVert', '\\mathbb', '\\theta', '\\Phi', '\\hat']) {
      expect(text, `raw TeX ${raw} visible on the architecture page`).not.toContain(raw);
    }
    expect(text).not.toMatch(/\$[^$\s][^$]*\$/);
    const formulas = await page.locator('main mjx-container').count();
    const displayFormulas = await page.locator('main mjx-container[display="true"]').count();
    expect(formulas).toBeGreaterThan(60);
    const displayBlocks =
      (readFileSync(join(docsRoot, 'architecture.md'), 'utf8').match(/^\$\$$/gm) ?? []).length / 2;
    expect(displayFormulas).toBe(displayBlocks);
    // Each algorithm section links to its loss's API page.
    const apiLinks = await page.locator('main a[href^="/api/@mipjs/losses/"]').count();
    expect(apiLinks).toBeGreaterThanOrEqual(9);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('has API pages for every package', async () => {
    for (const pkg of packages) {
      const { page, errors, status } = await open(`/api/@mipjs/${pkg}/`);
      expect(status, `/api/@mipjs/${pkg}/`).toBe(200);
      await expect(page.locator('main h1').first().textContent()).resolves.toContain(`@mipjs/${pkg}`);
      expect(errors).toEqual([]);
      await page.close();
    }
  });

  it('renders the math of the doc comments on the API pages', async () => {
    for (const path of [
      '/api/@mipjs/losses/functions/mipLoss.html',
      '/api/@mipjs/samplers/functions/eulerSampler.html',
    ]) {
      const { page, errors, status } = await open(path);
      expect(status, path).toBe(200);
      // biome-ignore lint/performance/useDomNodeTextContent: the visible text is what must hold no raw TeX
      const text = await page.locator('main').innerText();
      for (const raw of ['$$', '\\mathbb', '\\operatorname', '\\alpha'])
        expect(text, `${path}: ${raw}`).not.toContain(raw);
      expect(await page.locator('main mjx-container[display="true"]').count(), path).toBeGreaterThanOrEqual(
        1,
      );
      expect(errors).toEqual([]);
      await page.close();
    }
  });

  it('shows the demo on the home page and wraps long outline entries', async () => {
    const { page, errors } = await open('/');
    const table = page.locator('#VPContent table').first();
    await expect(table.textContent()).resolves.toMatch(/mean max reward[\s\S]*MIP/);
    const images = await page
      .locator('img')
      .evaluateAll((imgs) =>
        imgs.map((i) => ({ src: (i as HTMLImageElement).src, ok: (i as HTMLImageElement).naturalWidth > 0 })),
      );
    expect(
      images.filter((i) => /pusht-mip-rollout\.gif|pusht-mip-rollout-strip\.png/.test(i.src)),
    ).toHaveLength(2);
    expect(
      images.every((i) => i.ok),
      JSON.stringify(images),
    ).toBe(true);
    await page.close();
    const api = await open('/api/@mipjs/nets/classes/FlowMap.html');
    const whiteSpace = await api.page
      .locator('.VPDocAsideOutline a.outline-link')
      .first()
      .evaluate((a) => getComputedStyle(a).whiteSpace);
    expect(whiteSpace).toBe('normal');
    expect([...errors, ...api.errors]).toEqual([]);
    await api.page.close();
  });

  it('shows no console errors on the main pages', async () => {
    const paths = [
      '/',
      '/quick-start.html',
      '/guides/add-algorithm.html',
      '/guides/add-network.html',
      '/guides/datasets.html',
      '/guides/backends.html',
      '/guides/browser.html',
      '/guides/pusht.html',
      '/guides/closed-loop.html',
      '/guides/sweeps.html',
      '/guides/playground.html',
      '/performance.html',
      '/api/',
    ];
    const all: string[] = [];
    for (const path of paths) {
      const { page, errors, status } = await open(path);
      expect(status, path).toBe(200);
      const text = (await page.locator('#VPContent').textContent()) ?? '';
      if (/\$\$|\\(frac|mathbb|lVert|begin)\b/.test(text)) all.push(`${path}: raw TeX in the page text`);
      all.push(...errors);
      await page.close();
    }
    // Client-side navigation through the sidebar as well.
    const { page, errors } = await open('/quick-start.html');
    await page.locator('.VPSidebar a[href="/architecture.html"]').first().click();
    await page.waitForURL('**/architecture.html');
    await page.locator('main mjx-container').first().waitFor();
    all.push(...errors);
    await page.close();
    expect(all).toEqual([]);
  });

  it('resolves every internal link', async () => {
    const seen = new Set<string>(['/']);
    const queue = ['/'];
    const broken: string[] = [];
    while (queue.length > 0) {
      const batch = queue.splice(0, 16);
      await Promise.all(
        batch.map(async (path) => {
          const response = await fetch(base + path);
          if (response.status !== 200) {
            broken.push(`${path} -> ${response.status}`);
            return;
          }
          if (!(response.headers.get('content-type') ?? '').startsWith('text/html')) return;
          const html = await response.text();
          for (const match of html.matchAll(/(?:href|src)="([^"]+)"/g)) {
            const url = new URL(match[1].replaceAll('&amp;', '&'), base + path);
            if (url.origin !== base) continue;
            const target = url.pathname;
            if (!seen.has(target)) {
              seen.add(target);
              queue.push(target);
            }
          }
        }),
      );
    }
    expect(broken).toEqual([]);
    expect(seen.size).toBeGreaterThan(30);
  });
});

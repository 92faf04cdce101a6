import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DefaultTheme, defineConfig } from 'vitepress';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const apiDir = join(root, 'api');

/** The packages documented under /api/, in dependency order. */
export const packages = ['interpolant', 'nets', 'losses', 'samplers', 'data', 'bench'];

/** The sidebar typedoc-vitepress-theme writes next to the generated pages (absent before `pnpm api`). */
function apiSidebar(): DefaultTheme.SidebarItem[] {
  const file = join(apiDir, 'typedoc-sidebar.json');
  if (!existsSync(file)) return [];
  const items = JSON.parse(readFileSync(file, 'utf8')) as DefaultTheme.SidebarItem[];
  const order = (item: DefaultTheme.SidebarItem) =>
    packages.indexOf((item.text ?? '').replace('@mipjs/', ''));
  return items.sort((a, b) => order(a) - order(b));
}

/**
 * Resolves `api:PACKAGE#NAME` links (written in the pages as `[mipLoss](api:losses#mipLoss)`) to the
 * generated API page of NAME, or to the package's API index while the package does not export NAME yet.
 * The pages therefore never hold a dead link while the packages are being written, and point at the
 * exact page as soon as it exists.
 */
export function resolveApiLink(href: string): string {
  const [pkg, name] = href.slice('api:'.length).split('#');
  const pkgDir = join(apiDir, '@mipjs', pkg);
  if (name && existsSync(pkgDir)) {
    for (const kind of readdirSync(pkgDir)) {
      if (existsSync(join(pkgDir, kind, `${name}.md`))) return `/api/@mipjs/${pkg}/${kind}/${name}`;
    }
  }
  unresolvedApiLinks.add(name ? `${pkg}#${name}` : pkg);
  return `/api/@mipjs/${pkg}/`;
}

export const unresolvedApiLinks = new Set<string>();

export default defineConfig({
  title: 'mip.js',
  description:
    'Generative robot-action policies on TensorFlow.js: flow matching, the Minimum Iterative Policy, flow maps and self-distillation.',
  lang: 'en-US',
  srcExclude: ['README.md', 'test/**', '.tmp/**', 'node_modules/**'],
  lastUpdated: false,
  head: [['link', { rel: 'icon', type: 'image/svg+xml', href: '/favicon.svg' }]],
  vite: { build: { chunkSizeWarningLimit: 2000 } },
  markdown: {
    math: true,
    config(md) {
      md.core.ruler.push('mipjs-api-links', (state) => {
        for (const token of state.tokens) {
          for (const child of token.children ?? []) {
            if (child.type !== 'link_open') continue;
            const href = child.attrGet('href');
            if (href?.startsWith('api:')) child.attrSet('href', resolveApiLink(href));
          }
        }
      });
    },
  },
  themeConfig: {
    nav: [
      { text: 'Quick start', link: '/quick-start' },
      { text: 'Architecture', link: '/architecture' },
      { text: 'Guides', link: '/guides/add-algorithm' },
      { text: 'Performance', link: '/performance' },
      { text: 'API', link: '/api/' },
    ],
    sidebar: {
      '/api/': [{ text: 'API reference', link: '/api/', items: apiSidebar() }],
      '/': [
        {
          text: 'Introduction',
          items: [
            { text: 'Quick start', link: '/quick-start' },
            { text: 'Architecture & design', link: '/architecture' },
            { text: 'Performance', link: '/performance' },
          ],
        },
        {
          text: 'Guides',
          items: [
            { text: 'Add an algorithm', link: '/guides/add-algorithm' },
            { text: 'Add a network', link: '/guides/add-network' },
            { text: 'Bring your dataset', link: '/guides/datasets' },
            { text: 'Choose a backend', link: '/guides/backends' },
            { text: 'Run a policy in the browser', link: '/guides/browser' },
            { text: 'The PushT environment', link: '/guides/pusht' },
            { text: 'Evaluate in closed loop', link: '/guides/closed-loop' },
            { text: 'Image observations', link: '/guides/image-observations' },
            { text: 'Serve a policy to a robot', link: '/guides/serve' },
            { text: 'Sweep across machines', link: '/guides/sweeps' },
            { text: 'The toy study', link: '/guides/toy-study' },
            { text: 'The playground', link: '/guides/playground' },
          ],
        },
        {
          text: 'API reference',
          items: packages.map((p) => ({ text: `@mipjs/${p}`, link: `/api/@mipjs/${p}/` })),
        },
      ],
    },
    search: { provider: 'local' },
    outline: { level: [2, 3] },
  },
});

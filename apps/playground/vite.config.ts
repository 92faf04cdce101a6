import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const root = dirname(fileURLToPath(import.meta.url));
const wasmDist = join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
const wasmFiles = [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
];

/**
 * Serves and ships TF.js's wasm binaries at `tfjs-wasm/` (the page calls `setWasmPaths` on it), so
 * that the wasm backend loads from this site: no CDN, works offline.
 */
function tfjsWasm(): Plugin {
  return {
    name: 'mipjs-tfjs-wasm',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const name = req.url?.match(/\/tfjs-wasm\/([\w.-]+\.wasm)(\?.*)?$/)?.[1];
        if (!name || !wasmFiles.includes(name)) return next();
        res.setHeader('content-type', 'application/wasm');
        res.end(readFileSync(join(wasmDist, name)));
      });
    },
    generateBundle() {
      for (const name of wasmFiles) {
        this.emitFile({
          type: 'asset',
          fileName: `tfjs-wasm/${name}`,
          source: readFileSync(join(wasmDist, name)),
        });
      }
    },
  };
}

export default defineConfig({
  // Relative URLs: the built site works from any folder (a static host, the docs site, file copies).
  base: './',
  plugins: [tfjsWasm()],
  build: { target: 'es2022', chunkSizeWarningLimit: 2000, reportCompressedSize: true },
  preview: { host: '127.0.0.1' },
  server: { host: '127.0.0.1' },
});

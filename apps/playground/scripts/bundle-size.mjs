#!/usr/bin/env node
/** Prints the size of the built site (`dist/`) by kind, raw and gzipped: run after `vite build`. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else yield path;
  }
}

const kinds = { js: [0, 0], css: [0, 0], html: [0, 0], wasm: [0, 0], policies: [0, 0], other: [0, 0] };
const rows = [];
for (const path of files(dist)) {
  const rel = relative(dist, path);
  const data = readFileSync(path);
  const gz = gzipSync(data).length;
  const kind = rel.startsWith('policies') ? 'policies' : (rel.match(/\.(js|css|html|wasm)$/)?.[1] ?? 'other');
  kinds[kind][0] += data.length;
  kinds[kind][1] += gz;
  if (kind !== 'policies') rows.push([rel, data.length, gz]);
}
const kb = (n) => `${(n / 1000).toFixed(1)} kB`;
console.log('\nplayground bundle (dist/):');
for (const [rel, raw, gz] of rows) console.log(`  ${rel.padEnd(52)} ${kb(raw).padStart(10)}  gzip ${kb(gz)}`);
for (const [kind, [raw, gz]] of Object.entries(kinds)) {
  if (raw > 0) console.log(`  total ${kind.padEnd(46)} ${kb(raw).padStart(10)}  gzip ${kb(gz)}`);
}
const all = Object.values(kinds).reduce((s, [raw]) => s + raw, 0);
const allGz = Object.values(kinds).reduce((s, [, gz]) => s + gz, 0);
console.log(`  total ${''.padEnd(46)} ${kb(all).padStart(10)}  gzip ${kb(allGz)}`);

import Table from 'cli-table3';
import type { PerfRow } from './stats.js';
import { targetCell, targetOf } from './targets.js';

/** Backend name of the rows of the PyTorch companion script. */
export const PYTORCH_BACKEND = 'pytorch';

/** A number with about 3 significant digits, no exponent for the usual ranges. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1000) return v.toFixed(0);
  if (a >= 100) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  if (a >= 0.001) return v.toPrecision(3);
  return v.toExponential(2);
}

/** True for the companion's rows: backend `pytorch` (1 thread) or `pytorch-Nt`. */
export function isPytorchBackend(backend: string): boolean {
  return backend === PYTORCH_BACKEND || /^pytorch-\d+t$/.test(backend);
}

/**
 * The PyTorch backend a TF.js row is compared with, thread for thread: `wasm` and `cpu` (one
 * thread) with `pytorch`, `wasm-2t` with `pytorch-2t`, the native bindings (all cores) with the
 * most-threaded PyTorch run present.
 */
export function pytorchPeer(backend: string, present: readonly string[]): string | undefined {
  const m = /-(\d+)t$/.exec(backend);
  if (m) return `${PYTORCH_BACKEND}-${m[1]}t`;
  if (backend === 'wasm' || backend === 'cpu') return PYTORCH_BACKEND;
  const threads = (b: string) => Number(/-(\d+)t$/.exec(b)?.[1] ?? 1);
  return [...present].filter(isPytorchBackend).sort((a, b) => threads(b) - threads(a))[0];
}

/** The companion's rows by measurement name, for the PyTorch backend `backend` is compared with. */
export function pytorchRows(rows: readonly PerfRow[], backend = 'wasm'): Map<string, PerfRow> {
  const peer = pytorchPeer(backend, [...new Set(rows.map((r) => r.backend))]);
  return new Map(rows.filter((r) => r.backend === peer).map((r) => [r.name, r]));
}

/** A row's median over its PyTorch peer's row of the same name and unit, as a table cell ('' if none). */
function pytorchRatioCell(r: PerfRow, rows: readonly PerfRow[]): string {
  if (isPytorchBackend(r.backend)) return '';
  const t = pytorchRows(rows, r.backend).get(r.name);
  return t && t.unit === r.unit ? `${formatValue(r.median / t.median)}x` : '';
}

/**
 * The table `mipjs perf` prints: one line per row, with the ratio to the PyTorch row of the same
 * name (when the companion script ran, else a skip reason under the table) and the target.
 */
export function renderPerfTable(rows: readonly PerfRow[], torchSkipReason?: string): string {
  const showTorch = rows.some((r) => isPytorchBackend(r.backend));
  const head = ['measurement', 'backend', 'median', 'min', 'max', 'unit'];
  if (showTorch) head.push('vs PyTorch');
  head.push('target', 'note');
  const table = new Table({ head, style: { head: [], border: [], compact: true } });
  for (const r of rows) {
    const line = [r.name, r.backend, formatValue(r.median), formatValue(r.min), formatValue(r.max), r.unit];
    if (showTorch) line.push(pytorchRatioCell(r, rows));
    const target = targetOf(r);
    line.push(target ? targetCell(target) : '', r.note ?? '');
    table.push(line);
  }
  const lines = [table.toString()];
  if (!showTorch && torchSkipReason) lines.push(`vs PyTorch column skipped: ${torchSkipReason}`);
  return lines.join('\n');
}

/** The same rows as a Markdown table (for the docs' performance page), PyTorch ratio included. */
export function renderPerfMarkdown(rows: readonly PerfRow[]): string {
  const out = [
    '| measurement | backend | median | min | max | unit | vs PyTorch | target |',
    '| --- | --- | ---: | ---: | ---: | --- | ---: | --- |',
  ];
  for (const r of rows) {
    const target = targetOf(r);
    out.push(
      `| \`${r.name}\` | ${r.backend} | ${formatValue(r.median)} | ${formatValue(r.min)} | ${formatValue(r.max)} | ${r.unit} | ${pytorchRatioCell(r, rows)} | ${target ? targetCell(target, '**not met**') : ''} |`,
    );
  }
  return out.join('\n');
}

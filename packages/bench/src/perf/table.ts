import Table from 'cli-table3';
import type { PerfRow } from './stats.js';
import { targetOf } from './targets.js';

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

/** The PyTorch companion's rows by measurement name. */
export function pytorchRows(rows: readonly PerfRow[]): Map<string, PerfRow> {
  return new Map(rows.filter((r) => r.backend === PYTORCH_BACKEND).map((r) => [r.name, r]));
}

/** A row's median over the PyTorch row of the same name and unit, as a table cell ('' if none). */
function pytorchRatioCell(r: PerfRow, torch: ReadonlyMap<string, PerfRow>): string {
  const t = r.backend === PYTORCH_BACKEND ? undefined : torch.get(r.name);
  return t && t.unit === r.unit ? `${formatValue(r.median / t.median)}x` : '';
}

/**
 * The table `mipjs perf` prints: one line per row, with the ratio to the PyTorch row of the same
 * name (when the companion script ran, else a skip reason under the table) and the issue's target.
 */
export function renderPerfTable(rows: readonly PerfRow[], torchSkipReason?: string): string {
  const torch = pytorchRows(rows);
  const showTorch = torch.size > 0;
  const head = ['measurement', 'backend', 'median', 'min', 'max', 'unit'];
  if (showTorch) head.push('vs PyTorch');
  head.push('target', 'note');
  const table = new Table({ head, style: { head: [], border: [], compact: true } });
  for (const r of rows) {
    const line = [r.name, r.backend, formatValue(r.median), formatValue(r.min), formatValue(r.max), r.unit];
    if (showTorch) line.push(pytorchRatioCell(r, torch));
    const target = targetOf(r);
    line.push(target ? `${target.text} ${target.met ? 'met' : 'NOT met'}` : '', r.note ?? '');
    table.push(line);
  }
  const lines = [table.toString()];
  if (!showTorch && torchSkipReason) lines.push(`vs PyTorch column skipped: ${torchSkipReason}`);
  return lines.join('\n');
}

/** The same rows as a Markdown table (for the docs' performance page), PyTorch ratio included. */
export function renderPerfMarkdown(rows: readonly PerfRow[]): string {
  const torch = pytorchRows(rows);
  const out = [
    '| measurement | backend | median | min | max | unit | vs PyTorch | target |',
    '| --- | --- | ---: | ---: | ---: | --- | ---: | --- |',
  ];
  for (const r of rows) {
    const target = targetOf(r);
    out.push(
      `| \`${r.name}\` | ${r.backend} | ${formatValue(r.median)} | ${formatValue(r.min)} | ${formatValue(r.max)} | ${r.unit} | ${pytorchRatioCell(r, torch)} | ${
        target ? `${target.text} ${target.met ? 'met' : '**not met**'}` : ''
      } |`,
    );
  }
  return out.join('\n');
}

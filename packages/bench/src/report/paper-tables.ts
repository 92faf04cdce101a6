// report/paper-tables.ts: a sweep's results laid out as the toy study's tables (and their data for the per-task plots).
import type { ResultRow } from '../evaluate/results.js';

/** Mean and population standard deviation of one table cell (the seeds of one combination). */
export interface CellStats {
  mean: number;
  std: number;
  /** How many seeds the cell averages. */
  n: number;
}

/** One table of the paper's layout: a task and a metric, a row per algorithm and NFE, a column per combination. */
export interface PaperTable {
  task: string;
  metric: string;
  /** The option combinations (`norm=l1_conditioning=film`), in first-seen order: the columns. */
  variants: string[];
  rows: { algorithm: string; nfe: number; cells: (CellStats | null)[] }[];
}

/**
 * Mean and population standard deviation, `sqrt(mean((x - mean)^2))` (numpy's default `ddof=0`,
 * which the study's seed averages use); null for no values.
 */
export function cellStats(values: readonly number[]): CellStats | null {
  if (values.length === 0) return null;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, x) => a + (x - mean) ** 2, 0) / values.length);
  return { mean, std, n: values.length };
}

/**
 * The paper's layout of a sweep with `--set` axes (appendix J): one table per task and metric, a
 * row per algorithm and NFE (in the order the rows come, i.e. the sweep's algorithm order), a
 * column per option combination, each cell the mean ± std over seeds. Empty when no row has a
 * combination (a sweep without `--set`, or `mipjs compare`).
 *
 * ```ts
 * paperTables(rows)[0]; // { task: 'recon', metric: 'l1_error', variants: ['norm=l1_conditioning=concat', ...], rows: [...] }
 * ```
 */
export function paperTables(rows: readonly ResultRow[]): PaperTable[] {
  if (!rows.some((r) => r.variant)) return [];
  const variants = [...new Set(rows.map((r) => r.variant ?? ''))];
  const tables: PaperTable[] = [];
  for (const task of new Set(rows.map((r) => r.task))) {
    const ofTask = rows.filter((r) => r.task === task);
    const keys = [...new Set(ofTask.map((r) => `${r.algorithm}\u0000${r.nfe}`))];
    for (const metric of new Set(ofTask.flatMap((r) => Object.keys(r.metrics)))) {
      tables.push({
        task,
        metric,
        variants,
        rows: keys.map((key) => {
          const [algorithm, nfe] = key.split('\u0000') as [string, string];
          const cells = variants.map((v) =>
            cellStats(
              ofTask
                .filter((r) => r.algorithm === algorithm && String(r.nfe) === nfe && (r.variant ?? '') === v)
                .map((r) => r.metrics[metric])
                .filter((x): x is number => typeof x === 'number' && Number.isFinite(x)),
            ),
          );
          return { algorithm, nfe: Number(nfe), cells };
        }),
      });
    }
  }
  return tables;
}

/** Four decimals, or exponent form for very small / large values (the compare table's format). */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e4 || a < 1e-3) ? v.toExponential(2) : v.toFixed(4);
}

/** `0.2000 ± 0.1000` (one seed: the value alone; no value: empty). */
export function formatCell(cell: CellStats | null): string {
  if (!cell) return '';
  return cell.n < 2 ? formatValue(cell.mean) : `${formatValue(cell.mean)} ± ${formatValue(cell.std)}`;
}

/** The title line of a table: `recon, l1_error (mean ± std over seeds)`. */
export function paperTableTitle(t: PaperTable): string {
  return `${t.task}, ${t.metric} (mean ± std over seeds)`;
}

/** A table as markdown rows (header, rule, one line per algorithm and NFE). */
export function paperTableMarkdown(t: PaperTable): string {
  return [
    `| algorithm | NFE | ${t.variants.join(' | ')} |`,
    `|---|---|${t.variants.map(() => '---').join('|')}|`,
    ...t.rows.map((r) => `| ${r.algorithm} | ${r.nfe} | ${r.cells.map(formatCell).join(' | ')} |`),
  ].join('\n');
}

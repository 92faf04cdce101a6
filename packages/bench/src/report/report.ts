// report/ owns the results report: `report.md`, markdown tables and the plots of a results folder.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { checkerboardCell, inCheckerboardSupport, sampleCheckerboard } from '@mipjs/data';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { environmentForTask, PUSHT_TEST_SEED } from '../evaluate/closed-loop.js';
import type { ResultRow } from '../evaluate/results.js';
import { rolloutRun } from '../evaluate/rollout.js';
import { FileError, readJsonFile, readJsonLines, writeFileAtomic } from '../io/io.js';
import { type PaperTable, paperTableMarkdown, paperTables, paperTableTitle } from './paper-tables.js';

/** Renders a vega-lite spec to SVG (vega `View.toSVG`, headless) and PNG (resvg). */
export async function renderChart(spec: vl.TopLevelSpec): Promise<{ svg: string; png: Uint8Array }> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG(2);
  view.finalize();
  const png = new Resvg(svg, { font: { loadSystemFonts: true }, background: 'white' }).render().asPng();
  return { svg, png: new Uint8Array(png) };
}

/** One run folder found under a results folder. */
export interface RunFolder {
  dir: string;
  config: Record<string, unknown>;
  metrics: Record<string, unknown>[];
  samples: Record<string, number[][]> | null;
}

/** Finds run folders (a `config.json` beside a `metrics.jsonl`) under `root`, depth-first. */
export function findRunFolders(root: string, depth = 4): RunFolder[] {
  const out: RunFolder[] = [];
  const visit = (dir: string, d: number) => {
    if (existsSync(join(dir, 'config.json')) && existsSync(join(dir, 'metrics.jsonl'))) {
      const metrics = readJsonLines(join(dir, 'metrics.jsonl'), 'metrics lines', {
        allowTruncatedTail: true,
      });
      const samplesPath = join(dir, 'samples.json');
      out.push({
        dir,
        config: readJsonFile(join(dir, 'config.json'), 'a run config') as Record<string, unknown>,
        metrics,
        samples: existsSync(samplesPath)
          ? (readJsonFile(samplesPath, 'samples by NFE') as Record<string, number[][]>)
          : null,
      });
    }
    if (d <= 0) return;
    for (const name of readdirSync(dir).sort()) {
      if (
        name.startsWith('.') ||
        name === 'checkpoint' ||
        name === 'checkpoint-best' ||
        name === 'teacher' ||
        name === 'plots' ||
        name === 'rollouts'
      )
        continue;
      const p = join(dir, name);
      if (statSync(p).isDirectory()) visit(p, d - 1);
    }
  };
  visit(root, depth);
  return out;
}

function fmt(v: unknown): string {
  if (typeof v !== 'number') return String(v ?? '');
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1000 || a < 1e-3 ? v.toExponential(3) : v.toPrecision(4);
}

/**
 * `final loss 0.0977 (mean of steps 51-60)`: the last metrics.jsonl line's loss, which is the mean
 * over the steps since the line before it (the last number the training progress printed, too).
 */
function finalLoss(lossLines: readonly Record<string, unknown>[]): string {
  const last = lossLines.at(-1);
  if (!last) return 'no loss recorded';
  const from = Number(lossLines.at(-2)?.step ?? 0) + 1;
  const to = Number(last.step);
  return `final loss ${fmt(last.loss)} (${from === to ? `step ${to}` : `mean of steps ${from}-${to}`})`;
}

/** The rows as a markdown table: one line per (algorithm, network, task, seed, nfe). */
export function markdownTable(rows: readonly ResultRow[]): string {
  const metricKeys = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))];
  const variants = rows.some((r) => r.variant);
  const head = [
    'algorithm',
    ...(variants ? ['options'] : []),
    'network',
    'task',
    'seed',
    'NFE',
    ...metricKeys,
    'train s',
    'steps',
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    const cells = [
      r.algorithm,
      ...(variants ? [r.variant ?? ''] : []),
      r.network,
      r.task,
      String(r.seed),
      String(r.nfe),
      ...metricKeys.map((k) => fmt(r.metrics[k])),
      fmt(r.trainSeconds),
      String(r.steps),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** The `{ step, closedLoop }` lines of a run's metrics.jsonl (evaluation during training), by step. */
export function closedLoopCurve(run: RunFolder): { step: number; metrics: Record<string, number> }[] {
  return run.metrics
    .filter(
      (m) =>
        typeof m.step === 'number' &&
        m.closedLoop !== null &&
        typeof m.closedLoop === 'object' &&
        typeof (m.closedLoop as Record<string, unknown>).meanMaxReward === 'number',
    )
    .map((m) => ({ step: m.step as number, metrics: m.closedLoop as Record<string, number> }))
    .sort((a, b) => a.step - b.step);
}

/** `checkpoint-best/best.json` of a run folder, or null (missing or unreadable). */
function readBestRecord(dir: string): { step: number; score: number } | null {
  const path = join(dir, 'checkpoint-best', 'best.json');
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as { step: number; score: number };
  } catch {
    return null;
  }
}

function runLabel(run: RunFolder): string {
  const c = run.config as { algorithm?: string; task?: string; seed?: number };
  return `${c.algorithm ?? '?'}/${c.task ?? '?'}/s${c.seed ?? 0}`;
}

/** Options of {@link writeReport}. */
export interface ReportOptions {
  title?: string;
  /** Lines printed under the title (sizes, seeds, NFE, timings). */
  preamble?: string[];
  /**
   * Closed-loop rollout GIFs of runs whose task has an environment (pusht): the reset seeds of
   * each algorithm's first run, at its first NFE; `false` for none. Default `[100000, 100001]`.
   */
  rollouts?: readonly number[] | false;
}

/** Frame side of the report's rollout GIFs, px, and every how many states a frame (real time kept). */
const REPORT_ROLLOUT_SIZE = 192;
const REPORT_ROLLOUT_STRIDE = 2;

/**
 * `rollouts/<run>-seed<S>.gif` for the first run folder of each algorithm whose task has an
 * environment; the markdown lines that show them with their scores, and a note for a run that
 * cannot be rolled out (no `policy.json`).
 */
async function writeRollouts(
  root: string,
  runs: readonly RunFolder[],
  seeds: readonly number[],
  written: string[],
): Promise<string[]> {
  const md: string[] = [];
  const seen = new Set<string>();
  for (const run of runs) {
    const c = run.config as { algorithm?: string; task?: string; evalNfe?: number[] };
    const env = typeof c.task === 'string' ? environmentForTask(c.task) : null;
    if (env === null || seen.has(c.algorithm ?? '?')) continue;
    const where = relative(root, run.dir) || '.';
    if (!existsSync(join(run.dir, 'policy.json'))) {
      md.push(`- \`${where}\` (${runLabel(run)}): no policy.json, no rollout`);
      continue;
    }
    seen.add(c.algorithm ?? '?');
    const nfe = Array.isArray(c.evalNfe) && c.evalNfe.length > 0 ? c.evalNfe[0] : undefined;
    const head: string[] = [];
    const gifs: string[] = [];
    const scores: string[] = [];
    let usedNfe = 0;
    for (const seed of seeds) {
      const name = `${runLabel(run).replace(/[^a-zA-Z0-9_-]+/g, '-')}-seed${seed}.gif`;
      const file = join(root, 'rollouts', name);
      const { rollout: r } = await rolloutRun(run.dir, {
        env,
        seed,
        nfe,
        out: file,
        size: REPORT_ROLLOUT_SIZE,
        stride: REPORT_ROLLOUT_STRIDE,
      });
      written.push(file);
      usedNfe = r.nfe;
      head.push(`seed ${seed}`);
      gifs.push(`![${c.algorithm} seed ${seed}](rollouts/${name})`);
      scores.push(
        `max reward ${r.maxReward.toFixed(3)}, ${r.success ? 'success' : 'no success'}, ${r.steps} steps`,
      );
    }
    const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
    md.push(
      `### ${c.algorithm} (\`${where}\`, NFE ${usedNfe})`,
      '',
      row(head),
      `|${head.map(() => '---').join('|')}|`,
      row(gifs),
      row(scores),
      '',
    );
  }
  return md;
}

/** Above this many run folders the loss plot colours by algorithm (a legend line per run would not fit). */
const MAX_LOSS_LEGEND_RUNS = 12;

/**
 * The plot of one task's paper tables: a panel per metric (independent y), a bar per algorithm
 * and NFE (`mip (NFE 2)`) and option combination (side by side, coloured), the mean over seeds,
 * with a rule from mean - std to mean + std.
 */
export function taskPlotSpec(tables: readonly PaperTable[]): vl.TopLevelSpec {
  const task = tables[0]?.task ?? '';
  const variants = tables[0]?.variants ?? [];
  const modes: string[] = [];
  const values: Record<string, unknown>[] = [];
  for (const t of tables) {
    for (const r of t.rows) {
      const mode = `${r.algorithm} (NFE ${r.nfe})`;
      if (!modes.includes(mode)) modes.push(mode);
      r.cells.forEach((c, i) => {
        if (c)
          values.push({
            metric: t.metric,
            mode,
            options: t.variants[i],
            mean: c.mean,
            lo: c.mean - c.std,
            hi: c.mean + c.std,
            seeds: c.n,
          });
      });
    }
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `${task}: mean ± std over seeds, by mode and options`,
    data: { values },
    facet: {
      column: { field: 'metric', type: 'nominal', sort: tables.map((t) => t.metric), title: null },
    },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 40 + 22 * modes.length * Math.max(1, variants.length) ** 0.5,
      height: 220,
      encoding: {
        x: {
          field: 'mode',
          type: 'nominal',
          sort: modes,
          title: null,
          axis: { labelAngle: -45, labelLimit: 320 },
        },
        xOffset: { field: 'options', type: 'nominal', sort: variants },
        color: { field: 'options', type: 'nominal', sort: variants, legend: { labelLimit: 400 } },
      },
      layer: [
        { mark: { type: 'bar' }, encoding: { y: { field: 'mean', type: 'quantitative', title: null } } },
        {
          mark: { type: 'rule' },
          encoding: {
            y: { field: 'lo', type: 'quantitative' },
            y2: { field: 'hi' },
            color: { value: 'black' },
          },
        },
      ],
    },
  } as vl.TopLevelSpec;
}

/** At most this many samples per run and NFE in the samples plot (and as many data points). */
const REPORT_MAX_SAMPLES = 1500;
/** Seed of the report's checkerboard data panel (`sampleCheckerboard`). */
const REPORT_DATA_SEED = 0;

/** A support cell of the checkerboard as a rectangle `[x, x2] x [y, y2]`. */
export interface SupportRect {
  x: number;
  x2: number;
  y: number;
  y2: number;
}

/**
 * The support cells of the checkerboard of `@mipjs/data` at its default cells per side (`bench`'s
 * task uses the default): the cells `(i, j)` whose centre `checkerboardCell` maps back to `(i, j)`
 * and `inCheckerboardSupport` accepts; 8 of 16 with the default 4 per side.
 */
export function checkerboardSupportRects(): SupportRect[] {
  // checkerboardCell(1) is the last cell at the default cells per side.
  const cells = checkerboardCell(1) + 1;
  const edge = (k: number) => -1 + (2 * k) / cells;
  const rects: SupportRect[] = [];
  for (let i = 0; i < cells; i++) {
    for (let j = 0; j < cells; j++) {
      const cx = (edge(i) + edge(i + 1)) / 2;
      const cy = (edge(j) + edge(j + 1)) / 2;
      if (checkerboardCell(cx) !== i || checkerboardCell(cy) !== j) {
        throw new Error(`checkerboardSupportRects: cell (${i}, ${j}) does not hold its centre`);
      }
      if (inCheckerboardSupport(cx, cy))
        rects.push({ x: edge(i), x2: edge(i + 1), y: edge(j), y2: edge(j + 1) });
    }
  }
  return rects;
}

/**
 * The rows of the samples plot: each run's 2-D samples by NFE (column `NFE n`) and, for
 * checkerboard runs, a first column `data` with as many `sampleCheckerboard` points (seeded) as
 * the run's largest plotted NFE column, and the support cells (`kind: 'cell'`) in every column.
 */
function samplesPlotValues(runs: readonly RunFolder[]): {
  values: Record<string, unknown>[];
  panels: string[];
  checkerboard: boolean;
} {
  const values: Record<string, unknown>[] = [];
  const nfes = new Set<number>();
  let checkerboard = false;
  const rects = checkerboardSupportRects();
  for (const run of runs) {
    const entries = Object.entries(run.samples ?? {});
    if (entries.length === 0) continue;
    const label = runLabel(run);
    const isCheckerboard = (run.config as { task?: string }).task === 'checkerboard';
    const panels: [string, number[][]][] = entries.map(([nfe, pts]) => {
      nfes.add(Number(nfe));
      return [`NFE ${Number(nfe)}`, pts.slice(0, REPORT_MAX_SAMPLES)];
    });
    if (isCheckerboard) {
      checkerboard = true;
      const n = Math.max(...panels.map(([, pts]) => pts.length));
      const { data } = sampleCheckerboard(n, { seed: REPORT_DATA_SEED });
      const pts: number[][] = [];
      for (let k = 0; k < n; k++) pts.push([data[2 * k]!, data[2 * k + 1]!]);
      panels.unshift(['data', pts]);
    }
    for (const [panel, pts] of panels) {
      if (isCheckerboard) for (const r of rects) values.push({ kind: 'cell', ...r, panel, run: label });
      for (const [x, y] of pts) values.push({ kind: 'point', x, y, panel, run: label });
    }
  }
  const panels = [...nfes].sort((a, b) => a - b).map((nfe) => `NFE ${nfe}`);
  const columns = checkerboard ? ['data', ...panels] : panels;
  // Vega lays a faceted row's panels out left-aligned by count when the row lacks some columns
  // (mip's one NFE landed under the last headers): one undrawn datum per missing cell fills the grid.
  const present = new Set(values.map((v) => `${v.run}\u0000${v.panel}`));
  for (const run of new Set(values.map((v) => v.run as string))) {
    for (const panel of columns) {
      if (!present.has(`${run}\u0000${panel}`)) values.push({ kind: 'empty', panel, run });
    }
  }
  return { values, panels: columns, checkerboard };
}

/**
 * Writes `report.md` and `plots/*.svg|png` for a results folder: the results table (from
 * `results.json` rows), loss curves of every run folder below it, metric-vs-NFE plots and the 2-D
 * samples of 2-D tasks (checkerboard: after a data panel, over the support cells). Returns the
 * written paths.
 */
export async function writeReport(root: string, options: ReportOptions = {}): Promise<string[]> {
  const rowsPath = join(root, 'results.json');
  const rows = existsSync(rowsPath) ? (readJsonFile(rowsPath, 'result rows') as ResultRow[]) : [];
  if (!Array.isArray(rows)) throw new FileError(`${rowsPath}: expected an array of result rows`);
  const runs = findRunFolders(root);
  if (rows.length === 0 && runs.length === 0) {
    throw new Error(`${root} holds no results.json and no run folders (config.json + metrics.jsonl)`);
  }
  const written: string[] = [];
  const plots: { title: string; file: string }[] = [];
  const save = async (name: string, title: string, spec: vl.TopLevelSpec) => {
    const { svg, png } = await renderChart(spec);
    writeFileAtomic(join(root, 'plots', `${name}.svg`), svg);
    writeFileAtomic(join(root, 'plots', `${name}.png`), png);
    written.push(join(root, 'plots', `${name}.svg`), join(root, 'plots', `${name}.png`));
    plots.push({ title, file: `plots/${name}.png` });
  };

  const lossValues = runs.flatMap((run) =>
    run.metrics
      .filter((m) => typeof m.step === 'number' && typeof m.loss === 'number' && Number.isFinite(m.loss))
      .map((m) => ({
        step: m.step,
        loss: m.loss,
        run: runLabel(run),
        algorithm: String((run.config as { algorithm?: string }).algorithm ?? '?'),
        task: String((run.config as { task?: string }).task ?? '?'),
      })),
  );
  if (lossValues.length > 0) {
    // A big sweep (the toy study's 180 runs) would need a legend line per run: its curves are
    // coloured by algorithm instead, one line per run, a panel per task.
    const many = runs.length > MAX_LOSS_LEGEND_RUNS;
    const lossTasks = new Set(lossValues.map((v) => v.task));
    await save('loss', 'Training loss', {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: many ? 'Training loss (a line per run, coloured by algorithm)' : 'Training loss',
      width: many ? 320 : 480,
      height: 280,
      data: { values: lossValues },
      mark: { type: 'line', clip: true, ...(many ? { opacity: 0.6, strokeWidth: 1 } : {}) },
      ...(many && lossTasks.size > 1 ? { resolve: { scale: { y: 'independent' } } } : {}),
      encoding: {
        x: { field: 'step', type: 'quantitative' },
        y: { field: 'loss', type: 'quantitative', scale: { type: 'log' } },
        color: { field: many ? 'algorithm' : 'run', type: 'nominal' },
        ...(many ? { detail: { field: 'run', type: 'nominal' } } : {}),
        ...(many && lossTasks.size > 1 ? { column: { field: 'task', type: 'nominal' } } : {}),
      },
    } as vl.TopLevelSpec);
  }

  const curves = runs
    .map((run) => ({ run, points: closedLoopCurve(run) }))
    .filter((c) => c.points.length > 0);
  if (curves.length > 0) {
    await save('closed-loop', 'Closed-loop score during training', {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: 'Closed-loop mean max reward during training (EMA weights)',
      width: 480,
      height: 280,
      data: {
        values: curves.flatMap(({ run, points }) =>
          points.map((p) => ({ step: p.step, meanMaxReward: p.metrics.meanMaxReward, run: runLabel(run) })),
        ),
      },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'step', type: 'quantitative' },
        y: {
          field: 'meanMaxReward',
          type: 'quantitative',
          scale: { domain: [0, 1] },
          title: 'mean max reward',
        },
        color: { field: 'run', type: 'nominal' },
      },
    });
  }

  const metricKeys = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))];
  for (const key of metricKeys) {
    const values = rows
      .filter((r) => typeof r.metrics[key] === 'number' && Number.isFinite(r.metrics[key]))
      .map((r) => ({
        nfe: r.nfe,
        value: r.metrics[key],
        // A sweep's option combination is its own line (never averaged with another's).
        algorithm: r.variant ? `${r.algorithm} ${r.variant}` : r.algorithm,
        task: r.task,
        seed: r.seed,
      }));
    if (values.length === 0) continue;
    const tasks = new Set(values.map((v) => v.task));
    await save(`nfe-${key.replace(/[^a-zA-Z0-9_-]/g, '_')}`, `${key} vs NFE`, {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: `${key} vs NFE${tasks.size === 1 ? ` (${[...tasks][0]})` : ''}`,
      width: 420,
      height: 260,
      data: { values },
      ...(tasks.size > 1 ? { resolve: { scale: { y: 'independent' } } } : {}),
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'nfe', type: 'quantitative', scale: { type: 'log', base: 2 }, title: 'NFE' },
        y: { field: 'value', type: 'quantitative', aggregate: 'mean', title: key },
        color: { field: 'algorithm', type: 'nominal' },
        // One panel per task (the tasks' errors have different scales).
        ...(tasks.size > 1 ? { column: { field: 'task', type: 'nominal' } } : {}),
      },
    });
  }

  // A sweep with --set axes: its tables in the paper's layout, and one plot per task of them.
  const tables = paperTables(rows);
  for (const task of new Set(tables.map((t) => t.task))) {
    await save(
      `task-${task.replace(/[^a-zA-Z0-9_-]/g, '_')}`,
      `${task}: every metric by mode and options`,
      taskPlotSpec(tables.filter((t) => t.task === task)),
    );
  }

  const samplePlot = samplesPlotValues(runs);
  if (samplePlot.values.length > 0) {
    await save('samples', '2-D samples', {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: samplePlot.checkerboard
        ? '2-D samples (EMA weights) by run and NFE; data first, support cells shaded'
        : '2-D samples (EMA weights) by run and NFE',
      data: { values: samplePlot.values },
      facet: {
        row: { field: 'run', type: 'nominal' },
        column: { field: 'panel', type: 'nominal', sort: samplePlot.panels, title: null },
      },
      spec: {
        width: 130,
        height: 130,
        encoding: {
          x: { field: 'x', type: 'quantitative', scale: { domain: [-1.5, 1.5] }, title: 'x' },
          y: { field: 'y', type: 'quantitative', scale: { domain: [-1.5, 1.5] }, title: 'y' },
        },
        layer: [
          {
            transform: [{ filter: "datum.kind === 'cell'" }],
            mark: { type: 'rect', color: '#dde6f0', clip: true },
            encoding: { x2: { field: 'x2' }, y2: { field: 'y2' } },
          },
          {
            transform: [{ filter: "datum.kind === 'point'" }],
            mark: { type: 'circle', size: 3, opacity: 0.5, clip: true },
          },
        ],
      },
    } as vl.TopLevelSpec);
  }

  const rolloutLines =
    options.rollouts === false
      ? []
      : await writeRollouts(root, runs, options.rollouts ?? [PUSHT_TEST_SEED, PUSHT_TEST_SEED + 1], written);

  const md: string[] = [`# ${options.title ?? 'mip.js results'}`, ''];
  if (options.preamble?.length) md.push(...options.preamble, '');
  if (tables.length > 0) {
    md.push(
      "## Tables (the paper's layout)",
      '',
      'One table per task and metric: a row per algorithm and NFE, a column per option combination ' +
        '(`--set`), each cell the mean ± standard deviation (population) over seeds.',
      '',
    );
    for (const t of tables) md.push(`### ${paperTableTitle(t)}`, '', paperTableMarkdown(t), '');
  }
  if (rows.length > 0) md.push('## Results', '', markdownTable(rows), '');
  if (runs.length > 0) {
    md.push('## Runs', '');
    for (const run of runs) {
      const lossLines = run.metrics.filter((m) => typeof m.loss === 'number');
      md.push(`- \`${relative(root, run.dir) || '.'}\`: ${runLabel(run)}, ${finalLoss(lossLines)}`);
    }
    md.push('');
  }
  if (curves.length > 0) {
    md.push(
      '## Closed loop during training',
      '',
      'The EMA weights evaluated in their environment every `evalEvery` steps; the best of them are ' +
        'kept in `checkpoint-best/` (load with `loadPolicyFromRun(RUN/checkpoint-best)`).',
      '',
    );
    for (const { run, points } of curves) {
      const best = readBestRecord(run.dir);
      md.push(
        `### ${runLabel(run)} (\`${relative(root, run.dir) || '.'}\`)`,
        '',
        '| step | mean max reward | success | final coverage | episodes |',
        '|---|---|---|---|---|',
        ...points.map(
          (p) =>
            `| ${p.step}${best?.step === p.step ? ' (best)' : ''} | ${fmt(p.metrics.meanMaxReward)} | ` +
            `${fmt(p.metrics.successRate)} | ${fmt(p.metrics.meanFinalCoverage)} | ${fmt(p.metrics.episodes)} |`,
        ),
        '',
      );
    }
  }
  if (rolloutLines.length > 0) {
    md.push(
      '## Rollouts',
      '',
      'One closed-loop episode per seed (the first test seeds, legacy reset order): the goal (green), ' +
        'the T, the agent, its path so far (light blue) and the predicted action chunk (red).',
      '',
      ...rolloutLines,
      '',
    );
  }
  if (plots.length > 0) {
    md.push('## Plots', '');
    for (const p of plots) md.push(`### ${p.title}`, '', `![${p.title}](${p.file})`, '');
  }
  writeFileAtomic(join(root, 'report.md'), md.join('\n'));
  written.push(join(root, 'report.md'));
  return written;
}

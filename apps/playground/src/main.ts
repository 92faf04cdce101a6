/**
 * The playground page: a PushT scene on a 512 x 512 canvas, a trained policy acting at 10 Hz through
 * a receding horizon, controls (policy, NFE, seed, reset, pause / step), mouse perturbations, and
 * the numbers (coverage, reward, latency per chunk, TF.js backend).
 *
 * URL parameters: `policy=<name>`, `seed=<n>`, `backend=webgl|wasm|cpu`, `autoplay=0`.
 * `window.__mipjs` is the page's test hook (see {@link PlaygroundHook}).
 */
import './style.css';
import { pushTObservationForTask, WORLD_SIZE } from '@mipjs/envs';
import { loadPolicyFromUrl, type Policy } from '@mipjs/policy';
import { BACKENDS, type BackendName, currentBackend, pickBackend, useBackend } from './backend.js';
import { blockPoint, drawPlot, drawScene, hitTest } from './draw.js';
import { Episode, type EpisodeResult, median, runEpisode } from './episode.js';

/** An entry of `policies/index.json` (written by scripts/train-policies.mjs). */
interface PolicyEntry {
  name: string;
  label: string;
  algorithm: string;
  nfe: number;
  fixedNfe: number | null;
  score?: { episodes: number; meanMaxCoverage: number; meanMaxReward: number; successRate: number };
}

/** What the browser test drives. */
export interface PlaygroundHook {
  /** Resolves when the first policy is loaded (or its error is on the page). */
  ready: Promise<void>;
  status(): {
    backend: string;
    policy: string | null;
    steps: number;
    coverage: number | null;
    state: number[];
    playing: boolean;
    error: string | null;
    latencyMs: number[];
  };
  /** A seeded episode on `backend` (the live scene pauses and restarts on that backend afterwards). */
  runEpisode(options: {
    policy?: string;
    seed: number;
    steps: number;
    backend: BackendName;
    nfe?: number;
  }): Promise<EpisodeResult & { backend: string; nfe: number }>;
  pause(): void;
  play(): void;
  step(): void;
  /** A world point inside the T, and the canvas's world -> client pixel scale. */
  blockPoint(): [number, number];
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const scene = $<HTMLCanvasElement>('scene');
const plot = $<HTMLCanvasElement>('plot');
const sceneCtx = scene.getContext('2d')!;
const plotCtx = plot.getContext('2d')!;
const policySelect = $<HTMLSelectElement>('policy');
const nfeInput = $<HTMLInputElement>('nfe');
const seedInput = $<HTMLInputElement>('seed');
const playButton = $<HTMLButtonElement>('play');
const errorBox = $<HTMLDivElement>('error');

const params = new URLSearchParams(location.search);
const base = new URL('policies/', document.baseURI).href;

let entries: PolicyEntry[] = [];
let entry: PolicyEntry | null = null;
let policy: Policy | null = null;
let episode: Episode | null = null;
let playing = params.get('autoplay') !== '0';
let busy = false;
let drag: { what: 'agent' | 'block'; dx: number; dy: number } | null = null;
let path: number[] = [];
let lastError: string | null = null;

function showError(message: string): void {
  lastError = message;
  errorBox.hidden = false;
  errorBox.textContent = message;
  $('status').textContent = 'error';
  playing = false;
  playButton.textContent = 'Play';
}

function clearError(): void {
  lastError = null;
  errorBox.hidden = true;
  errorBox.textContent = '';
}

/** One line for the page: what failed, and what to do about it. */
function explain(error: unknown, what: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  const hint =
    code === 'missing-file'
      ? 'A file of the policy is missing: run `pnpm --filter playground train-policies` and rebuild.'
      : code === 'weights' || code === 'normalizers' || code === 'manifest'
        ? 'A file of the policy is corrupt or does not match its policy.json: retrain or re-copy the assets.'
        : '';
  return `Cannot ${what}.\n${message}${hint ? `\n${hint}` : ''}`;
}

async function loadIndex(): Promise<PolicyEntry[]> {
  const res = await fetch(`${base}index.json`);
  if (!res.ok) throw new Error(`${base}index.json: HTTP ${res.status} (no policies installed)`);
  let json: { policies?: PolicyEntry[] };
  try {
    json = (await res.json()) as { policies?: PolicyEntry[] };
  } catch (error) {
    throw new Error(`${base}index.json is not JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(json.policies) || json.policies.length === 0)
    throw new Error(`${base}index.json lists no policies`);
  return json.policies;
}

const loadNamed = (name: string) =>
  loadPolicyFromUrl(`${base}${name}/`, { expect: { actDim: 2 } }).then((policy) => {
    // A policy of a task PushT does not serve is refused here by name, before an episode starts.
    pushTObservationForTask(policy.manifest.task);
    return policy;
  });

/** Loads the selected policy (on the current backend) and starts a new episode. */
async function selectPolicy(name: string): Promise<void> {
  const next = entries.find((e) => e.name === name);
  if (!next) throw new Error(`no policy '${name}' (have ${entries.map((e) => e.name).join(', ')})`);
  policy?.dispose();
  policy = null;
  episode = null;
  entry = next;
  $('status').textContent = `loading ${name}`;
  policy = await loadNamed(name);
  nfeInput.value = String(next.fixedNfe ?? next.nfe);
  nfeInput.disabled = next.fixedNfe !== null;
  $('nfe-note').textContent =
    next.fixedNfe !== null ? `${next.algorithm} makes a fixed ${next.fixedNfe} network calls per chunk` : '';
  const s = next.score;
  $('score').textContent = s
    ? `Closed loop (${s.episodes} seeds): mean max coverage ${s.meanMaxCoverage.toFixed(3)}, success ${(100 * s.successRate).toFixed(0)}%`
    : '';
  reset();
}

function currentNfe(): number {
  const n = Number(nfeInput.value);
  return Number.isInteger(n) && n >= 1 ? n : (entry?.nfe ?? 1);
}

function reset(): void {
  if (!policy) return;
  const seed = Number(seedInput.value);
  if (!Number.isInteger(seed) || seed < 0) {
    showError(`Seed must be a non-negative integer, got '${seedInput.value}'.`);
    return;
  }
  clearError();
  episode = new Episode(policy, seed, currentNfe());
  path = [episode.observation[0]!, episode.observation[1]!];
  $('status').textContent = playing ? 'running' : 'paused';
  render();
}

function step(): void {
  if (!episode || episode.done || busy) return;
  try {
    episode.step();
  } catch (error) {
    showError(explain(error, 'step the policy'));
    return;
  }
  path.push(episode.observation[0]!, episode.observation[1]!);
  if (path.length > 200) path.splice(0, path.length - 200);
  if (episode.done) {
    $('status').textContent = episode.success ? 'success (coverage > 0.95)' : 'time limit (300 steps)';
    playing = false;
    playButton.textContent = 'Play';
  }
  render();
}

function render(): void {
  $('backend').textContent = currentBackend();
  if (!episode) return;
  const state = episode.env.getState();
  const last = episode.control.lastChunk;
  const To = episode.timed.obsSteps;
  drawScene(sceneCtx, state, {
    chunk: last ? last.data : null,
    from: Math.max(0, To - 1),
    count: episode.control.actionSteps,
    path,
  });
  drawPlot(plotCtx, episode.coverages, episode.rewards);
  const cov = episode.coverages.at(-1);
  const rew = episode.rewards.at(-1);
  $('stepCount').textContent = String(episode.steps);
  $('coverage').textContent = cov === undefined ? '-' : cov.toFixed(3);
  $('reward').textContent = rew === undefined ? '-' : `${rew.toFixed(3)} (${episode.maxReward.toFixed(3)})`;
  const lat = episode.timed.latencies;
  $('latency').textContent =
    lat.length === 0
      ? '-'
      : `${lat.at(-1)!.toFixed(1)} ms (median ${median(lat.length > 1 ? lat.slice(1) : lat).toFixed(1)} ms)`;
  $('chunks').textContent = String(lat.length);
}

/** Client pixel -> world point (the canvas may be scaled by CSS). */
function worldPoint(event: PointerEvent): [number, number] {
  const rect = scene.getBoundingClientRect();
  return [
    ((event.clientX - rect.left) * WORLD_SIZE) / rect.width,
    ((event.clientY - rect.top) * WORLD_SIZE) / rect.height,
  ];
}

scene.addEventListener('pointerdown', (event) => {
  if (!episode) return;
  const [x, y] = worldPoint(event);
  const s = episode.env.getState();
  const what = hitTest(s, x, y);
  if (!what) return;
  const [ox, oy] = what === 'agent' ? [s[0]!, s[1]!] : [s[2]!, s[3]!];
  drag = { what, dx: ox - x, dy: oy - y };
  scene.setPointerCapture(event.pointerId);
  scene.style.cursor = 'grabbing';
});

scene.addEventListener('pointermove', (event) => {
  if (!drag || !episode) return;
  const [x, y] = worldPoint(event);
  const clamp = (v: number) => Math.min(WORLD_SIZE - 10, Math.max(10, v));
  const s = Array.from(episode.env.getState());
  if (drag.what === 'agent') [s[0], s[1]] = [clamp(x + drag.dx), clamp(y + drag.dy)];
  else [s[2], s[3]] = [clamp(x + drag.dx), clamp(y + drag.dy)];
  try {
    episode.perturb(s);
  } catch (error) {
    showError(explain(error, 'move the scene'));
  }
  path = [s[0]!, s[1]!];
  render();
});

const endDrag = () => {
  drag = null;
  scene.style.cursor = 'grab';
};
scene.addEventListener('pointerup', endDrag);
scene.addEventListener('pointercancel', endDrag);

policySelect.addEventListener('change', () => {
  selectPolicy(policySelect.value).catch((error) =>
    showError(explain(error, `load '${policySelect.value}'`)),
  );
});
nfeInput.addEventListener('change', () => episode?.setNfe(currentNfe()));
$('reset').addEventListener('click', reset);
$('step').addEventListener('click', () => {
  playing = false;
  playButton.textContent = 'Play';
  step();
});
playButton.addEventListener('click', () => {
  playing = !playing;
  playButton.textContent = playing ? 'Pause' : 'Play';
  if (episode?.done && playing) reset();
  if (episode) $('status').textContent = playing ? 'running' : 'paused';
});
seedInput.addEventListener('change', reset);

// 10 Hz control, as the environment's; a step waits while the mouse holds the scene.
setInterval(() => {
  if (playing && !drag) step();
}, 100);

async function start(): Promise<void> {
  const asked = params.get('backend') as BackendName | null;
  if (asked && !BACKENDS.includes(asked)) throw new Error(`backend must be one of ${BACKENDS.join(', ')}`);
  const backend = await pickBackend(asked ? [asked] : ['webgl', 'wasm', 'cpu']);
  $('backend').textContent = backend;
  if (params.get('seed')) seedInput.value = params.get('seed')!;
  playButton.textContent = playing ? 'Pause' : 'Play';
  entries = await loadIndex();
  for (const e of entries) policySelect.append(new Option(e.label, e.name));
  const name = params.get('policy') ?? entries[0]!.name;
  policySelect.value = name;
  await selectPolicy(name);
}

const ready = start().catch((error) => showError(explain(error, 'start the playground')));

const hook: PlaygroundHook = {
  ready,
  status: () => ({
    backend: currentBackend(),
    policy: entry?.name ?? null,
    steps: episode?.steps ?? 0,
    coverage: episode?.coverages.at(-1) ?? null,
    state: episode ? Array.from(episode.env.getState()) : [],
    playing,
    error: lastError,
    latencyMs: episode ? [...episode.timed.latencies] : [],
  }),
  async runEpisode({ policy: name, seed, steps, backend, nfe }) {
    playing = false;
    playButton.textContent = 'Play';
    busy = true;
    try {
      policy?.dispose();
      policy = null;
      if (!(await useBackend(backend))) throw new Error(`the ${backend} backend is not available here`);
      const chosen = name ?? entry?.name ?? entries[0]!.name;
      const run = await loadNamed(chosen);
      const e = entries.find((x) => x.name === chosen)!;
      const n = nfe ?? e.fixedNfe ?? e.nfe;
      const result = runEpisode(run, seed, steps, n);
      run.dispose();
      return { ...result, backend: currentBackend(), nfe: n };
    } finally {
      busy = false;
      if (entry) await selectPolicy(entry.name).catch((error) => showError(explain(error, 'reload')));
    }
  },
  pause: () => {
    playing = false;
    playButton.textContent = 'Play';
  },
  play: () => {
    playing = true;
    playButton.textContent = 'Pause';
  },
  step,
  blockPoint: () => (episode ? blockPoint(episode.env.getState()) : [0, 0]),
};
(window as unknown as { __mipjs: PlaygroundHook }).__mipjs = hook;

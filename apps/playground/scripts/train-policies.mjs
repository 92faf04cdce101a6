#!/usr/bin/env node
/**
 * Trains the playground's policies on the real PushT demonstrations and installs them as the app's
 * assets: `pnpm --filter playground train-policies [name...]` (default: every entry of
 * scripts/recipes.json). For each policy it
 *   1. runs the bench CLI (`node packages/bench/dist/cli.js train --task pusht ...`) into
 *      `.runs/<name>` with the recipe of recipes.json (the one place to change it),
 *   2. writes the run's `policy.json` with `writePolicyManifest` when the bench did not,
 *   3. copies policy.json, the EMA network + encoder weights and normalizers.json into
 *      `public/policies/<name>/`,
 *   4. scores the copied policy in closed loop (PushT seeds firstSeed..., Diffusion Policy's
 *      evaluation order, wasm backend) and writes `public/policies/index.json`, which the page reads.
 * One training at a time, the bench on one wasm thread under `nice`: the machine is shared.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const app = join(dirname(fileURLToPath(import.meta.url)), '..');
const repo = join(app, '..', '..');
const cli = join(repo, 'packages', 'bench', 'dist', 'cli.js');
const data = join(repo, 'datasets', 'pusht', 'pusht_cchi_v7_lowdim.zarr');
const recipes = JSON.parse(readFileSync(join(app, 'scripts', 'recipes.json'), 'utf8'));

/**
 * How each algorithm is sampled at inference: the bench's algorithm table (packages/bench
 * algorithms.ts) in the policy manifest's terms. Used only when a run has no policy.json yet.
 */
const SAMPLING = {
  mip: (o) => ({
    sampler: {
      name: o.variant === 'reference' ? 'mipReferenceSampler' : 'mipSampler',
      options: { start: 'zero', tStar: o.tStar ?? 0.9 },
      variant: o.variant ?? 'page',
    },
    fixedNfe: 2,
  }),
  flow: () => ({ sampler: { name: 'eulerSampler', options: { start: 'noise' } } }),
  lsd: () => ({ sampler: { name: 'flowMapSampler', options: { start: 'noise' } } }),
  psd: () => ({ sampler: { name: 'flowMapSampler', options: { start: 'noise' } } }),
  esd: () => ({ sampler: { name: 'flowMapSampler', options: { start: 'noise' } } }),
  mf: () => ({ sampler: { name: 'flowMapSampler', options: { start: 'noise' } } }),
  regression: () => ({ sampler: { name: 'oneStepSampler', options: { start: 'zero' } }, fixedNfe: 1 }),
};

const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));

async function main() {
  if (!existsSync(cli)) {
    throw new Error(`${cli} is missing: run \`pnpm --filter @mipjs/bench... build\` first`);
  }
  if (!existsSync(data)) throw new Error(`${data} is missing (the PushT demonstrations)`);
  const argv = process.argv.slice(2);
  const reuseRuns = argv.includes('--reuse');
  const picked = argv.filter((a) => a !== '--reuse');
  const names = picked.length > 0 ? picked : Object.keys(recipes.policies);
  const policyNode = await import('@mipjs/policy/node');
  const indexPath = join(app, 'public', 'policies', 'index.json');
  const index = existsSync(indexPath) ? readJson(indexPath) : { policies: [] };

  for (const name of names) {
    const r = recipes.policies[name];
    if (!r) throw new Error(`no recipe '${name}' in scripts/recipes.json`);
    const run = join(app, '.runs', name);
    // --reuse: keep a finished run already in .runs/<name> (e.g. the demo's run of the same recipe:
    // training is deterministic, so it is the run this script would train) and only copy and score it.
    const reuse = reuseRuns && existsSync(join(run, 'policy.json'));
    if (!reuse) rmSync(run, { recursive: true, force: true });
    const args = [
      cli,
      'train',
      '--task',
      r.task ?? 'pusht',
      '--data',
      data,
      '--algorithm',
      r.algorithm,
      // A bench preset first (e.g. the demo's `pusht`); the recipe's own fields override it.
      ...(r.preset ? ['--preset', r.preset] : []),
      // Closed-loop scoring happens below, on the copied files; the bench's own pass is not needed.
      '--episodes',
      '0',
      '--network',
      r.network,
      '--network-options',
      JSON.stringify(r.networkOptions ?? {}),
      '--loss-options',
      JSON.stringify(r.lossOptions ?? {}),
      '--steps',
      String(r.steps),
      '--batch',
      String(r.batch),
      '--lr',
      String(r.lr),
      '--seed',
      String(r.seed ?? 0),
      // The recipe's NFE first: the bench's policy.json takes its defaultNfe from this list.
      ...(r.nfe ? ['--nfe', String(r.nfe)] : []),
      '--backend',
      'wasm',
      '--no-eval',
      '--out',
      run,
    ];
    console.log(`\n[${name}] nice node ${args.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}`);
    const t0 = Date.now();
    if (reuse) console.log(`[${name}] --reuse: ${run} holds a finished run; not training it again`);
    else execFileSync('nice', ['-n', '10', process.execPath, ...args], { stdio: 'inherit', cwd: repo });
    const trainSeconds = reuse
      ? (readJson(join(run, 'checkpoint', 'state.json')).trainSeconds ?? 0)
      : (Date.now() - t0) / 1000;

    const manifest = existsSync(join(run, 'policy.json'))
      ? await policyNode.readPolicyManifest(run)
      : await writeManifest(policyNode, run, r);
    const dest = join(app, 'public', 'policies', name);
    rmSync(dest, { recursive: true, force: true });
    mkdirSync(dest, { recursive: true });
    const files = ['policy.json', manifest.normalizers, manifest.network.weights, manifest.encoder?.weights];
    for (const f of files.filter(Boolean)) cpSync(join(run, f), join(dest, f), { recursive: true });

    const score = await closedLoopScore(policyNode, dest, r.nfe ?? manifest.defaultNfe);
    console.log(
      `[${name}] closed loop over ${score.episodes} seeds: mean max coverage ${score.meanMaxCoverage.toFixed(3)}, ` +
        `mean max reward ${score.meanMaxReward.toFixed(3)}, success ${score.successRate.toFixed(2)}`,
    );
    const entry = {
      name,
      label: r.label,
      algorithm: r.algorithm,
      nfe: r.nfe ?? manifest.defaultNfe,
      fixedNfe: manifest.fixedNfe ?? null,
      recipe: { ...r, label: undefined },
      trainSeconds,
      score,
    };
    index.policies = [...index.policies.filter((p) => p.name !== name), entry].sort(
      (a, b) => Object.keys(recipes.policies).indexOf(a.name) - Object.keys(recipes.policies).indexOf(b.name),
    );
    writeFileSync(indexPath, `${JSON.stringify(index, null, 2)}\n`);
  }
  console.log(`\nwrote ${indexPath}`);
}

/** policy.json for a run that predates the bench writing it, from the run's config and weights. */
async function writeManifest(policyNode, run, recipe) {
  const config = readJson(join(run, 'config.json'));
  const net = readJson(join(run, 'checkpoint', 'ema', 'network', 'manifest.json'));
  const enc = readJson(join(run, 'checkpoint', 'ema', 'encoder', 'manifest.json'));
  const sampling = SAMPLING[config.algorithm];
  if (!sampling) throw new Error(`no sampling entry for algorithm '${config.algorithm}'`);
  const { sampler, fixedNfe } = sampling(config.lossOptions ?? {});
  if (config.sampleStart && config.sampleStart !== 'auto') sampler.options.start = config.sampleStart;
  const manifest = {
    format: 'mipjs-policy',
    version: 1,
    algorithm: config.algorithm,
    task: config.task,
    sampler,
    interpolant: config.interpolant ?? 'linear',
    defaultNfe: recipe.nfe ?? fixedNfe ?? 1,
    ...(fixedNfe ? { fixedNfe } : {}),
    nfe: [recipe.nfe ?? fixedNfe ?? 1],
    obsSteps: net.config.obsSteps,
    horizon: net.config.horizon,
    actionSteps: 8,
    obs: { dim: enc.config.obsDim, keys: ['state'], units: 'pixels, pixels, pixels, pixels, radians' },
    action: { dim: net.config.actDim, keys: ['action'], units: 'pixels' },
    network: { kind: net.kind, weights: 'checkpoint/ema/network' },
    encoder: { kind: enc.kind, weights: 'checkpoint/ema/encoder' },
    normalizers: 'normalizers.json',
    createdBy: 'apps/playground scripts/train-policies.mjs',
  };
  await policyNode.writePolicyManifest(run, manifest);
  return manifest;
}

/** Mean max coverage / reward and success rate over the evaluation seeds, one env per seed. */
async function closedLoopScore(policyNode, dir, nfe) {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  const { PushTVectorEnv, pushTObservationForTask } = await import('@mipjs/envs');
  const { episodes, firstSeed, maxSteps } = recipes.eval;
  const policy = await policyNode.loadPolicyFromRun(dir);
  const venv = new PushTVectorEnv(episodes, {
    observation: pushTObservationForTask(policy.manifest.task),
    dtype: 'float32',
    maxEpisodeSteps: maxSteps,
  });
  const control = new policyNode.RecedingHorizon(policy, { batch: episodes, nfe, seed: firstSeed });
  let obs = venv.reset(firstSeed, { legacy: true });
  const maxCoverage = new Float64Array(episodes);
  while (!venv.allDone) {
    const step = venv.step(control.step(obs));
    obs = step.observations;
    for (let i = 0; i < episodes; i++) maxCoverage[i] = Math.max(maxCoverage[i], step.coverages?.[i] ?? 0);
  }
  policy.dispose();
  const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;
  const rewards = Array.from(venv.maxRewards);
  return {
    episodes,
    firstSeed,
    maxSteps,
    nfe,
    meanMaxCoverage: mean(Array.from(maxCoverage)),
    meanMaxReward: mean(rewards),
    successRate: rewards.filter((v) => v >= 1).length / episodes,
  };
}

main().catch((error) => {
  console.error(`train-policies: ${error.message}`);
  process.exit(1);
});

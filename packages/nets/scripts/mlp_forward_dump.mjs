#!/usr/bin/env node
// Dumps a seeded @mipjs/nets `mlp` (weights, inputs, forward outputs) as JSON, so that
// `mlp_reference.py compare` can load the same weights into the PyTorch reference MLP
// (spec §5.3) and check the forward pass of the port.
//
// Every variable (kernels, biases, LayerNorm gamma / beta, even the scalar head) is perturbed by
// seeded noise so that no parameter sits at a value (0 or 1) that would hide a wiring mistake.
//
// Usage (after `pnpm --filter @mipjs/nets build`), from packages/nets:
//   node scripts/mlp_forward_dump.mjs > /tmp/mlp_dump.json
//   node scripts/mlp_forward_dump.mjs '{"embDim":64,"nLayers":3,"timestepEmbDim":32}' > /tmp/mlp_dump.json
// The optional argument is JSON merged into the MlpOptions (defaults below).
import * as tf from '@tensorflow/tfjs';
import { createMlp, InitRandom } from '../dist/index.js';

await tf.setBackend('cpu');

const options = {
  actDim: 2,
  horizon: 3,
  obsSteps: 2,
  condDim: 3,
  embDim: 32,
  nLayers: 2,
  timestepEmbDim: 16,
  maxFreq: 100,
  dropout: 0,
  seed: 7,
  ...(process.argv[2] ? JSON.parse(process.argv[2]) : {}),
};
const net = createMlp(options);
const rng = new InitRandom(1234);
const randn = (n, scale = 1) => Float32Array.from({ length: n }, () => scale * rng.normal());

const weights = {};
for (const { name, variable } of net.namedVariables) {
  const v = variable.dataSync();
  const noise = randn(v.length, 0.1);
  const next = Float32Array.from(v, (a, i) => a + noise[i]);
  variable.assign(tf.tensor(next, variable.shape));
  weights[name] = { shape: [...variable.shape], data: Array.from(next) };
}

const B = 6;
const { horizon: H, actDim: A, obsSteps: To, condDim: E } = net;
const x = randn(B * H * A);
// times in [0, 1], including the ends
const s = Float32Array.from({ length: B }, (_, i) => i / (B - 1));
const t = Float32Array.from({ length: B }, () => rng.uniform());
const cond = randn(B * To * E);

const out = (c) =>
  tf.tidy(() =>
    Array.from(
      net
        .apply(
          tf.tensor3d(x, [B, H, A]),
          tf.tensor1d(s),
          tf.tensor1d(t),
          c ? tf.tensor3d(c, [B, To, E]) : null,
        )
        .dataSync(),
    ),
  );

process.stdout.write(
  JSON.stringify({
    config: net.config,
    weights,
    inputs: { B, x: Array.from(x), s: Array.from(s), t: Array.from(t), cond: Array.from(cond) },
    output: out(cond),
    outputNullCond: out(null),
  }),
);

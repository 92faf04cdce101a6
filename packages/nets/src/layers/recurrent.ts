import * as tf from '@tensorflow/tfjs-core';
import { initWeightValues, type WeightInit } from './init.js';
import type { VariableScope } from './module.js';

/** A recurrent state with optional tangents: `h` (and `c` for the LSTM). */
export interface RecurrentState {
  h: tf.Tensor2D;
  c?: tf.Tensor2D;
  dh: tf.Tensor2D | null;
  dc?: tf.Tensor2D | null;
}

/** The cells a {@link Recurrent} layer can use. */
export type RecurrentType = 'lstm' | 'gru';
export const RECURRENT_TYPES: readonly RecurrentType[] = ['lstm', 'gru'];

/**
 * One unidirectional recurrent layer (PyTorch `nn.LSTM` / `nn.GRU`, one layer, batch-first),
 * unrolled over the sequence, with an explicit forward-mode pass.
 *
 * Variables: `w_ih [in, G H]`, `w_hh [H, G H]`, `b_ih`, `b_hh [G H]`, G = 4 (LSTM: i, f, g, o)
 * or 3 (GRU: r, z, n), the gate order of PyTorch.
 *
 * LSTM: a = x W_ih + b_ih + h W_hh + b_hh; i, f, o = sigma(a_.), g = tanh(a_g);
 *   c' = f c + i g, h' = o tanh(c').
 *   Dual: di = i (1 - i) da_i (f, o alike), dg = (1 - g^2) da_g,
 *   dc' = df c + f dc + di g + i dg, dh' = do tanh(c') + o (1 - tanh^2 c') dc'.
 * GRU: r, z = sigma(x W_i. + b_i. + h W_h. + b_h.), hn = h W_hn + b_hn,
 *   n = tanh(x W_in + b_in + r hn), h' = (1 - z) n + z h.
 *   Dual: dn = (1 - n^2)(dx_n + dr hn + r dhn), dh' = (1 - z) dn + z dh + dz (h - n).
 */
export class Recurrent {
  readonly type: RecurrentType;
  readonly inDim: number;
  readonly hidden: number;
  readonly wIh: tf.Variable;
  readonly wHh: tf.Variable;
  readonly bIh: tf.Variable;
  readonly bHh: tf.Variable;

  constructor(scope: VariableScope, type: RecurrentType, inDim: number, hidden: number, init: WeightInit) {
    if (!RECURRENT_TYPES.includes(type)) {
      throw new Error(`unknown rnn type '${type as string}'; valid: ${RECURRENT_TYPES.join(', ')}`);
    }
    this.type = type;
    this.inDim = inDim;
    this.hidden = hidden;
    const g = type === 'lstm' ? 4 : 3;
    this.wIh = scope.variable(
      'w_ih',
      tf.tensor(initWeightValues(init, inDim, g * hidden, scope.rng()), [inDim, g * hidden]),
    );
    this.wHh = scope.variable(
      'w_hh',
      tf.tensor(initWeightValues(init, hidden, g * hidden, scope.rng()), [hidden, g * hidden]),
    );
    this.bIh = scope.variable('b_ih', tf.zeros([g * hidden]));
    this.bHh = scope.variable('b_hh', tf.zeros([g * hidden]));
  }

  /**
   * Runs the layer over `x: [B, L, in]` (with tangent `dx` or null) from a zero state; returns
   * the hidden states `[B, L, H]` and their tangents.
   */
  run(x: tf.Tensor, dx: tf.Tensor | null): [tf.Tensor, tf.Tensor | null] {
    // tidy keeps the tensors of the returned array (a null entry is skipped).
    return tf.tidy((): tf.TensorContainer => {
      const [b, l] = x.shape;
      const gh = this.wIh.shape[1]!;
      const flat = (v: tf.Tensor) =>
        tf.reshape(tf.matMul(tf.reshape(v, [b * l, this.inDim]) as tf.Tensor2D, this.wIh as tf.Tensor2D), [
          b,
          l,
          gh,
        ]);
      const xs = tf.unstack(tf.add(flat(x), this.bIh), 1) as tf.Tensor2D[];
      const dxs = dx ? (tf.unstack(flat(dx), 1) as tf.Tensor2D[]) : null;
      const zero = tf.zeros([b, this.hidden]) as tf.Tensor2D;
      let state: RecurrentState = { h: zero, c: zero, dh: dx ? zero : null, dc: dx ? zero : null };
      const hs: tf.Tensor[] = [];
      const dhs: tf.Tensor[] = [];
      for (let i = 0; i < l; i++) {
        state =
          this.type === 'lstm'
            ? this.lstmStep(xs[i], dxs?.[i] ?? null, state)
            : this.gruStep(xs[i], dxs?.[i] ?? null, state);
        hs.push(state.h);
        if (state.dh) dhs.push(state.dh);
      }
      return [tf.stack(hs, 1), dx ? tf.stack(dhs, 1) : null] as unknown as tf.TensorContainer;
    }) as unknown as [tf.Tensor, tf.Tensor | null];
  }

  private gates(h: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(h, this.wHh as tf.Tensor2D), this.bHh) as tf.Tensor2D;
  }

  private lstmStep(xa: tf.Tensor2D, dxa: tf.Tensor2D | null, st: RecurrentState): RecurrentState {
    const a = tf.add(xa, this.gates(st.h));
    const [ai, af, ag, ao] = tf.split(a, 4, 1);
    const [i, f, g, o] = [tf.sigmoid(ai), tf.sigmoid(af), tf.tanh(ag), tf.sigmoid(ao)];
    const c = tf.add(tf.mul(f, st.c!), tf.mul(i, g)) as tf.Tensor2D;
    const tc = tf.tanh(c);
    const h = tf.mul(o, tc) as tf.Tensor2D;
    if (!dxa || !st.dh) return { h, c, dh: null, dc: null };
    const da = tf.add(dxa, tf.matMul(st.dh, this.wHh as tf.Tensor2D));
    const [dai, daf, dag, dao] = tf.split(da, 4, 1);
    const dsig = (y: tf.Tensor, dz: tf.Tensor) => tf.mul(tf.mul(y, tf.sub(1, y)), dz);
    const di = dsig(i, dai);
    const df = dsig(f, daf);
    const dO = dsig(o, dao);
    const dg = tf.mul(tf.sub(1, tf.square(g)), dag);
    const dc = tf.addN([tf.mul(df, st.c!), tf.mul(f, st.dc!), tf.mul(di, g), tf.mul(i, dg)]) as tf.Tensor2D;
    const dh = tf.add(tf.mul(dO, tc), tf.mul(tf.mul(o, tf.sub(1, tf.square(tc))), dc)) as tf.Tensor2D;
    return { h, c, dh, dc };
  }

  private gruStep(xa: tf.Tensor2D, dxa: tf.Tensor2D | null, st: RecurrentState): RecurrentState {
    const [xr, xz, xn] = tf.split(xa, 3, 1);
    const [hr, hz, hn] = tf.split(this.gates(st.h), 3, 1);
    const r = tf.sigmoid(tf.add(xr, hr));
    const z = tf.sigmoid(tf.add(xz, hz));
    const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
    const h = tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, st.h)) as tf.Tensor2D;
    if (!dxa || !st.dh) return { h, dh: null };
    const [dxr, dxz, dxn] = tf.split(dxa, 3, 1);
    const [dhr, dhz, dhn] = tf.split(tf.matMul(st.dh, this.wHh as tf.Tensor2D), 3, 1);
    const dr = tf.mul(tf.mul(r, tf.sub(1, r)), tf.add(dxr, dhr));
    const dz = tf.mul(tf.mul(z, tf.sub(1, z)), tf.add(dxz, dhz));
    const dn = tf.mul(tf.sub(1, tf.square(n)), tf.addN([dxn, tf.mul(dr, hn), tf.mul(r, dhn)]));
    const dh = tf.addN([
      tf.mul(tf.sub(1, z), dn),
      tf.mul(z, st.dh),
      tf.mul(dz, tf.sub(st.h, n)),
    ]) as tf.Tensor2D;
    return { h, dh };
  }
}

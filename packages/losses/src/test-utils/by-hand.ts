// The losses of the linear test net, written out in plain JS doubles (independent of TF.js).
import type { LinearWeights } from '@mipjs/nets/testing';

export const B = 2;
export const H = 2;
export const A = 2;
export const action = [0.5, -1.0, 0.3, 0.8, -0.2, 1.2, 0.9, -0.6];
export const z = [0.1, 0.4, -0.7, 1.1, 0.6, -0.3, -1.2, 0.2];
export const noise = [-0.5, 0.2, 0.9, -0.1, 0.3, 0.7, -0.8, 0.4];
export const t = [0.3, 0.75];
export const s = [0.1, 0.4];
export const h = [0.25, 0.6];
export const tFlow = [0.45, 0.2];

export const W: LinearWeights = { w: 0.7, a: -0.3, b: 0.5, c0: 0.2 };
export const TEACHER: LinearWeights = { w: -0.4, a: 0.6, b: 0.1, c0: -0.3 };

const f = (p: LinearWeights, x: number, si: number, ti: number) => p.w * x + p.a * si + p.b * ti + p.c0;
const sample = (e: number) => Math.floor(e / (H * A));

export type Norm = 'l2' | 'l1' | 'smooth_l1';
const normOf = (r: number, norm: Norm) =>
  norm === 'l2' ? r * r : norm === 'l1' ? Math.abs(r) : Math.abs(r) < 1 ? 0.5 * r * r : Math.abs(r) - 0.5;

/** scale * mean over (B, H) of the norm summed over A. */
export function reduce(r: number[], norm: Norm = 'l2', scale = 0.1): number {
  let total = 0;
  for (const x of r) total += normOf(x, norm);
  return (scale * total) / (r.length / A);
}

/** scale * mean over all elements of r^2. */
export function meanSquare(r: number[], scale = 0.1): number {
  return (scale * r.reduce((acc, x) => acc + x * x, 0)) / r.length;
}

const map = (fn: (e: number, i: number) => number) => action.map((_, e) => fn(e, sample(e)));

export function flowResidual(times = t): number[] {
  return map((e, i) => {
    const I = (1 - times[i]) * z[e] + times[i] * action[e];
    return f(W, I, times[i], times[i]) - (action[e] - z[e]);
  });
}

export const regressionResidual = () => map((e) => W.c0 - action[e]);
export const straightResidual = () => map((e) => f(W, z[e], 0, 0) - action[e]);

export function mipResiduals(T: number, variant: 'page' | 'reference' | 'origin'): [number[], number[]] {
  const r0 = map((e) =>
    variant === 'page'
      ? W.c0 - action[e]
      : variant === 'reference'
        ? (W.c0 - action[e]) / T
        : (W.c0 - T * action[e]) / T,
  );
  const r1 = map((e) => {
    const x = variant === 'reference' ? action[e] + (1 - T) * z[e] : T * action[e] + (1 - T) * z[e];
    const p = f(W, x, T, T) - action[e];
    return variant === 'page' ? p : p / (1 - T);
  });
  return [r0, r1];
}

export function tsdResiduals(T: number, variant: 'page' | 'reference'): [number[], number[]] {
  const second = map((e) =>
    variant === 'page' ? T * action[e] + (1 - T) * z[e] : action[e] + (1 - T) * noise[e],
  );
  const w0 = variant === 'page' ? 1 : 1 / T;
  const w1 = variant === 'page' ? 1 : 1 / (1 - T);
  return [
    map((e) => (f(W, z[e], 0, 0) - second[e]) * w0),
    map((e) => (f(W, second[e], T, T) - action[e]) * w1),
  ];
}

/** Times after the deltaT clamp s = max(s, t - deltaT). */
export function clamped(deltaT: number[] = [1, 1]) {
  return s.map((si, i) => Math.max(si, t[i] - deltaT[i]));
}

const Is = (e: number, sv: number[]) => (1 - sv[sample(e)]) * z[e] + sv[sample(e)] * action[e];

export function ctmResidual(dt: number): number[] {
  return map((e, i) => {
    const sp = s[i] + dt;
    const tt = Math.max(t[i], sp);
    const x = Is(e, s);
    const pred = x + (tt - s[i]) * f(W, x, s[i], tt);
    const xp = x + dt * f(TEACHER, x, s[i], s[i]);
    const target = xp + (tt - sp) * f(W, xp, sp, tt);
    return (target - pred) / dt;
  });
}

export function lmdResidual(): number[] {
  return map((e, i) => {
    const x = Is(e, s);
    const g = t[i] - s[i];
    const X = x + g * f(W, x, s[i], t[i]);
    const dXdt = f(W, x, s[i], t[i]) + g * W.b;
    return dXdt - f(TEACHER, X, t[i], t[i]);
  });
}

export function psdResidual(variant: 'page' | 'reference'): number[] {
  return map((e, i) => {
    const x = Is(e, s);
    const u = s[i] + h[i] * (t[i] - s[i]);
    const student = f(W, x, s[i], t[i]);
    const fsu = f(W, x, s[i], u);
    const Xsu = x + (u - s[i]) * fsu;
    const fut = f(W, Xsu, u, t[i]);
    const teacher = variant === 'page' ? h[i] * fsu + (1 - h[i]) * fut : (1 - h[i]) * fsu + h[i] * fut;
    return student - teacher;
  });
}

export function lsdResidual(sv = s): number[] {
  return map((e, i) => {
    const x = Is(e, sv);
    const g = t[i] - sv[i];
    const X = x + g * f(W, x, sv[i], t[i]);
    return f(W, x, sv[i], t[i]) + g * W.b - f(W, X, t[i], t[i]);
  });
}

export function esdResidual(variant: 'page' | 'reference'): number[] {
  return map((e, i) => {
    const x = Is(e, s);
    const g = t[i] - s[i];
    const X = x + g * f(W, x, s[i], t[i]);
    const dXds = -f(W, x, s[i], t[i]) + g * W.a;
    const v = variant === 'page' ? f(W, x, s[i], s[i]) : f(W, X, t[i], t[i]);
    return dXds + (1 + g * W.w) * v;
  });
}

export function mfResidual(): number[] {
  return map((e, i) => {
    const x = Is(e, s);
    const g = t[i] - s[i];
    const dXds = -f(W, x, s[i], t[i]) + g * W.a;
    return dXds + (1 + g * W.w) * (action[e] - z[e]);
  });
}

/** mip_one_step_integrate: both calls at time 0 (time-blind); the first from z, the second from (1 - T) z + T a. */
export function mipOneStepIntegrateResiduals(T: number): [number[], number[]] {
  return [
    map((e) => f(W, z[e], 0, 0) - action[e]),
    map((e) => f(W, T * action[e] + (1 - T) * z[e], 0, 0) - action[e]),
  ];
}

/** Default evaluation step lists of the flow and flow-map algorithms: 3^[2, 1, 0] (reference). */
export const FLOW_DEFAULT_STEPS: readonly number[] = Object.freeze([9, 3, 1]);

/** Default step list of the one-step and two-step algorithms (regression, straight_flow, mip, tsd). */
export const ONE_STEP_DEFAULT_STEPS: readonly number[] = Object.freeze([1]);

/** The sampler families. */
export type SamplerFamily = 'ode' | 'flow-map' | 'one-step' | 'two-step';

/**
 * Default step lists by sampler family (reference `get_default_step_list`): the first entry is
 * the primary metric. `ode` (flow) and `flow-map` (ctm, lmd, psd, lsd, esd, mf): [9, 3, 1];
 * `one-step` (regression, straight_flow) and `two-step` (mip, mip_origin, tsd): [1].
 */
export const DEFAULT_STEPS: Readonly<Record<SamplerFamily, readonly number[]>> = Object.freeze({
  ode: FLOW_DEFAULT_STEPS,
  'flow-map': FLOW_DEFAULT_STEPS,
  'one-step': ONE_STEP_DEFAULT_STEPS,
  'two-step': ONE_STEP_DEFAULT_STEPS,
});

/** linspace(0, 1, steps + 1), the uniform grid of the ODE and flow-map samplers. */
export function uniformGrid(steps: number): number[] {
  if (!Number.isInteger(steps) || steps < 1)
    throw new Error(`steps must be a positive integer, got ${steps}`);
  return Array.from({ length: steps + 1 }, (_, i) => (i === steps ? 1 : i / steps));
}

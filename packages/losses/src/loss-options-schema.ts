import type { OptionsSchema } from '@mipjs/nets';

/**
 * The options every loss reads ({@link BaseLossOptions}) as JSON may set them: `lossScale` and a
 * named `norm` (a function norm is a library caller's, not JSON). Each loss's schema
 * (`<LOSS>_LOSS_OPTIONS_SCHEMA`, next to the loss) spreads this one.
 */
export const BASE_LOSS_OPTIONS_SCHEMA: OptionsSchema = {
  lossScale: { type: 'number', min: 0, exclusiveMin: true },
  norm: { type: 'enum', values: ['l2', 'l1', 'smooth_l1'] },
};

/**
 * The base options plus the fixed interpolation time `tStar` in (0, 1), the one option of the
 * two-call losses (mip, mip_origin, mip_one_step_integrate, tsd).
 */
export const T_STAR_LOSS_OPTIONS_SCHEMA: OptionsSchema = {
  ...BASE_LOSS_OPTIONS_SCHEMA,
  tStar: { type: 'number', min: 0, max: 1, exclusiveMin: true, exclusiveMax: true },
};

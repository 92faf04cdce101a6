import { checkOptions } from '@mipjs/nets';
import { describe, expect, it } from 'vitest';
import {
  CTM_LOSS_OPTIONS_SCHEMA,
  FLOW_LOSS_OPTIONS_SCHEMA,
  MIP_LOSS_OPTIONS_SCHEMA,
  PSD_LOSS_OPTIONS_SCHEMA,
} from './index.js';

describe('loss options schemas', () => {
  it('each loss lists the keys it reads; a typo or a key of another loss is named with the valid ones', () => {
    expect(checkOptions(MIP_LOSS_OPTIONS_SCHEMA, { tStar: 0.8, variant: 'reference', lossScale: 1 })).toEqual(
      [],
    );
    expect(checkOptions(MIP_LOSS_OPTIONS_SCHEMA, { tstar: 0.8 })).toEqual([
      "unknown key 'tstar'; valid keys: lossScale, norm, tStar, variant",
    ]);
    // discreteDt is ctm's: flow would ignore it.
    expect(checkOptions(FLOW_LOSS_OPTIONS_SCHEMA, { discreteDt: 0.01 })[0]).toMatch(
      /unknown key 'discreteDt'/,
    );
    expect(checkOptions(CTM_LOSS_OPTIONS_SCHEMA, { discreteDt: 0, detachTarget: 'yes' })).toEqual([
      "'discreteDt': expected a number > 0, found 0",
      "'detachTarget': expected true or false, found 'yes'",
    ]);
    expect(checkOptions(MIP_LOSS_OPTIONS_SCHEMA, { tStar: 1, norm: 'l3' })).toEqual([
      "'tStar': expected a number > 0 and < 1, found 1",
      "'norm': expected one of 'l2', 'l1', 'smooth_l1', found 'l3'",
    ]);
    expect(checkOptions(PSD_LOSS_OPTIONS_SCHEMA, { variant: 'page', stopGradients: false })).toEqual([]);
  });
});

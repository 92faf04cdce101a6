import { describe, expect, it } from 'vitest';
import { checkNetworkOptions, NETWORK_KINDS, NETWORK_OPTIONS_SCHEMAS } from './create-network.js';
import { checkEncoderOptions } from './encoder-options-schema.js';
import { assertOptions, checkOptions, OptionsError } from './options-schema.js';

describe('options schemas', () => {
  it('an unknown key lists the valid ones; a wrong type says what was expected', () => {
    expect(checkNetworkOptions('mlp', { embDimm: 64 })).toEqual([
      "unknown key 'embDimm'; valid keys: embDim, nLayers, dropout, timestepEmbDim, maxFreq, disableTimeEmbedding, activation, init",
    ]);
    expect(checkNetworkOptions('mlp', { embDim: 'wide', dropout: 1, activation: 'swish' })).toEqual([
      "'embDim': expected an integer >= 1, found 'wide'",
      "'dropout': expected a number >= 0 and < 1, found 1",
      expect.stringMatching(/^'activation': expected one of 'gelu', .*'softplus', found 'swish'$/),
    ]);
    expect(checkNetworkOptions('chiunet', { dimMult: [1, 2.5] })).toEqual([
      "'dimMult': expected an array of integers >= 1, found [1, 2.5]",
    ]);
    expect(checkNetworkOptions('mlp', 'wide')).toEqual(["expected an object of options, found 'wide'"]);
    expect(checkNetworkOptions('nope', {})[0]).toMatch(/unknown network kind 'nope'; valid: mlp/);
    // The shape keys are the task's: a user's horizon would be overridden silently.
    expect(checkNetworkOptions('mlp', { horizon: 8 })[0]).toMatch(/unknown key 'horizon'/);
    expect(checkEncoderOptions('mlp', { hidenDims: [8] })[0]).toMatch(
      /unknown key 'hidenDims'; valid keys: embDim/,
    );
    expect(checkEncoderOptions('identity', { embDim: 8 })[0]).toMatch(/unknown key 'embDim'/);
  });

  it("accepts every network's documented options and undefined values", () => {
    expect(Object.keys(NETWORK_OPTIONS_SCHEMAS).sort()).toEqual([...NETWORK_KINDS].sort());
    expect(
      checkNetworkOptions('mlp', { embDim: 64, nLayers: 0, dropout: 0, init: 'zeros', maxFreq: undefined }),
    ).toEqual([]);
    expect(checkNetworkOptions('vanilla_rnn', { rnnType: 'gru', timestepEmbDim: 8 })[0]).toMatch(
      /unknown key 'timestepEmbDim'/,
    );
    expect(
      checkNetworkOptions('jannerunet', { normType: 'layernorm', attention: true, dimMult: [1, 2] }),
    ).toEqual([]);
  });

  it('assertOptions throws an OptionsError naming the subject and every problem', () => {
    expect(() => assertOptions({ a: { type: 'boolean' } }, { a: 1, b: 2 }, "loss 'mip' options")).toThrow(
      new OptionsError("loss 'mip' options", [
        "'a': expected true or false, found 1",
        "unknown key 'b'; valid keys: a",
      ]),
    );
    expect(checkOptions({}, { x: 1 })).toEqual(["unknown key 'x'; valid keys: (none)"]);
  });
});

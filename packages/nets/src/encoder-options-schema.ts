import { checkOptions, type OptionsSchema } from './options-schema.js';

const DROPOUT = { type: 'number', min: 0, max: 1, exclusiveMax: true } as const;

/**
 * The encoder options a user sets, by encoder kind (`obsDim`, `obsSteps` and the seed come from
 * the task and the run). A kind without an entry here is not checked by
 * {@link checkEncoderOptions}: add its schema when adding an encoder.
 */
export const ENCODER_OPTIONS_SCHEMAS: Readonly<Record<string, OptionsSchema>> = {
  identity: { dropout: DROPOUT },
  mlp: { embDim: { type: 'integer', min: 1 }, hiddenDims: { type: 'integer[]', min: 1 }, dropout: DROPOUT },
  per_step_mlp: {
    embDim: { type: 'integer', min: 1 },
    hiddenDims: { type: 'integer[]', min: 1 },
    dropout: DROPOUT,
  },
  image: {
    embDim: { type: 'integer', min: 1 },
    imageShape: { type: 'integer[]', min: 1, doc: 'one camera frame [H, W, C]' },
    cameras: { type: 'integer', min: 1 },
    cropShape: { type: 'integer[]', min: 1, doc: 'crop [h, w]' },
    randomCrop: { type: 'boolean' },
    widths: { type: 'integer[]', min: 1, doc: 'ResNet stage widths' },
    blocks: { type: 'integer[]', min: 1, doc: 'basic blocks per stage' },
    groupChannels: { type: 'integer', min: 1 },
    dropout: DROPOUT,
  },
};

/**
 * The problems of a user's encoder options (unknown keys, wrong types), one line each; empty when
 * they fit or when the kind has no schema.
 *
 * ```ts
 * checkEncoderOptions('mlp', { hidenDims: [64] }); // ["unknown key 'hidenDims'; valid keys: ..."]
 * ```
 */
export function checkEncoderOptions(kind: string, options: unknown): string[] {
  const schema = Object.hasOwn(ENCODER_OPTIONS_SCHEMAS, kind) ? ENCODER_OPTIONS_SCHEMAS[kind] : undefined;
  return schema ? checkOptions(schema, options) : [];
}

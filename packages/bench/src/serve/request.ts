import type { ActionChunk } from '@mipjs/policy';

/**
 * A request the server refuses: an HTTP status and a JSON body that names the field and what was
 * expected, `{ error: { code, field, expected, message } }`. Thrown by the parsers below, answered
 * by the server; it never reaches a log as a stack trace.
 */
export class RequestError extends Error {
  override name = 'RequestError';
  readonly status: number;
  readonly code: string;
  readonly field: string;
  readonly expected: string;

  constructor(status: number, code: string, field: string, expected: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
    this.expected = expected;
  }

  /** The JSON body of the answer. */
  toJSON(): { error: { code: string; field: string; expected: string; message: string } } {
    return { error: { code: this.code, field: this.field, expected: this.expected, message: this.message } };
  }
}

const bad = (field: string, expected: string, message: string) =>
  new RequestError(400, 'bad-request', field, expected, message);

/** The shape a policy reads and the limits a request must respect. */
export interface RequestShape {
  obsSteps: number;
  obsDim: number;
  /** Largest NFE a request may ask for (bounds the work one request can cause). */
  maxNfe: number;
  /** Largest batch one request may carry. */
  maxBatch: number;
}

/** The act options a request may carry. */
export interface ActParams {
  nfe?: number;
  seed?: number;
}

/** A checked act request: `[batch, To, D]` histories (null when To is 0) and its options. */
export interface ParsedAct extends ActParams {
  observations: Float32Array | null;
  batch: number;
}

const describe = (v: unknown) =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? `a list of ${v.length}`
      : typeof v === 'string'
        ? 'a string'
        : String(v);

/** `nfe` and `seed` from a JSON body or a query string (strings are parsed; anything else is an error). */
export function parseActParams(
  source: Record<string, unknown>,
  shape: RequestShape,
  where: string,
): ActParams {
  const out: ActParams = {};
  const integer = (key: 'nfe' | 'seed', min: number, max: number): number | undefined => {
    const raw = source[key];
    if (raw === undefined || raw === null || raw === '') return undefined;
    const n = typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : raw;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      throw bad(
        `${where}${key}`,
        `an integer in [${min}, ${max}]`,
        `${where}${key}: expected an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`,
      );
    }
    return n;
  };
  const nfe = integer('nfe', 1, shape.maxNfe);
  const seed = integer('seed', 0, 0xffffffff);
  if (nfe !== undefined) out.nfe = nfe;
  if (seed !== undefined) out.seed = seed;
  return out;
}

/** Checks that every value is a finite number; names the first bad one by its index path. */
function finiteRow(values: unknown, field: string, length: number, into: Float32Array, at: number): void {
  if (!Array.isArray(values) || values.length !== length) {
    throw bad(field, `${length} numbers`, `${field}: expected ${length} numbers, got ${describe(values)}`);
  }
  for (let i = 0; i < length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw bad(
        `${field}[${i}]`,
        'a finite number',
        `${field}[${i}]: expected a finite number, got ${JSON.stringify(v) ?? String(v)}`,
      );
    }
    into[at + i] = v;
  }
}

/**
 * The observation histories of a JSON act body, `{ observations, nfe?, seed? }`, where
 * `observations` is `[B][To][D]` (B robots), `[To][D]` (one robot) or a flat list of `B·To·D`
 * numbers (row-major `[B, To, D]`); oldest observation first, newest last. A policy without
 * observations (To = 0) takes `{ batch?: B }` instead.
 *
 * ```ts
 * parseJsonAct({ observations: [[1, 2, 3, 4, 5], [1, 2, 3, 4, 5]], seed: 3 }, shape); // batch 1, seed 3
 * ```
 */
export function parseJsonAct(body: unknown, shape: RequestShape): ParsedAct {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw bad(
      'body',
      'a JSON object { observations, nfe?, seed? }',
      `body: expected a JSON object, got ${describe(body)}`,
    );
  }
  const b = body as Record<string, unknown>;
  const params = parseActParams(b, shape, '');
  const { obsSteps: To, obsDim: D } = shape;
  const want = `[B, To=${To}, D=${D}] numbers ([To][D] for one robot, or ${To * D}·B flat)`;
  if (To === 0) {
    if (b.observations !== undefined && b.observations !== null) {
      throw bad(
        'observations',
        'none (this policy reads no observations)',
        'observations: this policy reads no observations; send { batch }',
      );
    }
    const batch = b.batch ?? 1;
    if (typeof batch !== 'number' || !Number.isInteger(batch) || batch < 1 || batch > shape.maxBatch) {
      throw bad(
        'batch',
        `an integer in [1, ${shape.maxBatch}]`,
        `batch: expected an integer in [1, ${shape.maxBatch}], got ${JSON.stringify(batch)}`,
      );
    }
    return { ...params, observations: null, batch };
  }
  const o = b.observations;
  if (o === undefined || o === null) {
    throw bad('observations', want, `observations: missing; expected the observation history ${want}`);
  }
  if (!Array.isArray(o) || o.length === 0) {
    throw bad('observations', want, `observations: expected ${want}, got ${describe(o)}`);
  }
  let batch: number;
  let data: Float32Array;
  if (typeof o[0] === 'number' || !Array.isArray(o[0])) {
    // Flat [B·To·D].
    if (o.length % (To * D) !== 0) {
      throw bad(
        'observations',
        want,
        `observations: a flat list must hold a multiple of To·D = ${To * D} numbers, got ${o.length}`,
      );
    }
    batch = o.length / (To * D);
    if (batch > shape.maxBatch) throw tooMany(batch, shape.maxBatch);
    data = new Float32Array(o.length);
    finiteRow(o, 'observations', o.length, data, 0);
  } else if (Array.isArray(o[0]) && o[0].length > 0 && Array.isArray(o[0][0])) {
    batch = o.length;
    if (batch > shape.maxBatch) throw tooMany(batch, shape.maxBatch);
    data = new Float32Array(batch * To * D);
    for (let i = 0; i < batch; i++) {
      const hist = o[i];
      if (!Array.isArray(hist) || hist.length !== To) {
        throw bad(
          `observations[${i}]`,
          `${To} observations of ${D} numbers`,
          `observations[${i}]: expected a history of To = ${To} observations, got ${describe(hist)}`,
        );
      }
      for (let t = 0; t < To; t++) finiteRow(hist[t], `observations[${i}][${t}]`, D, data, (i * To + t) * D);
    }
  } else {
    batch = 1;
    if (o.length !== To) {
      throw bad(
        'observations',
        want,
        `observations: expected a history of To = ${To} observations, got a list of ${o.length}`,
      );
    }
    data = new Float32Array(To * D);
    for (let t = 0; t < To; t++) finiteRow(o[t], `observations[${t}]`, D, data, t * D);
  }
  return { ...params, observations: data, batch };
}

const tooMany = (batch: number, max: number) =>
  bad(
    'observations',
    `at most ${max} histories per request`,
    `observations: ${batch} histories in one request; at most ${max}`,
  );

/**
 * Little-endian float32 values of a binary body (`application/octet-stream`), checked finite.
 * `field` names the input in errors.
 */
export function readFloat32(bytes: Uint8Array, field: string): Float32Array {
  if (bytes.byteLength % 4 !== 0) {
    throw bad(
      field,
      'little-endian float32 values',
      `${field}: ${bytes.byteLength} bytes is not a whole number of float32 values`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.byteLength / 4);
  for (let i = 0; i < out.length; i++) {
    const v = view.getFloat32(i * 4, true);
    if (!Number.isFinite(v)) {
      throw bad(`${field}[${i}]`, 'a finite number', `${field}[${i}]: expected a finite number, got ${v}`);
    }
    out[i] = v;
  }
  return out;
}

/**
 * A binary act body: raw little-endian float32 `[B, To, D]` (B = bytes / (4·To·D)); `nfe` and
 * `seed` come from the query string.
 *
 * ```ts
 * parseBinaryAct(Buffer.from(new Float32Array(10).buffer), { nfe: '2' }, shape); // To 2, D 5: batch 1
 * ```
 */
export function parseBinaryAct(
  bytes: Uint8Array,
  query: Record<string, unknown>,
  shape: RequestShape,
): ParsedAct {
  const params = parseActParams(query, shape, 'query.');
  const { obsSteps: To, obsDim: D } = shape;
  if (To === 0) {
    throw bad(
      'body',
      'a JSON body { batch }',
      'body: this policy reads no observations; send JSON { batch }',
    );
  }
  const perRobot = 4 * To * D;
  if (bytes.byteLength === 0 || bytes.byteLength % perRobot !== 0) {
    throw bad(
      'body',
      `float32 [B, To=${To}, D=${D}]: a multiple of ${perRobot} bytes`,
      `body: expected float32 [B, To=${To}, D=${D}], a multiple of ${perRobot} bytes, got ${bytes.byteLength}`,
    );
  }
  const batch = bytes.byteLength / perRobot;
  if (batch > shape.maxBatch) throw tooMany(batch, shape.maxBatch);
  return { ...params, observations: readFloat32(bytes, 'body'), batch };
}

/** The JSON answer of an act request: `actions` is `[B][H][A]` in environment units. */
export function chunkJson(policy: string, chunk: ActionChunk) {
  const [B, H, A] = chunk.shape;
  const actions: number[][][] = [];
  for (let b = 0; b < B; b++) {
    const rows: number[][] = [];
    for (let h = 0; h < H; h++)
      rows.push(Array.from(chunk.data.subarray((b * H + h) * A, (b * H + h + 1) * A)));
    actions.push(rows);
  }
  return { policy, shape: chunk.shape, nfe: chunk.nfe, seed: chunk.seed, actions };
}

/** Little-endian float32 bytes of `values` (the binary answers). */
export function float32Bytes(values: Float32Array): Buffer {
  const out = Buffer.allocUnsafe(values.length * 4);
  for (let i = 0; i < values.length; i++) out.writeFloatLE(values[i]!, i * 4);
  return out;
}

/** One observation `[D]` of a WebSocket message (JSON numbers), checked finite. */
export function parseObservation(value: unknown, dim: number): Float32Array {
  if (value === undefined || value === null) {
    throw bad('observation', `${dim} finite numbers`, `observation: missing; expected ${dim} finite numbers`);
  }
  const out = new Float32Array(dim);
  finiteRow(value, 'observation', dim, out, 0);
  return out;
}

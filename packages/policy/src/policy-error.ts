/** What went wrong, as a stable tag (tests and callers switch on it; the message is for people). */
export type PolicyErrorCode =
  /** policy.json is not a valid policy manifest. */
  | 'manifest'
  /** A file the manifest names (weights, normalizers, policy.json itself) is not there. */
  | 'missing-file'
  /** Weights that do not fit the network / encoder the manifest describes. */
  | 'weights'
  /** A normalizer file that is unreadable or lacks / mismatches the obs or action entry. */
  | 'normalizers'
  /** The run was trained for another task or shape than the caller expects. */
  | 'task-mismatch'
  /** The manifest names a sampler that is not in the sampler table. */
  | 'unknown-sampler'
  /** Observations of the wrong size or shape. */
  | 'observation-shape'
  /** Observations containing NaN or an infinity. */
  | 'observation-not-finite'
  /** A bad option (nfe, seed, batch). */
  | 'option'
  /** The policy was used after `dispose()`. */
  | 'disposed';

/**
 * The one error type of `@mipjs/policy`: a one-line message that names the input, the file or the
 * option, and what was expected; `code` tells the kind apart without parsing the message.
 */
export class PolicyError extends Error {
  override name = 'PolicyError';
  readonly code: PolicyErrorCode;

  constructor(code: PolicyErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

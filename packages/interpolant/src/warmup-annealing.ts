/** Options of {@link WarmupAnnealing}; the defaults are the reference YAML's. */
export interface WarmupAnnealingOptions {
  /** Total number of training steps. */
  maxSteps: number;
  /** Fraction of `maxSteps` held at `minValue` (YAML default 0.2). */
  warmupRatio?: number;
  /** Fraction of `maxSteps` spent ramping linearly to `maxValue` (default 0.5). */
  rampupRatio?: number;
  /** Value during warm-up (default 0). */
  minValue?: number;
  /** Value after the ramp (default 1). */
  maxValue?: number;
}

/**
 * The delta_t schedule of the self-distillation losses (reference `WarmupAnnealingScheduler`):
 *
 * $$
 * \mathrm{value}(\mathrm{step}) = \begin{cases}
 * \mathrm{minValue} & \mathrm{step} < w, \\
 * \mathrm{minValue} + (\mathrm{maxValue} - \mathrm{minValue})\, (\mathrm{step} - w) / r & \mathrm{step} < w + r, \\
 * \mathrm{maxValue} & \text{otherwise},
 * \end{cases}
 * $$
 *
 * with $w = \lfloor \mathrm{maxSteps} \cdot \mathrm{warmupRatio} \rfloor$ (warm-up) and
 * $r = \lfloor \mathrm{maxSteps} \cdot \mathrm{rampupRatio} \rfloor$ (ramp-up).
 *
 * Early in training delta_t = 0 forces s = t, so the student first learns the velocity before it
 * is asked for long jumps.
 */
export class WarmupAnnealing {
  readonly warmupSteps: number;
  readonly rampupSteps: number;
  readonly minValue: number;
  readonly maxValue: number;

  constructor({
    maxSteps,
    warmupRatio = 0.2,
    rampupRatio = 0.5,
    minValue = 0,
    maxValue = 1,
  }: WarmupAnnealingOptions) {
    if (!Number.isInteger(maxSteps) || maxSteps < 0) {
      throw new Error(`maxSteps must be an integer >= 0, got ${maxSteps}`);
    }
    for (const [name, r] of [
      ['warmupRatio', warmupRatio],
      ['rampupRatio', rampupRatio],
    ] as const) {
      if (!(r >= 0 && r <= 1)) throw new Error(`${name} must be in [0, 1], got ${r}`);
    }
    if (!Number.isFinite(minValue) || !Number.isFinite(maxValue)) {
      throw new Error(`minValue and maxValue must be finite, got ${minValue} and ${maxValue}`);
    }
    this.warmupSteps = Math.floor(maxSteps * warmupRatio);
    this.rampupSteps = Math.floor(maxSteps * rampupRatio);
    this.minValue = minValue;
    this.maxValue = maxValue;
  }

  /** The schedule's value at a training step. */
  value(step: number): number {
    if (step < this.warmupSteps) return this.minValue;
    if (step < this.warmupSteps + this.rampupSteps) {
      return this.minValue + ((this.maxValue - this.minValue) * (step - this.warmupSteps)) / this.rampupSteps;
    }
    return this.maxValue;
  }
}

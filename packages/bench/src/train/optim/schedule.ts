/**
 * Cosine-annealed learning rate (PyTorch `CosineAnnealingLR`, eta_min 0 by default, no warm-up):
 *
 *   lr(k) = etaMin + (base - etaMin) (1 + cos(pi k / T)) / 2,   k = 0 .. T
 *
 * where k counts the updates already applied (the first update uses lr(0) = base).
 */
export function cosineLr(step: number, totalSteps: number, base: number, etaMin = 0): number {
  if (totalSteps <= 0) return base;
  const k = Math.min(Math.max(step, 0), totalSteps);
  return etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * k) / totalSteps))) / 2;
}

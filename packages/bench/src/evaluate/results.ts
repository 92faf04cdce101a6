/** One evaluated (run, NFE) pair: the rows of `--json` and `results.json`. */
export interface ResultRow {
  algorithm: string;
  network: string;
  task: string;
  seed: number;
  nfe: number;
  metrics: Record<string, number>;
  trainSeconds: number;
  steps: number;
  /** A sweep's option combination of the run (`norm=l1_conditioning=film`), absent when none. */
  variant?: string;
}

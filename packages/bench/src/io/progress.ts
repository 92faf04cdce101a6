import cliProgress from 'cli-progress';

/** Training progress: a bar on a TTY, plain lines otherwise (both on stderr). */
export interface Progress {
  start(total: number, at: number): void;
  /**
   * `loss` is the mean over the last `lossSteps` steps (up to `step`; 1 when omitted): the trainer
   * passes the mean of its current metrics.jsonl window.
   */
  update(step: number, loss: number, lossSteps?: number): void;
  stop(): void;
}

/** A progress that prints nothing. */
export const silentProgress: Progress = { start() {}, update() {}, stop() {} };

function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** ` (mean of steps 51-60)` after a loss averaged over several steps; nothing after one step's loss. */
function lossWindow(step: number, lossSteps: number): string {
  return lossSteps > 1 ? ` (mean of steps ${step - lossSteps + 1}-${step})` : '';
}

/**
 * A progress reporter with loss, steps/s and ETA. On a TTY it draws a cli-progress bar on stderr;
 * otherwise it prints a plain line every `every` seconds (and at the end).
 */
export function createProgress(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
  every = 5,
  forceLines = false,
): Progress {
  if (stream.isTTY && !forceLines) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${label} [{bar}] {value}/{total} | loss {loss}{window} | {rate} steps/s | ETA {eta_formatted}`,
        hideCursor: true,
        etaBuffer: 50,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    let startTime = 0;
    let startStep = 0;
    return {
      start(total, at) {
        startTime = performance.now();
        startStep = at;
        bar.start(total, at, { loss: '-', window: '', rate: '-' });
      },
      update(step, loss, lossSteps = 1) {
        const rate = (step - startStep) / ((performance.now() - startTime) / 1000);
        bar.update(step, {
          loss: loss.toPrecision(4),
          window: lossWindow(step, lossSteps),
          rate: rate.toFixed(1),
        });
      },
      stop() {
        bar.stop();
      },
    };
  }
  let total = 0;
  let startTime = 0;
  let startStep = 0;
  let last = 0;
  let lastStep = 0;
  let lastLoss = Number.NaN;
  let lastLossSteps = 1;
  let stopped = true;
  const line = (step: number, loss: number, lossSteps: number) => {
    const elapsed = (performance.now() - startTime) / 1000;
    const rate = (step - startStep) / Math.max(elapsed, 1e-9);
    stream.write(
      `${label} step ${step}/${total} loss ${loss.toPrecision(4)}${lossWindow(step, lossSteps)} ${rate.toFixed(1)} steps/s ETA ${formatEta((total - step) / rate)}\n`,
    );
  };
  return {
    start(t, at) {
      total = t;
      startTime = performance.now();
      last = startTime;
      startStep = at;
      stopped = false;
    },
    update(step, loss, lossSteps = 1) {
      lastStep = step;
      lastLoss = loss;
      lastLossSteps = lossSteps;
      const now = performance.now();
      if (now - last >= every * 1000) {
        last = now;
        line(step, loss, lossSteps);
      }
    },
    stop() {
      if (!stopped && lastStep > startStep) line(lastStep, lastLoss, lastLossSteps);
      stopped = true;
    },
  };
}

/** Progress over named phases, each with its own count (`validate-env`'s physics, render, ...). */
export interface PhaseProgress {
  update: (phase: string, done: number, total: number) => void;
  stop: () => void;
}

/**
 * On a TTY a cli-progress bar on stderr (`label phase [bar] done/total`, restarted per phase);
 * otherwise one plain line per phase when it starts and when it ends.
 */
export function createPhaseProgress(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
): PhaseProgress {
  let phase = '';
  let started = 0;
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${label} {phase} [{bar}] {value}/{total} | {duration_formatted}`,
        hideCursor: true,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    let running = false;
    return {
      update(p, done, total) {
        if (p !== phase || !running) {
          if (running) bar.stop();
          phase = p;
          bar.start(total, done, { phase: p.padEnd(9) });
          running = true;
        } else {
          bar.setTotal(total);
          bar.update(done);
        }
      },
      stop() {
        if (running) bar.stop();
        running = false;
      },
    };
  }
  const end = () => {
    if (phase)
      stream.write(`${label}: ${phase} done (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  };
  return {
    update(p, done, total) {
      if (p === phase) return;
      end();
      phase = p;
      started = performance.now();
      stream.write(`${label}: ${p} (${total === 1 ? 'one pass' : `${total} items`}) ...\n`);
      void done;
    },
    stop() {
      end();
      phase = '';
    },
  };
}

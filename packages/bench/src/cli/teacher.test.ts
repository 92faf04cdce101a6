// ctm / lmd end to end through the CLI: a flow teacher trained first, or loaded with --teacher,
// with learned (mlp) observation encoders on the student and the teacher (issue 24).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../test-utils/fixtures.js';
import { HAVE_PUSHT_DATA, PUSHT_DATA } from '../test-utils/pusht-run.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

function mipjs(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const NET = ['--network-options', '{"embDim":16,"nLayers":1,"timestepEmbDim":8}'];
const QUICK = ['--batch', '8', '--eval-samples', '16', '--backend', 'cpu', '--quiet', ...NET];

/** A --config file: the encoder (and no closed-loop episodes, which pusht_keypoint would run). */
function configFile(dir: string, name: string, fields: Record<string, unknown>): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ evalEpisodes: 0, ...fields }));
  return path;
}

/** The rows of a finished run at the NFE list of the task (toy 9, 3, 1; dataset presets 1, 2, 4, 8), every metric finite. */
function expectFinishedRun(dir: string, nfes = [9, 3, 1]): void {
  const result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8'));
  expect(result.rows.map((r: { nfe: number }) => r.nfe)).toEqual(nfes);
  for (const row of result.rows)
    for (const v of Object.values(row.metrics as Record<string, number>))
      expect(Number.isFinite(v)).toBe(true);
}

describe('ctm / lmd teacher then student', () => {
  it.each(['ctm', 'lmd'])(
    'bimodal, %s with an mlp encoder: a fresh teacher (with its own mlp encoder) is trained first',
    (algorithm) => {
      const dir = tempDir();
      const out = join(dir, 'run');
      const config = configFile(dir, 'mlp', { encoder: 'mlp', encoderOptions: { embDim: 8 } });
      const r = mipjs(
        [
          'train',
          '--task',
          'bimodal',
          '--algorithm',
          algorithm,
          '--steps',
          '3',
          '--teacher-steps',
          '3',
          '--config',
          config,
          '--out',
          out,
          ...QUICK,
        ],
        dir,
      );
      expect(r.code, r.err).toBe(0);
      // The teacher's learned encoder travels with the teacher.
      expect(existsSync(join(out, 'teacher', 'checkpoint', 'ema', 'encoder', 'manifest.json'))).toBe(true);
      expectFinishedRun(out);
    },
  );

  it('bimodal, lmd with an mlp encoder reads a --teacher trained with the identity encoder', () => {
    const dir = tempDir();
    const teacher = join(dir, 'flow');
    expect(
      mipjs(['train', '--task', 'bimodal', '--steps', '3', '--out', teacher, '--no-eval', ...QUICK], dir)
        .code,
    ).toBe(0);
    const out = join(dir, 'lmd');
    const config = configFile(dir, 'mlp', { encoder: 'mlp', encoderOptions: { embDim: 8 } });
    const r = mipjs(
      [
        'train',
        '--task',
        'bimodal',
        '--algorithm',
        'lmd',
        '--steps',
        '3',
        '--teacher',
        teacher,
        '--config',
        config,
        '--out',
        out,
        ...QUICK,
      ],
      dir,
    );
    expect(r.code, r.err).toBe(0);
    expect(existsSync(join(out, 'teacher'))).toBe(false);
    expectFinishedRun(out);
  });

  it.skipIf(!HAVE_PUSHT_DATA).each(['ctm', 'lmd'])(
    'pusht_keypoint (datasets/pusht), %s with the default mlp encoder: fresh teacher, then --teacher RUN',
    (algorithm) => {
      const dir = tempDir();
      const config = configFile(dir, 'pusht', { encoderOptions: { embDim: 16 } });
      const common = ['--task', 'pusht_keypoint', '--data', PUSHT_DATA, '--config', config, ...QUICK];
      const fresh = join(dir, 'fresh');
      const r1 = mipjs(
        [
          'train',
          ...common,
          '--algorithm',
          algorithm,
          '--steps',
          '2',
          '--teacher-steps',
          '2',
          '--out',
          fresh,
        ],
        dir,
      );
      expect(r1.code, r1.err).toBe(0);
      expectFinishedRun(fresh, [1, 2, 4, 8]);
      // The teacher just trained, reused by a second student.
      const loaded = join(dir, 'loaded');
      const r2 = mipjs(
        [
          'train',
          ...common,
          '--algorithm',
          algorithm,
          '--steps',
          '2',
          '--teacher',
          join(fresh, 'teacher'),
          '--out',
          loaded,
        ],
        dir,
      );
      expect(r2.code, r2.err).toBe(0);
      expectFinishedRun(loaded, [1, 2, 4, 8]);
      const result = JSON.parse(readFileSync(join(loaded, 'result.json'), 'utf8'));
      // Dataset tasks report the validation loss, which reads the teacher too.
      expect(Number.isFinite(result.rows[0].metrics.valLoss)).toBe(true);
    },
  );
});

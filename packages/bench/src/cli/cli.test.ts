import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../test-utils/fixtures.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

function mipjs(args: string[], cwd = tempDir()) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr, cwd };
}

const TINY = [
  '--steps',
  '6',
  '--batch',
  '16',
  '--eval-samples',
  '64',
  '--network-options',
  '{"embDim":16,"nLayers":1,"timestepEmbDim":8}',
  '--backend',
  'cpu',
  '--quiet',
];

/** The failure is one `mipjs: error: ...` line, last on stderr, with no stack trace or worker noise. */
function expectOneLineError(err: string): void {
  const lines = err.trim().split('\n');
  expect(lines.at(-1)).toMatch(/^mipjs: error: /);
  expect(lines.filter((l) => l.startsWith('mipjs: error:'))).toHaveLength(1);
  expect(err).not.toMatch(/^\s+at |ERR_IPC_CHANNEL_CLOSED|node:internal/m);
}

describe('mipjs bad input', () => {
  it.each([
    [
      ['train', '--algorithm', 'nope', ...TINY],
      /unknown algorithm 'nope'; valid algorithms: flow, regression/,
    ],
    [['train', '--task', 'nope', ...TINY], /--task: unknown task 'nope'; valid: checkerboard/],
    [['train', '--network', 'nope', ...TINY], /--network: unknown network 'nope'; valid: mlp/],
    [['train', ...TINY, '--backend', 'nope'], /--backend: unknown backend 'nope'; valid: auto/],
    [['train', ...TINY, '--threads', '0'], /--threads 0: expected a positive integer/],
    [
      ['train', ...TINY, '--backend', 'tensorflow'],
      /backend 'tensorflow' is not available.*pnpm add @tensorflow\/tfjs-node/s,
    ],
    [['train', ...TINY, '--steps', 'abc'], /--steps: expected a number, found 'abc'/],
    [['train', ...TINY, '--steps', '-3'], /--steps: expected a number > 0, found -3/],
    [['train', ...TINY, '--lr', '0'], /--lr: expected a number > 0, found 0/],
    // Issue 23: the flag the user typed, not the internal field (batchSize).
    [['train', ...TINY, '--batch', '0'], /invalid config: --batch: expected a number > 0, found 0$/m],
    // Issue 19: a typo in an options object used to train the default network silently.
    [
      ['train', ...TINY, '--network-options', '{"embDimm":16}'],
      /--network-options \(network 'mlp'\): unknown key 'embDimm'; valid keys: embDim, nLayers/,
    ],
    [
      ['train', ...TINY, '--algorithm', 'mip', '--loss-options', '{"tstar":0.8}'],
      /--loss-options \(algorithm 'mip'\): unknown key 'tstar'; valid keys: lossScale, norm, tStar, variant/,
    ],
    [
      ['train', ...TINY, '--loss-options', '{"lossScale":"big"}'],
      /--loss-options \(algorithm 'flow'\): 'lossScale': expected a number > 0, found 'big'/,
    ],
    [
      ['train', ...TINY, '--network-options', '"wide"'],
      /--network-options: expected a JSON object, found '"wide"'/,
    ],
    // Used to die after 24 s with 'memory access out of bounds'.
    [
      ['train', ...TINY, '--batch', '100000000'],
      /--batch 100000000: one training step needs about [\d.]+ [GTP]iB \([\d.]+ KiB per sample, measured on probe steps\), more than this machine's .* of memory \(backend cpu\); a batch of at most about \d+ fits/,
    ],
    [
      ['train', '--steps', '6', '--batch', '100000000', '--backend', 'wasm', '--quiet'],
      /--batch 100000000: one training step needs about .* more than the wasm backend's 4 GiB address space/,
    ],
    // Node 20's recursive mkdir spins forever at 100% CPU here.
    [['train', ...TINY, '--out', '/proc/mipjs-no/run'], /cannot create folder \/proc\/mipjs-no/],
    [
      ['train', '--task', 'pusht', '--data', '/no/such/file.zarr', ...TINY],
      /cannot read dataset \/no\/such\/file.zarr/,
    ],
    [['train', '--task', 'pusht', ...TINY], /data: task 'pusht' needs a dataset path/],
    [['train', '--algorithm', 'ctm', '--teacher', '/no/such/teacher', ...TINY], /cannot read teacher/],
    [
      ['train', '--algorithm-package', 'no-such-package-xyz', ...TINY],
      /cannot load algorithm package 'no-such-package-xyz'/,
    ],
    // Checked before any worker is forked: no ERR_IPC_CHANNEL_CLOSED traces from workers after it.
    [['compare', '--algorithms', 'flow,bogus', '--workers', '2', ...TINY], /unknown algorithm 'bogus'/],
    [['sweep', '--algorithms', 'bogus,flow', '--workers', '2', ...TINY], /unknown algorithm 'bogus'/],
    [
      ['compare', '--algorithms', 'flow', '--workers', '0', ...TINY],
      /--workers: expected a positive integer, found 0/,
    ],
    [
      ['sweep', '--algorithms', 'flow', '--set', 'bogus=1', ...TINY],
      /unknown config key 'bogus'; valid keys: .* \(in the --set combination bogus=1\)/,
    ],
    [['sweep', '--algorithms', 'flow', '--tasks', 'checkerboard,bogus', ...TINY], /unknown task 'bogus'/],
  ])('%s fails clearly and writes nothing', (args, message) => {
    const r = mipjs(args as string[]);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(message as RegExp);
    expectOneLineError(r.err);
    expect(existsSync(join(r.cwd, 'runs'))).toBe(false);
  });

  it('names the bad field of a config file', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'c.yaml'), 'steps: 10\nbatchSize: -1\nemaRate: 2\n');
    const r = mipjs(['train', '--config', join(dir, 'c.yaml'), '--backend', 'cpu'], dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/'batchSize' in .*c\.yaml: expected a number > 0, found -1/);
    expect(r.err).toMatch(/'emaRate' in .*c\.yaml: expected a number <= 1, found 2/);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(readdirSync(dir)).toEqual(['c.yaml']);
    // A string where an object belongs used to become an object of characters.
    writeFileSync(join(dir, 'c.yaml'), 'steps: 10\nnetworkOptions: wide\n');
    const wide = mipjs(['train', '--config', join(dir, 'c.yaml'), '--backend', 'cpu'], dir);
    expect(wide.err).toMatch(
      /invalid config: 'networkOptions' in .*c\.yaml: expected an object of options, found 'wide'/,
    );
    expectOneLineError(wide.err);
    writeFileSync(join(dir, 'c.yaml'), 'networkOptions: { embDim: 16, widht: 2 }\n');
    const typo = mipjs(['train', '--config', join(dir, 'c.yaml'), '--backend', 'cpu'], dir);
    expect(typo.err).toMatch(/'networkOptions.widht' in .*c\.yaml \(network 'mlp'\): unknown key 'widht'/);
    expect(readdirSync(dir)).toEqual(['c.yaml']);
  });

  it('a corrupt config.json, metrics.jsonl or weights file is named in one line', () => {
    const dir = tempDir();
    const out = join(dir, 'run');
    expect(mipjs(['train', ...TINY, '--out', out, '--no-eval'], dir).code).toBe(0);
    const config = readFileSync(join(out, 'config.json'), 'utf8');
    writeFileSync(join(out, 'config.json'), config.slice(0, 40));
    let r = mipjs(['eval', out, '--backend', 'cpu'], dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/run\/config\.json: expected a run config as JSON, found malformed JSON/);
    expectOneLineError(r.err);
    writeFileSync(join(out, 'config.json'), config);
    writeFileSync(join(out, 'metrics.jsonl'), '{"step": 2, "loss": 0.5}\n{"step": 4, "lo\n{"step": 6}\n');
    r = mipjs(['report', out], dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/metrics\.jsonl: line 2: expected metrics lines as one JSON object per line/);
    expectOneLineError(r.err);
    // One flipped bit in the EMA weights: plausible numbers before, a checksum error now.
    const bin = join(out, 'checkpoint', 'ema', 'network', 'weights.bin');
    const bytes = readFileSync(bin);
    bytes[7] = bytes[7]! ^ 0x01;
    writeFileSync(bin, bytes);
    r = mipjs(['eval', out, '--backend', 'cpu'], dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/weights\.bin: the weights data does not match its checksum/);
    expectOneLineError(r.err);
  });

  it('refuses to resume a folder of another config', () => {
    const dir = tempDir();
    const out = join(dir, 'run');
    expect(mipjs(['train', ...TINY, '--out', out, '--no-eval'], dir).code).toBe(0);
    const r = mipjs(['train', ...TINY, '--lr', '0.01', '--out', out, '--resume'], dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/another config[\s\S]*lr: saved/);
  });

  it('rejects a teacher of the wrong shape', () => {
    const dir = tempDir();
    const teacher = join(dir, 'teacher');
    expect(mipjs(['train', ...TINY, '--task', 'recon', '--out', teacher, '--no-eval'], dir).code).toBe(0);
    const r = mipjs(
      ['train', ...TINY, '--algorithm', 'ctm', '--teacher', teacher, '--out', join(dir, 'ctm')],
      dir,
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /teacher .* has the wrong shape for task 'checkerboard': actDim 1 \(task needs 2\)/,
    );
  });
});

describe('mipjs info', () => {
  it('lists backends, algorithms, networks and tasks', () => {
    const r = mipjs(['info', '--algorithm-package', 'mipjs-algorithm-example'], process.cwd());
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/wasm: available, 1 thread; --threads N for more/);
    expect(r.out).toMatch(/lsd +NFE 9, 3, 1 /);
    expect(r.out).toMatch(/mip +NFE 2 \(fixed\)/);
    expect(r.out).toMatch(/pusht_keypoint/);
    expect(r.out).toMatch(/weighted_flow.*\(package\)/);
    expect(r.out).toMatch(/networks: mlp, vanilla_mlp/);
    expect(r.out).toMatch(/checkerboard/);
    expect(r.out).toMatch(/^encoders: identity, mlp, per_step_mlp, image$/m);
    expect(r.out).toMatch(/^interpolants: linear/m);
  });

  it('lists the networks, encoders, tasks and schedules of packages beside the built-ins', () => {
    const pkg = 'mipjs-algorithm-example';
    const r = mipjs(
      [
        'info',
        ...['--network-package', pkg, '--encoder-package', pkg],
        ...['--task-package', pkg, '--interpolant-package', pkg],
      ],
      process.cwd(),
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^networks: mlp, .*, example_mlp \(package\)$/m);
    expect(r.out).toMatch(/^encoders: identity, mlp, per_step_mlp, image, example_mean \(package\)$/m);
    expect(r.out).toMatch(/^interpolants: .*quadratic \(package\)$/m);
    expect(r.out).toMatch(/^ {2}example_parabola +c in \[-1, 1\] -> a = \(c, c\^2\).*\(package\)$/m);
  });

  it('names the flag of a package that does not load', () => {
    const r = mipjs(['info', '--network-package', 'no-such-mipjs-package'], process.cwd());
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^mipjs: error: --network-package no-such-mipjs-package: cannot load the package/);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });
});

describe('mipjs compare (tiny, end to end)', () => {
  it('resumes with --resume, and a failed rerun never replaces good results', () => {
    const dir = tempDir();
    const out = join(dir, 'cmp');
    const args = [
      'compare',
      '--algorithms',
      'regression,flow',
      ...TINY,
      '--nfe',
      '1',
      '--out',
      out,
      '--workers',
      '1',
    ];
    expect(mipjs(args, dir).code).toBe(0);
    const rows = readFileSync(join(out, 'results.json'), 'utf8');
    expect(JSON.parse(rows)).toHaveLength(2);
    const again = mipjs(args, dir);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/already holds results; pass --resume to continue it/);
    const resumed = mipjs([...args, '--resume'], dir);
    expect(resumed.code).toBe(0);
    expect(resumed.err).toMatch(/compare: 2 runs, 2 already finished, 0 to run/);
    expect(readFileSync(join(out, 'results.json'), 'utf8')).toBe(rows);
    // The flow run is unfinished and its folder damaged: the rerun fails, the results stay.
    rmSync(join(out, 'flow-s0', 'result.json'));
    writeFileSync(join(out, 'flow-s0', 'config.json'), '{"task": "chec');
    const failed = mipjs([...args, '--resume'], dir);
    expect(failed.code).toBe(1);
    expect(failed.err).toMatch(/flow-s0.*config\.json: expected a run config as JSON/);
    expect(failed.err).toMatch(/results\.json keeps its 2 rows/);
    expect(readFileSync(join(out, 'results.json'), 'utf8')).toBe(rows);
  });

  it('trains, prints the table, writes rows and the report', () => {
    const dir = tempDir();
    const out = join(dir, 'cmp');
    const r = mipjs(
      [
        'compare',
        '--algorithms',
        'regression,flow,mip,lsd',
        ...TINY,
        '--nfe',
        '1,2',
        '--out',
        out,
        '--json',
        join(dir, 'rows.json'),
        '--workers',
        '2',
      ],
      dir,
    );
    expect(r.err).not.toMatch(/FAILED/);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /checkerboard: steps 6; batch 16; seeds 0; NFE regression 1, flow 1,2, mip 2, lsd 1,2;/,
    );
    expect(r.out).toMatch(/coverage: fraction of the 8 support cells/);
    expect(r.out).toMatch(/│ lsd/);
    expect(existsSync(join(out, 'report.md'))).toBe(true);
    expect(existsSync(join(out, 'plots', 'samples.png'))).toBe(true);
    const rows = JSON.parse(readFileSync(join(dir, 'rows.json'), 'utf8'));
    expect(rows[0]).toMatchObject({
      algorithm: 'regression',
      network: 'mlp',
      task: 'checkerboard',
      seed: 0,
      nfe: 1,
      steps: 6,
    });
    expect(Object.keys(rows[0].metrics).sort()).toEqual(['coverage', 'energy', 'inSupport', 'kl']);
    expect(
      rows.filter((x: { algorithm: string }) => x.algorithm === 'lsd').map((x: { nfe: number }) => x.nfe),
    ).toEqual([1, 2]);
  });
});

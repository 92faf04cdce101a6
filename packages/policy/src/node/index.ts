/**
 * `@mipjs/policy/node`: the file-system side of `@mipjs/policy` (Node only). Load a policy from a
 * run folder, and write / read its `policy.json`.
 *
 * ```ts
 * import '@tensorflow/tfjs';
 * import { loadPolicyFromRun } from '@mipjs/policy/node';
 * const policy = await loadPolicyFromRun('runs/mip-pusht', { expect: { task: 'pusht' } });
 * const chunk = policy.act(obsHistory, { nfe: 2, seed: 0 }); // [B, 16, 2] in pixels
 * ```
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { type LoadPolicyOptions, loadPolicy, type PolicyFiles } from '../load.js';
import { POLICY_MANIFEST_FILE, type PolicyManifest, parsePolicyManifest } from '../manifest.js';
import type { Policy } from '../policy.js';
import { PolicyError } from '../policy-error.js';

export * from '../index.js';

/** Options of {@link loadPolicyFromRun}. */
export interface LoadPolicyFromRunOptions extends LoadPolicyOptions {
  /** Use this manifest instead of the folder's `policy.json` (e.g. for a run that predates it). */
  manifest?: PolicyManifest;
}

/**
 * Loads the policy of a run folder: `policy.json`, the EMA weights and normalizers it names.
 * A folder without `policy.json` (or without the weights or normalizers) is a `missing-file`
 * {@link PolicyError}.
 */
export async function loadPolicyFromRun(
  dir: string,
  options: LoadPolicyFromRunOptions = {},
): Promise<Policy> {
  if (!options.manifest) {
    try {
      await stat(join(dir, POLICY_MANIFEST_FILE));
    } catch {
      throw new PolicyError(
        'missing-file',
        `${dir}: no ${POLICY_MANIFEST_FILE}; the bench writes it when a run saves its checkpoint ` +
          '(write one for an older run with writePolicyManifest)',
      );
    }
  }
  return loadPolicy(
    {
      label: dir,
      ...(options.manifest ? { manifest: options.manifest } : {}),
      readFile: async (path) => {
        const buf = await readFile(join(dir, ...path.split('/')));
        return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      },
    },
    options,
  );
}

/** Reads and checks a run folder's `policy.json`. */
export async function readPolicyManifest(dir: string): Promise<PolicyManifest> {
  const path = join(dir, POLICY_MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new PolicyError('missing-file', `${path} is missing`);
  }
  return parsePolicyManifest(text, path);
}

/**
 * Writes `dir/policy.json` atomically (a temp file beside it, then `rename`), after checking the
 * manifest; returns the path. The bench calls this when it saves a run's checkpoint.
 */
export async function writePolicyManifest(dir: string, manifest: PolicyManifest): Promise<string> {
  const path = join(dir, POLICY_MANIFEST_FILE);
  parsePolicyManifest(manifest, path);
  await mkdir(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now()}.${Math.floor(Math.random() * 1e9)}.tmp`;
  try {
    await writeFile(tmp, `${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  return path;
}

/**
 * Every file a run's policy needs, read into memory by relative path (`policy.json`, the weights
 * folders, the normalizers): what a server hands to a browser, or what `loadPolicy({ files })` takes.
 */
export async function readPolicyFiles(dir: string): Promise<PolicyFiles> {
  const manifest = await readPolicyManifest(dir);
  const files: Record<string, Uint8Array> = {};
  const add = async (path: string) => {
    try {
      files[path] = new Uint8Array(await readFile(join(dir, ...path.split('/'))));
    } catch {
      throw new PolicyError('missing-file', `${dir}: ${path} is missing`);
    }
  };
  await add(POLICY_MANIFEST_FILE);
  for (const w of [manifest.network, manifest.encoder]) {
    if (!w) continue;
    const folder = join(dir, ...w.weights.split('/'));
    let names: string[];
    try {
      names = await readdir(folder);
    } catch {
      throw new PolicyError('missing-file', `${dir}: ${w.weights} is missing (no weights saved)`);
    }
    for (const name of names) {
      const rel = relative(dir, join(folder, name)).split(sep).join('/');
      if (!name.endsWith('.tmp')) await add(rel);
    }
  }
  if (manifest.normalizers) await add(manifest.normalizers);
  return { manifest, files, label: dir };
}

// config/presets.ts: named recipes (`--preset NAME`), YAML files shipped in the package's presets/ folder.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, readConfigFile } from './config.js';

/** The folder of the shipped presets (`packages/bench/presets`, next to `dist/`). */
export const PRESETS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../presets');

/** A preset: run-config fields, plus what `compare` runs (algorithms, seeds) when the flags do not say. */
export interface Preset {
  name: string;
  /** Run-config fields (merged below `--config` and the flags). */
  fields: Record<string, unknown>;
  algorithms?: string[];
  seeds?: number[];
}

/** Names of the shipped presets. */
export function presetNames(): string[] {
  if (!existsSync(PRESETS_DIR)) return [];
  return readdirSync(PRESETS_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}

/**
 * Reads the preset `name` (`presets/<name>.yaml`). A relative `data` path is resolved against the
 * preset's folder, so `pusht` finds the repository's committed copy of the demonstrations
 * (`dataGiven`: a `--data` flag replaces it, so it need not exist).
 */
export function readPreset(name: string, options: { dataGiven?: boolean } = {}): Preset {
  const names = presetNames();
  if (!names.includes(name)) {
    throw new ConfigError(`unknown --preset '${name}'; valid: ${names.join(', ') || '(none shipped)'}`);
  }
  const path = join(PRESETS_DIR, `${name}.yaml`);
  const { algorithms, seeds, ...fields } = readConfigFile(path);
  if (
    algorithms !== undefined &&
    !(Array.isArray(algorithms) && algorithms.every((a) => typeof a === 'string'))
  ) {
    throw new ConfigError(`preset ${path}: algorithms must be a list of names`);
  }
  if (seeds !== undefined && !(Array.isArray(seeds) && seeds.every((s) => Number.isInteger(s)))) {
    throw new ConfigError(`preset ${path}: seeds must be a list of integers`);
  }
  if (typeof fields.data === 'string' && !isAbsolute(fields.data)) {
    const data = resolve(PRESETS_DIR, fields.data);
    if (!existsSync(data) && !options.dataGiven) {
      throw new ConfigError(
        `preset '${name}': its dataset ${data} is not here (it ships with the repository); pass --data PATH`,
      );
    }
    fields.data = data;
  }
  return {
    name,
    fields,
    algorithms: algorithms as string[] | undefined,
    seeds: seeds as number[] | undefined,
  };
}

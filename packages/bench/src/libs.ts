import * as data from '@mipjs/data';
import * as nets from '@mipjs/nets';
import * as samplers from '@mipjs/samplers';

/**
 * Exports of the libraries that were still being written when the bench was wired. They are
 * looked up by name at run time, so the bench builds against the libraries as they stand; a
 * missing export is a clear error naming the package and the export, never a silent fallback.
 * Once an export exists, the bench uses it as it is.
 */
export class MissingExportError extends Error {
  override name = 'MissingExportError';
}

const packages = {
  '@mipjs/nets': nets as unknown as Record<string, unknown>,
  '@mipjs/samplers': samplers as unknown as Record<string, unknown>,
  '@mipjs/data': data as unknown as Record<string, unknown>,
};

/** The first of `names` that `pkg` exports as a function, or null. */
export function findExport<T>(pkg: keyof typeof packages, ...names: string[]): T | null {
  for (const name of names) {
    const v = packages[pkg][name];
    if (typeof v === 'function') return v as T;
  }
  return null;
}

/** Like {@link findExport}, but a missing export is a {@link MissingExportError}. */
export function requireExport<T>(pkg: keyof typeof packages, ...names: string[]): T {
  const found = findExport<T>(pkg, ...names);
  if (found) return found;
  throw new MissingExportError(
    `${pkg} does not export ${names.map((n) => `'${n}'`).join(' or ')} in this build; the bench needs it here`,
  );
}

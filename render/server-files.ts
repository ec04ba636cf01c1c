/**
 * Safe access to a runs folder for the viewer's server: URL segments are decoded and checked one by one,
 * and every file is opened through its real path, which must lie inside the real path of the runs folder
 * (so `..`, `%2e%2e`, absolute paths and symlinks that leave the folder all fail the same way).
 */
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';

/** A request for something outside the served folder (answered 403) or for something absent (404). */
export class ForbiddenPath extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForbiddenPath';
  }
}

/**
 * Splits a raw request path (`/api/runs/a%20b/episodes`) into decoded segments. Throws `ForbiddenPath` for a
 * segment that decodes to `.`, `..`, an empty name, or one holding `/`, `\` or NUL, and for bad escapes: the
 * checks run on the raw text because WHATWG URL parsing would silently resolve `%2e%2e` away.
 */
export function pathSegments(rawPath: string): string[] {
  const path = rawPath.split('?')[0]!.split('#')[0]!;
  const parts = path.split('/').filter((p, i) => !(i === 0 && p === ''));
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop(); // a trailing slash
  return parts.map((raw) => {
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      throw new ForbiddenPath(`Expected a URL-encoded path segment, got ${JSON.stringify(raw)}.`);
    }
    if (seg === '' || seg === '.' || seg === '..' || /[/\\\0]/.test(seg) || isAbsolute(seg)) {
      throw new ForbiddenPath(`Expected a plain file or folder name in the path, got ${JSON.stringify(seg)}.`);
    }
    return seg;
  });
}

/** Whether `child` is `parent` or lies below it (both absolute, already real paths). */
export function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * The real path of `root/…segments` when it exists and lies inside the real `root`; throws `ForbiddenPath`
 * when it leaves the folder (a symlink out, say) and returns `null` when it does not exist.
 */
export async function resolveInside(root: string, segments: readonly string[]): Promise<string | null> {
  const realRoot = await realpath(root);
  let real: string;
  try {
    real = await realpath(join(realRoot, ...segments));
  } catch {
    return null;
  }
  if (!isInside(realRoot, real)) {
    throw new ForbiddenPath(`Expected a path inside the served folder, got one that resolves outside it.`);
  }
  return real;
}

/** Like `resolveInside`, but only for regular files. */
export async function resolveFileInside(root: string, segments: readonly string[]): Promise<string | null> {
  const real = await resolveInside(root, segments);
  if (real === null) return null;
  const s = await stat(real);
  return s.isFile() ? real : null;
}

/**
 * Where the built viewer lives and how to build it. In a checkout the viewer's sources sit in render/viewer/
 * and Vite builds them to dist/viewer/; an installed package ships dist/viewer/ prebuilt.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The command that builds the viewer in a checkout. */
export const BUILD_COMMAND = 'npm run build:viewer';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

/** The viewer's Vite project (render/viewer/), or `null` when the sources are not shipped. */
export function viewerSourceDir(): string | null {
  const dir = here('./viewer/');
  return existsSync(join(dir, 'index.html')) ? dir : null;
}

/**
 * The folder of the built viewer: dist/viewer/ at the package root, found from this file both as a source
 * (render/server-build.ts) and compiled (dist/render/server-build.js).
 */
export function defaultViewerDir(): string {
  const fromSource = here('../dist/viewer/');
  const compiled = here('../viewer/');
  if (existsSync(join(fromSource, 'index.html'))) return fromSource;
  if (existsSync(join(compiled, 'index.html')) && !existsSync(join(compiled, 'vite.config.ts'))) return compiled;
  return fromSource;
}

function newestMtime(dir: string, skip: (name: string) => boolean): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (skip(entry.name)) continue;
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p, skip) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Files outside render/viewer/ that the viewer bundles. */
const VIEWER_IMPORTS = ['./draw-scene.ts', './view.ts', '../core/scene.ts', '../core/errors.ts'];

/**
 * Whether `outDir` lacks a build, or (in a checkout) is older than any source the viewer bundles:
 * render/viewer/ and `VIEWER_IMPORTS`.
 */
export function viewerNeedsBuild(outDir: string): boolean {
  const index = join(outDir, 'index.html');
  if (!existsSync(index)) return true;
  const src = viewerSourceDir();
  if (src === null) return false;
  const built = statSync(index).mtimeMs;
  const mtime = (p: string): number => (existsSync(p) ? statSync(p).mtimeMs : 0);
  // What the bundle pulls in besides its own folder: the shared scene drawing and the scene types.
  const sources = Math.max(newestMtime(src, (n) => n === 'node_modules'), ...VIEWER_IMPORTS.map((p) => mtime(here(p))));
  return sources > built;
}

/** Builds the viewer with Vite into `outDir` (quietly); throws when Vite or the sources are missing. */
export async function buildViewer(outDir: string): Promise<void> {
  const src = viewerSourceDir();
  if (src === null) throw new Error(`Expected the viewer's sources next to the server, got none: reinstall rxgym or run ${BUILD_COMMAND} in a checkout.`);
  // A computed specifier: vite is a dev dependency and an installed package never gets here.
  const vite = (await import(['vite'][0]!)) as typeof import('vite');
  // Build beside the target and swap it in, so a server (or a second build) never sees half a folder.
  const tmp = `${outDir.replace(/[\\/]+$/, '')}.building-${process.pid}-${Date.now()}`;
  try {
    await vite.build({ configFile: join(src, 'vite.config.ts'), logLevel: 'warn', build: { outDir: tmp, emptyOutDir: true } });
    await rm(outDir, { recursive: true, force: true });
    await rename(tmp, outDir);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

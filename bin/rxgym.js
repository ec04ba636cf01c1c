#!/usr/bin/env node
// The rxgym command. In a checkout it runs the TypeScript sources through tsx (no build step to forget);
// an installed package runs its compiled dist/. tsx is registered either way so that
// `rxgym check-env ./my-env.ts` can load a user's TypeScript module.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const source = fileURLToPath(new URL('../cli/main.ts', import.meta.url));
if (existsSync(source)) {
  await import(pathToFileURL(source).href);
} else {
  await import('../dist/cli/main.js');
}

import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALGORITHMS, algorithm, loadPresets } from '../../agents/registry.js';
import { resolveModelBasedConfig } from '../../agents/model-based.js';

describe('presets/<algo>.json', () => {
  const files = readdirSync(new URL('../../presets/', import.meta.url)).filter((f) => f.endsWith('.json'));

  it('exist only for registered algorithms', () => {
    for (const f of files) expect(Object.keys(ALGORITHMS)).toContain(f.replace(/\.json$/, ''));
  });

  for (const f of files) {
    const algo = f.replace(/\.json$/, '');
    it(`${f} holds settings only (steps, config, evalEvery, worldModel), and every config is valid for ${algo}`, () => {
      const raw = JSON.parse(readFileSync(new URL(`../../presets/${f}`, import.meta.url), 'utf8')) as Record<string, unknown>;
      const presets = loadPresets(algo);
      expect(Object.keys(presets).length).toBeGreaterThan(0);
      expect(Object.keys(presets).length).toBe(Object.keys(raw).filter((k) => !k.startsWith('_')).length);
      for (const [name, p] of Object.entries(presets)) {
        expect(Object.keys(p).every((k) => ['steps', 'config', 'evalEvery', 'worldModel'].includes(k)), `${algo} preset ${name}: ${Object.keys(p).join(', ')}`).toBe(true);
        if (p.worldModel !== undefined) expect(() => resolveModelBasedConfig(p.worldModel)).not.toThrow();
        expect(Number.isSafeInteger(p.steps) && p.steps > 0).toBe(true);
        expect(() => algorithm(algo).resolveConfig(p.config)).not.toThrow();
      }
    });
  }
});

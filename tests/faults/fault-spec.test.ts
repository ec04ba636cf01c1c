// RXGYM_FAULT_KILL's format, and that without it no kill point is armed (the kills themselves: faults.test.ts).
import { describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../core/errors.js';
import { CHECKPOINT_STAGES, FAULT_ENV, FAULT_STAGES, checkpointFaults, faultHit, parseFaultSpec } from '../../core/node/checkpoint/fault.js';

describe('RXGYM_FAULT_KILL', () => {
  it('parses <stage>:<n> for every stage, plain or qualified by checkpoint./final.', () => {
    expect(parseFaultSpec('manifest:2')).toEqual({ stage: 'manifest', n: 2 });
    expect(parseFaultSpec('final.swap:1')).toEqual({ stage: 'final.swap', n: 1 });
    expect(parseFaultSpec('checkpoint.temp:12')).toEqual({ stage: 'checkpoint.temp', n: 12 });
    for (const stage of [...CHECKPOINT_STAGES, 'replay', 'metrics', 'config']) expect(parseFaultSpec(`${stage}:1`)?.stage).toBe(stage);
    expect(FAULT_STAGES).toHaveLength(3 * CHECKPOINT_STAGES.length + 3);
  });

  it('is off when unset or empty, and refuses a typo or a bad count by naming the variable', () => {
    expect(parseFaultSpec(undefined)).toBeNull();
    expect(parseFaultSpec('')).toBeNull();
    for (const bad of ['manifets:1', 'manifest', 'manifest:0', 'manifest:-1', 'manifest:1.5', 'final.replay:1', ' manifest:1']) {
      expect(() => parseFaultSpec(bad), bad).toThrow(InvalidConfig);
    }
    expect(() => parseFaultSpec('swap:x')).toThrow(`Expected ${FAULT_ENV} to be <stage>:<n>`);
  });

  it('arms nothing in a process started without it', () => {
    expect(process.env[FAULT_ENV]).toBeUndefined();
    expect(checkpointFaults(true)).toBeUndefined();
    expect(faultHit('manifest', 'final.manifest')).toBe(false);
  });
});

/** Registers every built-in environment once, on first import. */
import { registrations as bsuite } from './bsuite/index.js';
import { registrations as classicControl } from './classic-control/index.js';
import { isRegistered, register } from './registry.js';
import { registrations as toyText } from './toy-text/index.js';

for (const registration of [...classicControl, ...toyText, ...bsuite]) {
  if (!isRegistered(registration.id)) register(registration);
}

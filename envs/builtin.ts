/** Registers every built-in environment once, on first import. */
import { registrations as classicControl } from './classic-control/index.js';
import { isRegistered, register } from './registry.js';
import { registrations as toyText } from './toy-text/index.js';

for (const registration of [...classicControl, ...toyText]) {
  if (!isRegistered(registration.id)) register(registration);
}

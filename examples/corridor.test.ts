import { testEnvConformance } from 'rxgym/testing';
import { Corridor } from './corridor.js';

testEnvConformance('Corridor', () => new Corridor({ length: 6 }));

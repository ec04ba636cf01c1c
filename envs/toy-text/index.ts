/** Toy-text environments (FrozenLake, CliffWalking, Taxi, Blackjack). */
import type { Registration } from '../registry.js';

/** Registrations of the toy-text environments, with Gymnasium's limits and thresholds. */
export const registrations: Registration[] = [];

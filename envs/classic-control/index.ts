/** Classic-control environments (CartPole, MountainCar, MountainCarContinuous, Pendulum, Acrobot). */
import type { Registration } from '../registry.js';

/** Registrations of the classic-control environments, with Gymnasium's limits and thresholds. */
export const registrations: Registration[] = [];

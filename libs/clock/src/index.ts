export { Clock, SystemClock, FakeClock } from './clock.js';
export { ClockModule } from './clock.module.js';
export { PeriodicJobs, type PeriodicJobOptions } from './periodic-jobs.js';
export { seededRandom } from './seeded-random.js';

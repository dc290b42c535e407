export { Clock, SystemClock, FakeClock } from './clock.js';
export { ClockModule } from './clock.module.js';
export { PeriodicJobs, type PeriodicJobOptions } from './periodic-jobs.js';
export { seededRandom } from './seeded-random.js';
export { LoopPriority, doorsFirst, MAX_HOLD_MS, MAX_WAIT_MS } from './loop-priority.js';

export { Clock, SystemClock, FakeClock } from './clock.js';

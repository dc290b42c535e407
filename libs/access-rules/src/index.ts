export * from './model.js';
export { isWithinSchedule, nextScheduleChange, validateSchedule, SCHEDULE_LOOKAHEAD_MS } from './schedule.js';
export { evaluateAccess, doorsForPerson, whoMayOpen, personsCoveredByDoors } from './effective-access.js';
export type { DoorAccessAnswer, PersonAccessAnswer } from './effective-access.js';

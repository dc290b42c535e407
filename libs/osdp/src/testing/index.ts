// Test doubles for code that drives an OSDP bus: fake timers on a FakeClock and scripted PDs.
export { ManualTimers, settle } from './manual-timers.js';
export { ScriptedLine, ScriptedPd, type ReceivedCommand, type ScriptedPdOptions } from './scripted-pd.js';

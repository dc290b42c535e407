export { CardFleet, type CardFleetEvents, type CardPresented, type CardReaderState, type PinEntered } from './card-fleet.js';
export { CardFleetModule } from './card-fleet.module.js';
export { DeskInputTimeout, nextAtReader } from './desk-input.js';
export { feedbackCommands, type Feedback } from './feedback.js';
export { KeypadEntry, KEYPAD_IDLE_MS } from './keypad-entry.js';

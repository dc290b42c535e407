export { VirtualController, type VirtualControllerOptions, type VirtualControllerEvents, type RejectReason } from './virtual-controller.js';
export { DoorUnit, type DoorTimings } from './door-unit.js';
export { handleControlLine, startControlServer, CONTROL_HELP } from './control-interface.js';

export * from './virtual-pd.js';
export * from './pd-model.js';
export * from './virtual-osdp-bus.js';
export * from './pd-state.store.js';
export * from './wiegand.js';
export * from './control.js';
export * from './serial.attachment.js';
export * from './tcp.attachment.js';
export { runOsdpSimulator, type RunningOsdpSimulator } from './cli.js';

export * from './virtual-reader.js';
export * from './finger.model.js';
export * from './flash.store.js';
export * from './wire-pacer.js';
export * from './control.js';
export * from './tcp.attachment.js';
export * from './serial.attachment.js';
export * from './mock-binding.attachment.js';
export { runSimulator, type RunningSimulator } from './cli.js';

export { readEventStream, type StreamEvent } from './read-event-stream.js';

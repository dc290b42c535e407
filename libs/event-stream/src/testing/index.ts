export { chunkedBody } from './chunked-body.js';

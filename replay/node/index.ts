/** The Node-only part of rxgym/replay: buffers saved to and loaded from folders. */
export { saveReplay, loadReplay, readReplayHeader, type LoadReplayExpectation, type ReplayHeader, type FieldEntry } from './files.js';

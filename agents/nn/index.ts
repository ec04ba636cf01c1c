/** Neural-network engines behind small interfaces: backend selection, the Q-function and its factory. */
export { qNetwork, resolveQNetworkConfig, DEFAULT_Q_NETWORK_CONFIG, optimizerEpsilon } from './q-network.js';
export type { QFunction, QNetworkConfig, NetworkState, NamedArray } from './q-network.js';
export { initBackend, backendInfo, describeBackend, selectedBackend, BackendUnavailable } from './backend.js';
export type { BackendInfo, BackendName } from './backend.js';
export { IncompatibleState } from './params.js';
export { chooseEngine, macsPerSample, PLAIN_JS_WORK_LIMIT, NATIVE_WORK_LIMIT } from './engine-choice.js';

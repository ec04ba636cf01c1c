/** Neural-network engines behind small interfaces: backend selection, the Q-function and its factory. */
export { initBackend, backendInfo, describeBackend, BackendUnavailable } from './backend.js';
export type { BackendInfo, BackendName } from './backend.js';
export { qNetwork, resolveQNetworkConfig, DEFAULT_Q_NETWORK_CONFIG, optimizerEpsilon } from './q-network.js';
export type { QFunction, QNetworkConfig, NetworkState, NamedArray } from './q-network.js';

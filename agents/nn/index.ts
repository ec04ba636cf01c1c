/**
 * Neural-network engines behind one small interface, `QFunction`:
 *
 *   const info = await initBackend();          // tfjs-node if it loads, else wasm, else cpu (RXGYM_BACKEND overrides)
 *   console.log(describeBackend(info));        // "tfjs 4.22.0 on wasm (SIMD on, threads off)"
 *   const q = qNetwork({ obsDim: 4, numActions: 2, hidden: [64, 64], learningRate: 1e-4 });
 *   const target = q.clone();
 *   const a = q.act(obs);                                   // greedy action, no tensors on the plain engine
 *   target.predict(nextObs, 32, nextQ);                     // 32 x numActions Q-values into nextQ
 *   const loss = q.fit(obs32, actions32, targets32, 32);    // one Adam step on Huber(Q(s, a) - target)
 *   target.updateFrom(q, 1);                                // hard copy; tau < 1 for Polyak
 *   const state = q.getState();                             // named Float32Arrays for checkpoints
 *
 * Engine 'auto' picks the plain Float32Array MLP (WebAssembly SIMD matMul) for MLPs, layer norm included, and
 * tfjs for conv torsos; see engine-choice.ts for the measurements behind it.
 */
export { qNetwork, resolveQNetworkConfig, DEFAULT_Q_NETWORK_CONFIG, optimizerEpsilon } from './q-network.js';
export type { QFunction, QNetworkConfig, NetworkState, NamedArray } from './q-network.js';
export { initBackend, backendInfo, describeBackend, selectedBackend, BackendUnavailable } from './backend.js';
export type { BackendInfo, BackendName } from './backend.js';
export { IncompatibleState } from './params.js';
export { chooseEngine, macsPerSample, PLAIN_JS_WORK_LIMIT, NATIVE_WORK_LIMIT } from './engine-choice.js';

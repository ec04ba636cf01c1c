/**
 * The rxgym viewer: pick a run and a recorded episode, play it back frame by frame with its per-step reward
 * (and value) plotted under the scene, and compare learning curves of several runs. In live mode the server
 * pushes sampled scenes and metrics of a training run over a WebSocket.
 *
 * Deep links: `?run=<run>&episode=<file>&frame=<k>`; `?live` opens the live view.
 */
import { fetchEpisode, fetchEpisodes, fetchInfo, fetchMetrics, fetchRuns, type EpisodeData, type EpisodeListing, type MetricsRow, type RunInfo } from './api.js';
import { LiveConnection } from './live.js';
import { LinePlot, type Series } from './plot.js';
import { finiteRange, formatNumber, scaleToUnit, smoothEma } from './plot-math.js';
import { Player, SPEEDS } from './player.js';
import { Stage } from './stage.js';
import type { LiveSceneMeta } from '../../server-ws.js';
import type { Scene } from '../../../core/scene.js';

// Green is kept for the live run.
const PALETTE = ['#7c9cff', '#f472b6', '#fbbf24', '#a78bfa', '#fb923c', '#22d3ee', '#f87171', '#e2e8f0'];
const LIVE = '\u0000live';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
const el = <K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};

// ---------------------------------------------------------------------------------------------- state
const app = $('app');
const params = new URLSearchParams(location.search);
const state = {
  runs: [] as RunInfo[],
  run: null as string | null,
  overlay: new Set<string>(),
  colors: new Map<string, string>(),
  metrics: new Map<string, MetricsRow[]>(),
  episodes: [] as EpisodeListing[],
  file: null as string | null,
  episode: null as EpisodeData | null,
  cumulative: [] as number[],
  live: false,
  liveRows: [] as MetricsRow[],
  liveRewards: { xs: [] as number[], ys: [] as number[], values: [] as number[], episode: -1 },
  smoothing: 0.6,
  /** Scale each run's curves to its own [0, 1]; null follows the runs (on when they are of different envs). */
  perRun: null as boolean | null,
};
const player = new Player(0, 30);
let stage: Stage | null = null;
let live: LiveConnection | null = null;

// ---------------------------------------------------------------------------------------------- plots
const stepPlot = new LinePlot($('step-plot'), {
  title: 'Reward per step',
  xLabel: 'frame',
  emptyText: 'rewards of the episode appear here',
  onSeek: (x) => {
    if (state.run === LIVE) return;
    player.playing = false;
    player.seek(x);
    showFrame();
  },
});
const returnPlot = new LinePlot($('plot-return'), { title: 'Episode return', xLabel: 'env steps', emptyText: 'no finished episodes in metrics.jsonl' });
const lossPlot = new LinePlot($('plot-loss'), { title: 'Loss', xLabel: 'env steps', emptyText: 'no loss logged' });
const epsPlot = new LinePlot($('plot-epsilon'), { title: 'Exploration ε', xLabel: 'env steps', emptyText: 'no epsilon logged' });

function colorOf(run: string): string {
  let c = state.colors.get(run);
  if (c === undefined) {
    c = run === LIVE ? '#34d399' : PALETTE[state.colors.size % PALETTE.length]!;
    state.colors.set(run, c);
  }
  return c;
}

/** Short names of runs for the legend (`CartPole-v1 · DQN 21:00`), set when the run list loads. */
const shortNames = new Map<string, string>();
const runLabel = (run: string): string => (run === LIVE ? 'live run' : (shortNames.get(run) ?? run));

function notice(text: string | null): void {
  const n = $('notice');
  n.hidden = text === null;
  n.textContent = text ?? '';
  n.title = text ?? '';
}

// ---------------------------------------------------------------------------------------------- runs
function renderRuns(): void {
  const ul = $('runs');
  ul.replaceChildren();
  const entries: { name: string; title: string; meta: string }[] = [];
  if (state.live) entries.push({ name: LIVE, title: 'Training now', meta: `${state.liveRows.filter((r) => r.kind === 'episode').length} episodes streamed` });
  for (const r of state.runs) {
    // Run folders are <algo>-<env>-<YYYYMMDD-HHMMSS>: show what and when, keep the folder name as the tooltip.
    const when = /(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})\d{2}(-\d+)?$/.exec(r.name);
    const title = r.env !== null ? `${r.env}${r.algo ? ` · ${r.algo.toUpperCase()}` : ''}` : r.name;
    const stamp = when ? `${when[1]}-${when[2]}-${when[3]} ${when[4]}:${when[5]}${when[6] ?? ''}` : ago(r.modified);
    entries.push({ name: r.name, title, meta: `${stamp} · ${r.episodes} recording${r.episodes === 1 ? '' : 's'}` });
    shortNames.set(r.name, when ? `${title} ${when[4]}:${when[5]}${when[6] ?? ''}` : title);
  }
  if (entries.length === 0) {
    ul.append(el('li', 'empty-row', 'No runs here yet. Train one with rxgym train.'));
    return;
  }
  for (const e of entries) {
    const li = el('li');
    li.dataset.run = e.name;
    li.title = e.name === LIVE ? 'the run training now' : e.name;
    li.classList.toggle('selected', state.run === e.name);
    li.classList.toggle('live', e.name === LIVE);
    const sw = el('button', `swatch${state.overlay.has(e.name) ? ' on' : ''}`);
    sw.style.setProperty('--c', colorOf(e.name));
    sw.title = state.overlay.has(e.name) ? 'Hide from the learning curves' : 'Show in the learning curves';
    sw.setAttribute('aria-label', sw.title);
    sw.addEventListener('click', (ev) => {
      ev.stopPropagation();
      if (state.overlay.has(e.name)) state.overlay.delete(e.name);
      else state.overlay.add(e.name);
      renderRuns();
      void loadCurves();
    });
    const text = el('div');
    text.append(el('div', 'run-name', e.title), el('div', 'run-meta', e.meta));
    li.append(sw, text);
    li.addEventListener('click', () => void selectRun(e.name));
    ul.append(li);
  }
}

function ago(ms: number): string {
  const s = Math.max(0, (Date.now() - ms) / 1000);
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return new Date(ms).toISOString().slice(0, 10);
}

async function selectRun(name: string, file?: string | null): Promise<void> {
  state.run = name;
  if (!state.overlay.has(name)) state.overlay.add(name);
  renderRuns();
  void loadCurves();
  $('crumb-run').textContent = name === LIVE ? 'Live training run' : name;
  if (name === LIVE) {
    state.episodes = [];
    renderEpisodes();
    enterLive();
    return;
  }
  leaveLive();
  try {
    state.episodes = await fetchEpisodes(name);
    notice(null);
  } catch (err) {
    state.episodes = [];
    notice(`Could not list the episodes of ${name}: ${(err as Error).message}`);
  }
  renderEpisodes();
  const playable = state.episodes.filter((e) => e.ok);
  const pick = file && state.episodes.some((e) => e.file === file) ? file : (playable[playable.length - 1]?.file ?? null);
  if (pick !== null) await selectEpisode(pick);
  else clearEpisode(state.episodes.length > 0 ? 'Every recording of this run is corrupt' : 'This run has no recorded episodes');
}

// ---------------------------------------------------------------------------------------------- episodes
function episodeName(e: EpisodeListing): string {
  // Greedy evaluation recordings (eval-<k>.ndjson) are told apart from training episodes.
  if (e.file.startsWith('eval-')) return `eval ${e.episode ?? e.file.replace(/^eval-|\.ndjson$/g, '')}`;
  if (e.episode !== null) return `#${e.episode}`;
  return e.file.replace(/\.ndjson$/, '').replace(/^episode-/, '#');
}

function renderEpisodes(): void {
  const ul = $('episodes');
  ul.replaceChildren();
  const ok = state.episodes.filter((e) => e.ok);
  $('episode-count').textContent = state.episodes.length > 0 ? `${ok.length}${ok.length < state.episodes.length ? ` of ${state.episodes.length}` : ''}` : '';
  if (state.episodes.length === 0) {
    ul.append(el('li', 'empty-row', state.run === LIVE ? 'Live scenes are not recorded here.' : 'No recordings in episodes/.'));
    return;
  }
  const rets = ok.map((e) => e.return!);
  const lo = Math.min(0, ...rets);
  const hi = Math.max(...rets, lo + 1e-9);
  for (const e of state.episodes) {
    const li = el('li', e.ok ? '' : 'corrupt');
    li.dataset.file = e.file;
    li.classList.toggle('selected', e.file === state.file);
    li.append(el('span', 'ep-name', episodeName(e)));
    const ret = el('span', 'ret');
    if (e.ok) {
      const bar = el('i');
      bar.style.width = `${Math.max(2, ((e.return! - lo) / (hi - lo)) * 100)}%`;
      ret.append(bar, el('b', '', formatNumber(e.return!)));
    } else ret.textContent = 'corrupt';
    li.append(ret, el('span', 'len', e.ok ? String(e.length) : '—'));
    if (e.ok) li.addEventListener('click', () => void selectEpisode(e.file));
    else li.title = e.error ?? 'corrupt recording';
    ul.append(li);
  }
}

async function selectEpisode(file: string, frame = 0): Promise<void> {
  if (state.run === null || state.run === LIVE) return;
  state.file = file;
  for (const li of $('episodes').querySelectorAll('li')) li.classList.toggle('selected', li.dataset.file === file);
  $('crumb-episode').textContent = file;
  let ep: EpisodeData;
  try {
    ep = await fetchEpisode(state.run, file);
  } catch (err) {
    clearEpisode(`Cannot play ${file}`);
    notice((err as Error).message);
    return;
  }
  if (state.file !== file) return; // another click won
  notice(null);
  const envId = typeof ep.header.envId === 'string' ? ep.header.envId : null;
  $('crumb-episode').textContent = [file, envId, `${ep.fps} fps`].filter(Boolean).join(' · ');
  state.episode = ep;
  state.cumulative = [];
  let sum = 0;
  for (const f of ep.frames) state.cumulative.push((sum += f.reward));
  player.load(ep.frames.length, ep.fps);
  player.seek(frame);
  const timeline = $<HTMLInputElement>('timeline');
  timeline.max = String(Math.max(0, ep.frames.length - 1));
  const xs = ep.frames.map((_, i) => i);
  const series: Series[] = [{ name: 'reward', color: '#7c9cff', xs, ys: ep.frames.map((f) => f.reward), bars: true, alpha: 0.85 }];
  const hasValue = ep.frames.some((f) => f.value !== null);
  if (hasValue) series.push({ name: 'value', color: '#fbbf24', xs, ys: ep.frames.map((f) => f.value ?? NaN), width: 2 });
  stepPlot.setTitle(hasValue ? 'Reward and value per step' : 'Reward per step', 'frame');
  stepPlot.setSeries(series);
  setTransportEnabled(true);
  $('stage-empty').hidden = true;
  showFrame();
  history.replaceState(null, '', `?run=${encodeURIComponent(state.run)}&episode=${encodeURIComponent(file)}`);
}

function clearEpisode(message: string): void {
  state.episode = null;
  state.file = null;
  player.load(0, 30);
  stage?.clear();
  stepPlot.setTitle('Reward per step', 'frame');
  stepPlot.setSeries([]);
  $('stage-empty').hidden = false;
  $('stage-empty').textContent = message;
  $('crumb-episode').textContent = '—';
  clearReadouts();
  setTransportEnabled(false);
  updateTransport();
  app.dataset.state = 'ready';
}

/** Blanks the cards under the player, so a run without recordings does not show the previous run's frame. */
function clearReadouts(): void {
  for (const id of ['ro-reward', 'ro-return', 'ro-value', 'ro-action']) $(id).textContent = '—';
  $('ro-q').textContent = '';
  $('ro-q').title = '';
}

function setTransportEnabled(on: boolean): void {
  for (const id of ['btn-first', 'btn-prev', 'btn-play', 'btn-next', 'btn-last', 'timeline', 'speed']) ($(id) as HTMLButtonElement).disabled = !on;
}

function showFrame(): void {
  const ep = state.episode;
  if (ep === null || ep.frames.length === 0) return;
  const i = player.index;
  const f = ep.frames[i]!;
  void drawScene(f.scene);
  stepPlot.setCursor(i);
  $('ro-reward').textContent = formatNumber(f.reward);
  $('ro-return').textContent = formatNumber(state.cumulative[i]!);
  $('ro-value').textContent = f.value === null ? '—' : formatNumber(f.value) + (f.qSpread === null ? '' : ` ± ${formatNumber(f.qSpread)}`);
  // Per-action Q values, when recorded, go on a small line of their own under the value, so neither is cut.
  const q = f.q !== null && f.q.length <= 8 ? `Q ${f.q.map(formatNumber).join(' · ')}` : '';
  $('ro-q').textContent = q;
  $('ro-q').title = f.q !== null ? `Q = [${f.q.join(', ')}]` : '';
  $('ro-action').textContent = f.reset ? 'reset' : f.action === null ? '—' : typeof f.action === 'number' ? String(f.action) : JSON.stringify(f.action);
  updateTransport();
}

function updateTransport(): void {
  const n = player.frameCount;
  const timeline = $<HTMLInputElement>('timeline');
  timeline.value = String(player.index);
  timeline.style.setProperty('--p', `${n > 1 ? (player.index / (n - 1)) * 100 : 0}%`);
  $('frame-label').textContent = `${n === 0 ? 0 : player.index + 1} / ${n}`;
  app.classList.toggle('playing', player.playing);
  $('btn-play').setAttribute('aria-label', player.playing ? 'Pause' : 'Play');
  $<HTMLSelectElement>('speed').value = String(player.speed);
}

let drawing: Promise<void> = Promise.resolve();
let pendingScene: Scene | null = null;
/** Draws the newest requested scene; scenes asked for while one draws are coalesced. */
function drawScene(scene: Scene): Promise<void> {
  pendingScene = scene;
  drawing = drawing.then(async () => {
    const s = pendingScene;
    pendingScene = null;
    if (s === null) return;
    stage ??= await Stage.create($('stage'));
    stage.draw(s);
    app.dataset.frame = String(player.index);
    app.dataset.state = 'ready';
  });
  return drawing;
}

// ---------------------------------------------------------------------------------------------- curves
async function loadCurves(): Promise<void> {
  await Promise.all(
    [...state.overlay]
      .filter((r) => r !== LIVE && !state.metrics.has(r))
      .map(async (r) => {
        try {
          state.metrics.set(r, (await fetchMetrics(r)).rows);
        } catch {
          state.metrics.set(r, []);
        }
      }),
  );
  renderCurves();
}

/** The env of a run, when its config names one (the live run's is not known here). */
const envOf = (run: string): string | null => state.runs.find((r) => r.name === run)?.env ?? null;

/**
 * Whether curves are scaled per run: the toggle when touched, else on when the plotted runs are of different
 * envs. One shared axis squashes a MountainCar run (-200 .. -100) against a CartPole one (0 .. 500) into a
 * flat line; scaled to [0, 1] each keeps its shape, and the hover read-out still shows the real values.
 * Separate charts per run were the alternative; they multiply with the runs and lose the comparison.
 */
function perRunScale(runs: string[]): boolean {
  if (state.perRun !== null) return state.perRun;
  return new Set(runs.map((r) => (r === LIVE ? LIVE : (envOf(r) ?? r)))).size > 1;
}

function renderCurves(): void {
  const runs = [...state.overlay].filter((r) => r === LIVE || state.metrics.has(r));
  const scaled = perRunScale(runs);
  $<HTMLInputElement>('per-run').checked = scaled;
  const ret: Series[] = [];
  const loss: Series[] = [];
  const eps: Series[] = [];
  let anyEval = false;
  const legend = $('legend');
  legend.replaceChildren();
  for (const run of runs) {
    const rows = run === LIVE ? state.liveRows : state.metrics.get(run)!;
    const color = colorOf(run);
    const name = runLabel(run);
    const pick = (kind: string | null, key: string): { xs: number[]; ys: number[] } => {
      const xs: number[] = [];
      const ys: number[] = [];
      for (const r of rows) {
        const v = r[key];
        if ((kind === null || r.kind === kind) && typeof v === 'number' && Number.isFinite(v)) {
          xs.push(r.step);
          ys.push(v);
        }
      }
      return { xs, ys };
    };
    /** `ys` as plotted: scaled to the run's [lo, hi] when per-run scaling is on, with the real values for the read-out. */
    const view = (ys: number[], range: [number, number] | null): { ys: number[]; labelYs?: number[] } =>
      scaled && range !== null ? { ys: scaleToUnit(ys, range[0], range[1]), labelYs: ys } : { ys };
    const episodes = pick('episode', 'return');
    const evals = pick('eval', 'mean');
    const retRange = finiteRange([...episodes.ys, ...evals.ys]);
    if (episodes.xs.length > 0) {
      ret.push({ name: `${name} raw`, color, xs: episodes.xs, ...view(episodes.ys, retRange), alpha: 0.22, width: 1, quiet: true, envelope: true });
      ret.push({ name, color, xs: episodes.xs, ...view(smoothEma(episodes.ys, state.smoothing), retRange), width: 2 });
    }
    if (evals.xs.length > 0) {
      anyEval = true;
      ret.push({ name: `${name} greedy eval`, color, xs: evals.xs, ...view(evals.ys, retRange), width: 1.5, dash: [5, 4], markers: true, alpha: 0.95 });
    }
    const l = pick('log', 'loss');
    if (l.xs.length > 0) {
      const lossRange = finiteRange(l.ys);
      loss.push({ name: `${name} raw`, color, xs: l.xs, ...view(l.ys, lossRange), alpha: 0.22, width: 1, quiet: true, envelope: true });
      loss.push({ name, color, xs: l.xs, ...view(smoothEma(l.ys, state.smoothing), lossRange), width: 2 });
    }
    let e = pick('log', 'epsilon');
    if (e.xs.length === 0) e = pick(null, 'epsilon');
    if (e.xs.length > 0) eps.push({ name, color, ...e, width: 2 });
    const item = el('span');
    const sw = el('i');
    sw.style.setProperty('--c', color);
    item.append(sw, document.createTextNode(name));
    legend.append(item);
  }
  if (runs.length === 0) legend.append(el('span', '', 'Tick a run’s colour box to plot it.'));
  else {
    // What each line style means, in the run's colour on the chart: the eval line must not pass for a run.
    const key = (cls: string, text: string): HTMLElement => {
      const k = el('span', `key ${cls}`);
      k.append(el('i'), document.createTextNode(text));
      return k;
    };
    legend.append(el('span', 'keys-break'), key('key-smooth', 'smoothed'), key('key-band', 'raw (min–max band when dense)'));
    if (anyEval) legend.append(key('key-eval', 'greedy eval (mean)'));
  }
  // Short, so the title does not run into the axis name; the toggle's tooltip says what the scale means.
  const scaleNote = scaled ? ' (per-run scale)' : '';
  returnPlot.setTitle(`Episode return${scaleNote}`);
  lossPlot.setTitle(`Loss${scaleNote}`);
  returnPlot.setSeries(ret);
  lossPlot.setSeries(loss);
  epsPlot.setSeries(eps);
}

// ---------------------------------------------------------------------------------------------- live
function enterLive(): void {
  player.load(0, 30);
  setTransportEnabled(false);
  app.classList.add('live-view');
  stepPlot.setTitle('Live: sampled reward per step', 'run step');
  $('stage-empty').hidden = false;
  $('stage-empty').textContent = 'Waiting for the next live scene ...';
  $('crumb-episode').textContent = 'live';
  state.file = null;
  state.episode = null;
  stepPlot.setSeries([]);
  clearReadouts();
  live?.send({ type: 'pause', paused: false });
  history.replaceState(null, '', '?live');
}

function leaveLive(): void {
  app.classList.remove('live-view');
  // Scenes nobody looks at are not worth the socket.
  live?.send({ type: 'pause', paused: true });
}

function onLiveScene(scene: Scene, meta: LiveSceneMeta): void {
  if (state.run !== LIVE) return;
  $('stage-empty').hidden = true;
  void drawScene(scene);
  // Sampled steps across episodes, newest on the right: the live reward (and value) trace.
  const lr = state.liveRewards;
  if (meta.reward !== undefined && meta.step !== undefined) {
    lr.xs.push(meta.step);
    lr.ys.push(meta.reward);
    lr.values.push(meta.value ?? NaN);
    if (lr.xs.length > 600) {
      lr.xs.shift();
      lr.ys.shift();
      lr.values.shift();
    }
    const series: Series[] = [{ name: 'reward', color: '#34d399', xs: lr.xs, ys: lr.ys, width: 1.5 }];
    if (lr.values.some((v) => Number.isFinite(v))) series.push({ name: 'value', color: '#fbbf24', xs: lr.xs, ys: lr.values, width: 1.5 });
    stepPlot.setSeries(series);
    stepPlot.setCursor(meta.step);
    lr.episode = meta.episode ?? lr.episode;
  }
  $('crumb-episode').textContent = `live · episode ${meta.episode ?? '?'} · step ${meta.step ?? '?'}`;
  $('frame-label').textContent = `t ${meta.t ?? '?'}`;
  $('ro-reward').textContent = meta.reward === undefined ? '—' : formatNumber(meta.reward);
  $('ro-return').textContent = '—';
  $('ro-value').textContent = meta.value === undefined ? '—' : formatNumber(meta.value) + (meta.qSpread === undefined ? '' : ` ± ${formatNumber(meta.qSpread)}`);
  $('ro-action').textContent = '—';
}

function startLive(): void {
  live = new LiveConnection({
    onStatus(status) {
      const badge = $('live-status');
      badge.hidden = !state.live;
      badge.classList.toggle('off', status !== 'open');
      $('live-text').textContent = status === 'open' ? 'Live' : 'Reconnecting';
    },
    onMessage(msg) {
      if (msg.type === 'hello') {
        if (msg.live && !state.live) {
          state.live = true;
          $('live-status').hidden = false;
          renderRuns();
        }
        if (state.run !== LIVE) live?.send({ type: 'pause', paused: true });
      } else if (msg.type === 'scene') onLiveScene(msg.scene, msg.meta);
      else if (msg.type === 'metrics') {
        for (const r of msg.rows) state.liveRows.push(r);
        if (state.overlay.has(LIVE)) scheduleCurves();
        if (msg.rows.some((r) => r.kind === 'episode')) scheduleRuns();
      }
    },
  });
}

let curvesTimer = 0;
function scheduleCurves(): void {
  if (curvesTimer === 0) curvesTimer = window.setTimeout(() => ((curvesTimer = 0), renderCurves()), 250);
}
let runsTimer = 0;
function scheduleRuns(): void {
  if (runsTimer === 0) runsTimer = window.setTimeout(() => ((runsTimer = 0), renderRuns()), 1000);
}

// ---------------------------------------------------------------------------------------------- input
function bindControls(): void {
  const speed = $<HTMLSelectElement>('speed');
  for (const s of SPEEDS) speed.append(new Option(`${s}×`, String(s)));
  speed.value = '1';
  speed.addEventListener('change', () => {
    player.speed = Number(speed.value);
    speed.blur();
  });
  const act = (f: () => void) => () => {
    f();
    showFrame();
  };
  $('btn-first').addEventListener('click', act(() => player.step(-Infinity)));
  $('btn-prev').addEventListener('click', act(() => player.step(-1)));
  $('btn-next').addEventListener('click', act(() => player.step(1)));
  $('btn-last').addEventListener('click', act(() => player.step(Infinity)));
  $('btn-play').addEventListener('click', act(() => player.toggle()));
  const timeline = $<HTMLInputElement>('timeline');
  timeline.addEventListener('input', () => {
    player.playing = false;
    player.seek(Number(timeline.value));
    showFrame();
  });
  // Arrow keys belong to the viewer, not to a focused slider.
  timeline.addEventListener('pointerup', () => timeline.blur());
  $('refresh').addEventListener('click', () => void refresh());
  const smoothing = $<HTMLInputElement>('smoothing');
  smoothing.addEventListener('input', () => {
    state.smoothing = Number(smoothing.value);
    $('smoothing-value').textContent = state.smoothing.toFixed(2);
    smoothing.style.setProperty('--p', `${(state.smoothing / 0.99) * 100}%`);
    renderCurves();
  });
  smoothing.style.setProperty('--p', `${(0.6 / 0.99) * 100}%`);
  const perRun = $<HTMLInputElement>('per-run');
  perRun.addEventListener('change', () => {
    state.perRun = perRun.checked;
    perRun.blur();
    renderCurves();
  });

  window.addEventListener(
    'keydown',
    (e) => {
      const target = e.target as HTMLElement;
      if (target.tagName === 'SELECT' || (target.tagName === 'INPUT' && (target as HTMLInputElement).type !== 'range')) return;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const big = e.shiftKey ? 10 : 1;
      const keys: Record<string, () => void> = {
        ' ': () => player.toggle(),
        ArrowRight: () => player.step(big),
        ArrowLeft: () => player.step(-big),
        Home: () => player.step(-Infinity),
        End: () => player.step(Infinity),
        ']': () => player.nudgeSpeed(1),
        '[': () => player.nudgeSpeed(-1),
        ArrowDown: () => nextEpisode(1),
        ArrowUp: () => nextEpisode(-1),
        r: () => void refresh(),
      };
      const f = keys[e.key];
      if (f === undefined) return;
      e.preventDefault();
      e.stopPropagation();
      if (state.run === LIVE && e.key !== 'r') return;
      f();
      showFrame();
      updateTransport();
    },
    { capture: true },
  );
}

function nextEpisode(delta: number): void {
  const ok = state.episodes.filter((e) => e.ok);
  const at = ok.findIndex((e) => e.file === state.file);
  const next = ok[Math.min(Math.max(at + delta, 0), ok.length - 1)];
  if (next && next.file !== state.file) {
    void selectEpisode(next.file);
    $('episodes').querySelector(`li[data-file="${CSS.escape(next.file)}"]`)?.scrollIntoView({ block: 'nearest' });
  }
}

async function refresh(): Promise<void> {
  state.metrics.clear();
  try {
    state.runs = await fetchRuns();
  } catch (err) {
    notice(`Could not list runs: ${(err as Error).message}`);
  }
  renderRuns();
  void loadCurves();
  if (state.run !== null && state.run !== LIVE) {
    state.episodes = await fetchEpisodes(state.run).catch(() => state.episodes);
    renderEpisodes();
  }
}

let last = performance.now();
function tick(now: number): void {
  const dt = Math.min(now - last, 250);
  last = now;
  if (player.advance(dt)) showFrame();
  else if (!player.playing && app.classList.contains('playing')) updateTransport();
  requestAnimationFrame(tick);
}

// ---------------------------------------------------------------------------------------------- boot
async function boot(): Promise<void> {
  bindControls();
  setTransportEnabled(false);
  const info = await fetchInfo().catch(() => ({ live: false, maxFps: 30, viewers: 0 }));
  state.live = info.live;
  $('live-status').hidden = !info.live;
  startLive();
  try {
    state.runs = await fetchRuns();
  } catch (err) {
    notice(`Could not list runs: ${(err as Error).message}`);
  }
  renderRuns();
  requestAnimationFrame(tick);
  const wanted = params.get('run');
  if (params.has('live') && state.live) await selectRun(LIVE);
  else if (wanted !== null && state.runs.some((r) => r.name === wanted)) await selectRun(wanted, params.get('episode'));
  else if (state.live) await selectRun(LIVE);
  else if (state.runs.length > 0) await selectRun(state.runs[0]!.name);
  else {
    clearEpisode('No runs yet');
    renderEpisodes();
  }
  const frame = Number(params.get('frame'));
  if (Number.isInteger(frame) && frame > 0 && state.episode !== null) {
    player.seek(frame);
    showFrame();
  }
  if (app.dataset.state === 'loading' && state.episode === null) app.dataset.state = 'ready';
}

void boot();

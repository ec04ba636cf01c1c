/**
 * A small canvas-2D line plot for the viewer: several series with their own colours, nice axis ticks, a
 * vertical cursor (the current frame), a hover read-out and click-to-seek. Sized by its container and
 * redrawn at the device pixel ratio so lines stay crisp.
 */
import { columnEnvelope, extent, formatNumber, nearestIndex, niceTicks } from './plot-math.js';

/** One line of a plot. `xs` ascending. */
export interface Series {
  name: string;
  color: string;
  xs: readonly number[];
  ys: readonly number[];
  /** Line width in CSS pixels (default 1.75). */
  width?: number;
  /** Opacity 0..1 (default 1); raw data under a smoothed line is drawn faint. */
  alpha?: number;
  /** Draw as bars from 0 (per-step rewards) instead of a line. */
  bars?: boolean;
  /** Leave out of the hover read-out and the y range (a faint raw line under its smoothed twin). */
  quiet?: boolean;
  /** Dash pattern in CSS pixels, e.g. [5, 4]: a line that must not be mistaken for its solid neighbours. */
  dash?: number[];
  /** A dot on every point (sparse series such as periodic evaluations). */
  markers?: boolean;
  /** With more points than pixel columns, draw a min/max band per column instead of the zig-zag line. */
  envelope?: boolean;
  /** Values the hover read-out shows instead of `ys` (the unscaled values of a series scaled per run). */
  labelYs?: readonly number[];
}

/** Looks of a plot. */
export interface PlotOptions {
  title: string;
  /** Unit or name of the x axis, shown under the ticks' end. */
  xLabel?: string;
  /** Shown when there is nothing to draw. */
  emptyText?: string;
  /** Call on click with the data x under the pointer. */
  onSeek?: (x: number) => void;
}

const THEME = {
  grid: 'rgba(148, 163, 184, 0.10)',
  axis: 'rgba(148, 163, 184, 0.55)',
  text: '#8b95a7',
  title: '#d5dbe5',
  cursor: 'rgba(250, 204, 21, 0.85)',
  hover: 'rgba(226, 232, 240, 0.35)',
  zero: 'rgba(148, 163, 184, 0.28)',
  font: '11px "Inter", "Segoe UI", system-ui, sans-serif',
  titleFont: '600 12px "Inter", "Segoe UI", system-ui, sans-serif',
};

/** A plot drawn into a canvas that fills `container`. */
export class LinePlot {
  readonly canvas: HTMLCanvasElement;
  private series: Series[] = [];
  private cursor: number | null = null;
  private hoverX: number | null = null;
  private frame = 0;
  private layout = { left: 48, right: 12, top: 26, bottom: 22 };
  private xr: [number, number] = [0, 1];
  private yr: [number, number] = [0, 1];

  constructor(
    private readonly container: HTMLElement,
    private options: PlotOptions,
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'plot-canvas';
    container.appendChild(this.canvas);
    new ResizeObserver(() => this.request()).observe(container);
    this.canvas.addEventListener('mousemove', (e) => {
      this.hoverX = this.dataX(e.offsetX);
      this.request();
    });
    this.canvas.addEventListener('mouseleave', () => {
      this.hoverX = null;
      this.request();
    });
    if (options.onSeek) {
      this.canvas.classList.add('seekable');
      const seek = (e: MouseEvent): void => options.onSeek!(this.dataX(e.offsetX));
      this.canvas.addEventListener('mousedown', (e) => {
        seek(e);
        const move = (m: MouseEvent): void => seek(m);
        this.canvas.addEventListener('mousemove', move);
        window.addEventListener('mouseup', () => this.canvas.removeEventListener('mousemove', move), { once: true });
      });
    }
  }

  /** Changes the title (and the x axis name). */
  setTitle(title: string, xLabel?: string): void {
    this.options.title = title;
    if (xLabel !== undefined) this.options.xLabel = xLabel;
    this.request();
  }

  /** Replaces every series. */
  setSeries(series: Series[]): void {
    this.series = series;
    this.request();
  }

  /** Moves the vertical cursor to data x (null hides it). */
  setCursor(x: number | null): void {
    if (x === this.cursor) return;
    this.cursor = x;
    this.request();
  }

  private dataX(px: number): number {
    const w = this.canvas.clientWidth - this.layout.left - this.layout.right;
    const t = Math.min(Math.max((px - this.layout.left) / Math.max(w, 1), 0), 1);
    return this.xr[0] + t * (this.xr[1] - this.xr[0]);
  }

  private request(): void {
    if (this.frame !== 0) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  /** Draws now (normally scheduled on the next animation frame). */
  draw(): void {
    const dpr = window.devicePixelRatio || 1;
    const cssW = this.container.clientWidth;
    const cssH = this.container.clientHeight;
    if (cssW === 0 || cssH === 0) return;
    if (this.canvas.width !== Math.round(cssW * dpr) || this.canvas.height !== Math.round(cssH * dpr)) {
      this.canvas.width = Math.round(cssW * dpr);
      this.canvas.height = Math.round(cssH * dpr);
      this.canvas.style.width = `${cssW}px`;
      this.canvas.style.height = `${cssH}px`;
    }
    const g = this.canvas.getContext('2d')!;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, cssW, cssH);
    g.font = THEME.titleFont;
    g.fillStyle = THEME.title;
    g.textBaseline = 'middle';
    g.textAlign = 'left';
    g.fillText(this.options.title, 10, 13);

    const visible = this.series.filter((s) => s.xs.length > 0);
    if (visible.length === 0) {
      g.font = THEME.font;
      g.fillStyle = THEME.text;
      g.textAlign = 'center';
      g.fillText(this.options.emptyText ?? 'no data', cssW / 2, cssH / 2 + 6);
      return;
    }
    const xs = visible.flatMap((s) => [s.xs[0]!, s.xs[s.xs.length - 1]!]);
    this.xr = [Math.min(...xs), Math.max(...xs)];
    // Bars are centred on their x: half a bar of room at each end keeps the first and last whole.
    if (this.xr[0] === this.xr[1] || visible.some((s) => s.bars)) this.xr = [this.xr[0] - 0.5, this.xr[1] + 0.5];
    const ranged = visible.filter((s) => !s.quiet);
    const yValues = (ranged.length > 0 ? ranged : visible).flatMap((s) => (s.bars ? [...s.ys, 0] : [...s.ys]));
    this.yr = extent(yValues, 0.08);
    const yTicks = niceTicks(this.yr[0], this.yr[1], Math.max(2, Math.floor(cssH / 40)));

    // Left margin fits the widest y label.
    g.font = THEME.font;
    const labelW = Math.max(...yTicks.map((t) => g.measureText(formatNumber(t)).width), 16);
    const L = { ...this.layout, left: Math.ceil(labelW) + 16 };
    this.layout = L;
    const W = cssW - L.left - L.right;
    const H = cssH - L.top - L.bottom;
    const px = (x: number): number => L.left + ((x - this.xr[0]) / (this.xr[1] - this.xr[0])) * W;
    const py = (y: number): number => L.top + (1 - (y - this.yr[0]) / (this.yr[1] - this.yr[0])) * H;

    // Grid and ticks.
    g.lineWidth = 1;
    g.textAlign = 'right';
    for (const t of yTicks) {
      const y = Math.round(py(t)) + 0.5;
      g.strokeStyle = t === 0 ? THEME.zero : THEME.grid;
      g.beginPath();
      g.moveTo(L.left, y);
      g.lineTo(L.left + W, y);
      g.stroke();
      g.fillStyle = THEME.text;
      g.fillText(formatNumber(t), L.left - 6, y);
    }
    g.textAlign = 'center';
    g.textBaseline = 'top';
    const xTicks = niceTicks(this.xr[0], this.xr[1], Math.max(2, Math.floor(W / 90)));
    for (const t of xTicks) {
      const x = Math.round(px(t)) + 0.5;
      g.strokeStyle = THEME.grid;
      g.beginPath();
      g.moveTo(x, L.top);
      g.lineTo(x, L.top + H);
      g.stroke();
      g.fillStyle = THEME.text;
      g.fillText(formatNumber(t), x, L.top + H + 6);
    }
    if (this.options.xLabel) {
      g.textAlign = 'right';
      g.textBaseline = 'middle';
      g.fillText(this.options.xLabel, cssW - L.right, 13);
    }

    // Data, clipped to the plot area.
    g.save();
    g.beginPath();
    g.rect(L.left, L.top - 1, W, H + 2);
    g.clip();
    for (const s of visible) {
      g.globalAlpha = s.alpha ?? 1;
      g.strokeStyle = s.color;
      g.fillStyle = s.color;
      if (s.bars) {
        const bw = Math.max(1, (W / Math.max(s.xs.length, 1)) * 0.7);
        const y0 = py(0);
        for (let i = 0; i < s.xs.length; i++) {
          const y = py(s.ys[i]!);
          g.fillRect(px(s.xs[i]!) - bw / 2, Math.min(y, y0), bw, Math.max(1, Math.abs(y0 - y)));
        }
        continue;
      }
      // More points than pixel columns: one value per column, or the line becomes a solid block of zig-zags.
      const columns = Math.max(1, Math.floor(W));
      const crowded = s.xs.length > columns;
      if (crowded && s.envelope) {
        const env = columnEnvelope(s.xs, s.ys, this.xr[0], this.xr[1], columns);
        g.beginPath();
        env.xs.forEach((x, i) => (i === 0 ? g.moveTo(px(x), py(env.hi[i]!)) : g.lineTo(px(x), py(env.hi[i]!))));
        for (let i = env.xs.length - 1; i >= 0; i--) g.lineTo(px(env.xs[i]!), py(env.lo[i]!));
        g.closePath();
        g.fill();
        continue;
      }
      const line = crowded ? columnEnvelope(s.xs, s.ys, this.xr[0], this.xr[1], columns) : null;
      const lxs = line ? line.xs : s.xs;
      const lys = line ? line.mean : s.ys;
      g.lineWidth = s.width ?? 1.75;
      g.lineJoin = 'round';
      g.setLineDash(s.dash ?? []);
      g.beginPath();
      let pen = false;
      for (let i = 0; i < lxs.length; i++) {
        const y = lys[i]!;
        if (!Number.isFinite(y)) {
          pen = false;
          continue;
        }
        if (pen) g.lineTo(px(lxs[i]!), py(y));
        else g.moveTo(px(lxs[i]!), py(y));
        pen = true;
      }
      g.stroke();
      g.setLineDash([]);
      if (s.markers) {
        for (let i = 0; i < lxs.length; i++) {
          if (!Number.isFinite(lys[i]!)) continue;
          g.beginPath();
          g.arc(px(lxs[i]!), py(lys[i]!), 2.75, 0, Math.PI * 2);
          g.fill();
        }
      }
    }
    g.restore();
    g.globalAlpha = 1;

    // Axis line.
    g.strokeStyle = THEME.axis;
    g.beginPath();
    g.moveTo(L.left, L.top + H + 0.5);
    g.lineTo(L.left + W, L.top + H + 0.5);
    g.stroke();

    if (this.cursor !== null) {
      const x = Math.round(px(this.cursor)) + 0.5;
      g.strokeStyle = THEME.cursor;
      g.lineWidth = 1.5;
      g.beginPath();
      g.moveTo(x, L.top);
      g.lineTo(x, L.top + H);
      g.stroke();
    }
    if (this.hoverX !== null) this.drawReadout(g, ranged.length > 0 ? ranged : visible, px, py, L, W);
  }

  private drawReadout(
    g: CanvasRenderingContext2D,
    series: Series[],
    px: (x: number) => number,
    py: (y: number) => number,
    L: { left: number; top: number },
    W: number,
  ): void {
    const hx = this.hoverX!;
    const lines: { color: string; text: string }[] = [];
    let atX = hx;
    for (const s of series) {
      const i = nearestIndex(s.xs, hx);
      if (i < 0) continue;
      atX = s.xs[i]!;
      const y = s.ys[i]!;
      lines.push({ color: s.color, text: `${s.name}  ${formatNumber(s.labelYs?.[i] ?? y)}` });
      if (Number.isFinite(y)) {
        g.fillStyle = s.color;
        g.beginPath();
        g.arc(px(s.xs[i]!), py(y), 3, 0, Math.PI * 2);
        g.fill();
      }
    }
    const x = Math.round(px(atX)) + 0.5;
    g.strokeStyle = THEME.hover;
    g.lineWidth = 1;
    g.beginPath();
    g.moveTo(x, L.top);
    g.lineTo(x, L.top + (this.canvas.clientHeight - L.top - this.layout.bottom));
    g.stroke();
    g.font = THEME.font;
    const header = `x = ${formatNumber(atX)}`;
    const boxW = Math.max(g.measureText(header).width, ...lines.map((l) => g.measureText(l.text).width + 12)) + 14;
    const boxH = 16 * (lines.length + 1) + 6;
    const bx = x + 10 + boxW > L.left + W ? x - 10 - boxW : x + 10;
    g.fillStyle = 'rgba(15, 18, 25, 0.92)';
    g.strokeStyle = 'rgba(148, 163, 184, 0.25)';
    g.beginPath();
    g.roundRect(bx, L.top + 4, boxW, boxH, 6);
    g.fill();
    g.stroke();
    g.textAlign = 'left';
    g.textBaseline = 'middle';
    g.fillStyle = THEME.text;
    g.fillText(header, bx + 7, L.top + 15);
    lines.forEach((l, i) => {
      const y = L.top + 15 + 16 * (i + 1);
      g.fillStyle = l.color;
      g.fillRect(bx + 7, y - 3, 7, 7);
      g.fillStyle = THEME.title;
      g.fillText(l.text, bx + 19, y);
    });
  }
}

// The film on a canvas: zoom (wheel, +/-), pan (drag), window/level (shift-drag, reported to
// the page), a class's activation map as a jet overlay with an opacity, hand-drawn boxes in
// green and detected boxes in red, each layer toggled on its own.

/** MATLAB's jet, as Imaging's Colormap.jet: channel k is clamp(1.5 − |4t − k|) for k = 3, 2, 1. */
export function jet(t) {
  const channel = (k) => Math.round(Math.min(Math.max(1.5 - Math.abs(4 * t - k), 0), 1) * 255);
  return [channel(3), channel(2), channel(1)];
}

/**
 * An S×S map resized to width × height by bilinear interpolation with half-pixel centres
 * (Evaluation's Heatmap.resizedBilinear, PyTorch's align_corners=False), then scaled so its
 * minimum is 0 and its maximum 1 (all 0 when constant), as the figures normalize it.
 */
export function upsample(map, width, height) {
  const taps = (input, output) => Array.from({ length: output }, (_, i) => {
    const source = Math.max(0, (i + 0.5) * (input / output) - 0.5);
    const lower = Math.min(Math.floor(source), input - 1);
    return [lower, Math.min(lower + 1, input - 1), source - lower];
  });
  const columns = taps(map.width, width), rows = taps(map.height, height);
  const out = new Float32Array(width * height);
  let low = Infinity, high = -Infinity;
  for (let y = 0; y < height; y++) {
    const [y0, y1, wy] = rows[y];
    for (let x = 0; x < width; x++) {
      const [x0, x1, wx] = columns[x];
      const v = (a, b) => map.values[a * map.width + b];
      const top = v(y0, x0) + (v(y0, x1) - v(y0, x0)) * wx;
      const bottom = v(y1, x0) + (v(y1, x1) - v(y1, x0)) * wx;
      const value = top + (bottom - top) * wy;
      out[y * width + x] = value;
      if (value < low) low = value;
      if (value > high) high = value;
    }
  }
  const range = high - low;
  for (let i = 0; i < out.length; i++) out[i] = range > 0 ? (out[i] - low) / range : 0;
  return out;
}

export class FilmViewer {
  constructor(stage, { onWindow } = {}) {
    this.stage = stage;
    this.canvas = document.createElement("canvas");
    this.canvas.setAttribute("role", "img");
    this.canvas.setAttribute("aria-label", "The film");
    this.canvas.tabIndex = 0;
    stage.append(this.canvas);
    this.context = this.canvas.getContext("2d", { willReadFrequently: true });
    this.film = null;
    this.heat = null;
    this.overlay = true;
    this.opacity = 0.45;
    this.showTruth = true;
    this.showDetected = true;
    this.truthBoxes = [];
    this.detectedBoxes = [];
    this.scale = 1; this.offsetX = 0; this.offsetY = 0;
    this.onWindow = onWindow;
    this.listen();
    new ResizeObserver(() => { this.resize(); this.fit(); }).observe(stage);
  }

  /** Loads the film from `url`; resolves once it is drawn. */
  async setFilm(url, description) {
    const image = new Image();
    image.src = url;
    await image.decode();
    const first = !this.film;
    this.film = image;
    if (description) this.canvas.setAttribute("aria-label", description);
    if (first) { this.resize(); this.fit(); } else this.draw();
    // What is drawn, for tests and tools that wait for a re-rendered (re-windowed) film.
    this.canvas.dataset.film = url;
  }

  /** The overlay of one class's map (null for none), coloured once into an offscreen canvas. */
  setMap(map) {
    if (!map || !this.film) { this.heat = null; this.draw(); return; }
    const scale = Math.min(1, 512 / Math.max(this.film.naturalWidth, this.film.naturalHeight));
    const width = Math.max(1, Math.round(this.film.naturalWidth * scale));
    const height = Math.max(1, Math.round(this.film.naturalHeight * scale));
    const values = upsample(map, width, height);
    const heat = document.createElement("canvas");
    heat.width = width; heat.height = height;
    const context = heat.getContext("2d");
    const pixels = context.createImageData(width, height);
    for (let i = 0; i < values.length; i++) {
      const [r, g, b] = jet(values[i]);
      pixels.data.set([r, g, b, 255], 4 * i);
    }
    context.putImageData(pixels, 0, 0);
    this.heat = heat;
    this.draw();
  }

  resize() {
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = Math.max(1, Math.round(this.stage.clientWidth * ratio));
    this.canvas.height = Math.max(1, Math.round(this.stage.clientHeight * ratio));
  }

  /** The whole film in view, centred. */
  fit() {
    if (!this.film) return;
    const w = this.film.naturalWidth, h = this.film.naturalHeight;
    this.scale = Math.min(this.canvas.width / w, this.canvas.height / h);
    this.offsetX = (this.canvas.width - w * this.scale) / 2;
    this.offsetY = (this.canvas.height - h * this.scale) / 2;
    this.draw();
  }

  zoom(factor, x = this.canvas.width / 2, y = this.canvas.height / 2) {
    this.offsetX = x - (x - this.offsetX) * factor;
    this.offsetY = y - (y - this.offsetY) * factor;
    this.scale *= factor;
    this.draw();
  }

  draw() {
    const c = this.context;
    c.setTransform(1, 0, 0, 1, 0, 0);
    c.fillStyle = "#000";
    c.fillRect(0, 0, this.canvas.width, this.canvas.height);
    // The transform from film pixels to canvas pixels, for tests that read pixels under a box.
    this.canvas.dataset.transform = [this.scale, this.offsetX, this.offsetY].join(",");
    this.canvas.dataset.detected = JSON.stringify(this.detectedBoxes.map((b) => [b.x, b.y, b.width, b.height]));
    if (!this.film) return;
    c.setTransform(this.scale, 0, 0, this.scale, this.offsetX, this.offsetY);
    c.imageSmoothingEnabled = true;
    c.imageSmoothingQuality = "high";
    const w = this.film.naturalWidth, h = this.film.naturalHeight;
    c.drawImage(this.film, 0, 0, w, h);
    if (this.overlay && this.heat) {
      c.globalAlpha = this.opacity;
      c.drawImage(this.heat, 0, 0, w, h);
      c.globalAlpha = 1;
    }
    c.lineWidth = 2 / this.scale;
    const stroke = (boxes, colour) => {
      c.strokeStyle = colour;
      for (const box of boxes) c.strokeRect(box.x, box.y, box.width, box.height);
    };
    if (this.showTruth) stroke(this.truthBoxes, "#2ee66b");
    if (this.showDetected) stroke(this.detectedBoxes, "#ff3b3b");
  }

  listen() {
    let drag = null;
    this.canvas.addEventListener("pointerdown", (event) => {
      drag = { x: event.clientX, y: event.clientY, window: event.shiftKey };
      this.canvas.setPointerCapture(event.pointerId);
    });
    this.canvas.addEventListener("pointermove", (event) => {
      if (!drag) return;
      const ratio = window.devicePixelRatio || 1;
      const dx = event.clientX - drag.x, dy = event.clientY - drag.y;
      drag.x = event.clientX; drag.y = event.clientY;
      if (drag.window && this.onWindow) this.onWindow(dx, dy, false);
      else { this.offsetX += dx * ratio; this.offsetY += dy * ratio; this.draw(); }
    });
    const end = () => { if (drag?.window && this.onWindow) this.onWindow(0, 0, true); drag = null; };
    this.canvas.addEventListener("pointerup", end);
    this.canvas.addEventListener("pointercancel", end);
    this.canvas.addEventListener("wheel", (event) => {
      event.preventDefault();
      const ratio = window.devicePixelRatio || 1;
      const rect = this.canvas.getBoundingClientRect();
      this.zoom(event.deltaY < 0 ? 1.15 : 1 / 1.15, (event.clientX - rect.left) * ratio, (event.clientY - rect.top) * ratio);
    }, { passive: false });
  }
}

// The page's logic: loads mxc's WebAssembly module and the checkpoint, classifies the drawing or a test image.
// The model folder can be changed with ?model=<url of a folder written by prepare.py> (default: model/).
import { load } from '../../bindings/js/index.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const modelURL = new URL(params.get('model') || 'model/', location.href);
const SIZE = 28;
const SCALE = 10;

async function fetchOk(name) {
  const r = await fetch(new URL(name, modelURL));
  if (!r.ok) throw new Error(`${new URL(name, modelURL)}: HTTP ${r.status} (run examples/web/prepare.py first)`);
  return r;
}

function showProbabilities(probs, classes, ms) {
  let best = 0;
  for (let i = 1; i < probs.length; i++) if (probs[i] > probs[best]) best = i;
  const pred = $('prediction');
  pred.textContent = classes[best];
  pred.dataset.class = String(best);
  const list = $('probs');
  list.replaceChildren(...Array.from(probs, (p, i) => {
    const li = document.createElement('li');
    li.dataset.prob = String(p);
    if (i === best) li.className = 'top';
    const name = document.createElement('span');
    name.textContent = classes[i];
    const bar = document.createElement('span');
    bar.className = 'bar';
    bar.style.width = `${(100 * p).toFixed(1)}%`;
    const value = document.createElement('span');
    value.className = 'value';
    value.textContent = `${(100 * p).toFixed(2)}%`;
    li.append(name, document.createElement('span'), value);
    li.children[1].append(bar);
    return li;
  }));
  $('timing').textContent = `inference: ${ms.toFixed(2)} ms`;
}

async function main() {
  const [mx, symbolJSON, params_, imagesBuf, meta] = await Promise.all([
    load(),
    fetchOk('fashion-symbol.json').then((r) => r.text()),
    fetchOk('fashion-0000.params').then((r) => r.arrayBuffer()),
    fetchOk('test-images.bin').then((r) => r.arrayBuffer()),
    fetchOk('test.json').then((r) => r.json()),
  ]);
  const predictor = mx.createPredictor(symbolJSON, new Uint8Array(params_), { data: [1, 1, SIZE, SIZE] });
  const images = new Uint8Array(imagesBuf);
  const classes = meta.classes;

  const classify = (pixels) => { // pixels: Float32Array of 784 values in [0, 1]
    const t0 = performance.now();
    const probs = predictor.predict(pixels);
    showProbabilities(probs, classes, performance.now() - t0);
  };

  // -- drawing ---------------------------------------------------------------------------------------------------
  const canvas = $('canvas');
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const clear = () => {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  };
  clear();
  // The drawing averaged down to 28x28 (each output pixel the mean of a 10x10 block), scaled to [0, 1].
  const drawingPixels = () => {
    const rgba = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    const out = new Float32Array(SIZE * SIZE);
    for (let y = 0; y < canvas.height; y++) {
      for (let x = 0; x < canvas.width; x++) {
        out[Math.floor(y / SCALE) * SIZE + Math.floor(x / SCALE)] += rgba[4 * (y * canvas.width + x)];
      }
    }
    for (let i = 0; i < out.length; i++) out[i] /= 255 * SCALE * SCALE;
    return out;
  };
  let drawing = false;
  let last = null;
  const pos = (e) => {
    const r = canvas.getBoundingClientRect();
    return [(e.clientX - r.left) * (canvas.width / r.width), (e.clientY - r.top) * (canvas.height / r.height)];
  };
  canvas.addEventListener('pointerdown', (e) => {
    drawing = true;
    last = pos(e);
    canvas.setPointerCapture(e.pointerId);
    document.querySelectorAll('#thumbs button').forEach((b) => b.classList.remove('selected'));
    $('source').textContent = 'your drawing';
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!drawing) return;
    const p = pos(e);
    ctx.strokeStyle = '#fff';
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.lineWidth = Number($('brush').value);
    ctx.beginPath();
    ctx.moveTo(last[0], last[1]);
    ctx.lineTo(p[0], p[1]);
    ctx.stroke();
    last = p;
    classify(drawingPixels());
  });
  const stop = () => {
    if (drawing) classify(drawingPixels());
    drawing = false;
  };
  canvas.addEventListener('pointerup', stop);
  canvas.addEventListener('pointercancel', stop);
  $('clear').addEventListener('click', () => {
    clear();
    $('source').textContent = '';
    $('prediction').textContent = '–';
    $('prediction').dataset.class = '';
    $('probs').replaceChildren();
  });

  // -- test images -----------------------------------------------------------------------------------------------
  const n = Math.min(meta.labels.length, images.length / (SIZE * SIZE));
  const thumbs = $('thumbs');
  const showImage = (target, k, scale) => {
    const c = target.getContext('2d');
    const img = c.createImageData(SIZE, SIZE);
    for (let i = 0; i < SIZE * SIZE; i++) {
      const v = images[k * SIZE * SIZE + i];
      img.data.set([v, v, v, 255], 4 * i);
    }
    if (scale === 1) return c.putImageData(img, 0, 0);
    const tmp = document.createElement('canvas');
    tmp.width = tmp.height = SIZE;
    tmp.getContext('2d').putImageData(img, 0, 0);
    c.imageSmoothingEnabled = false;
    c.drawImage(tmp, 0, 0, SIZE * scale, SIZE * scale);
  };
  for (let k = 0; k < n; k++) {
    const b = document.createElement('button');
    b.type = 'button';
    b.dataset.index = String(k);
    b.title = `test image ${k}: ${classes[meta.labels[k]]}`;
    const c = document.createElement('canvas');
    c.width = c.height = SIZE;
    showImage(c, k, 1);
    b.append(c);
    b.addEventListener('click', () => {
      thumbs.querySelectorAll('button').forEach((x) => x.classList.toggle('selected', x === b));
      showImage(canvas, k, SCALE);
      $('source').textContent = `test image ${k}, labelled ${classes[meta.labels[k]]}`;
      // The original pixels (not the upscaled canvas): exactly what the model was trained on.
      classify(Float32Array.from(images.subarray(k * SIZE * SIZE, (k + 1) * SIZE * SIZE), (v) => v / 255));
    });
    thumbs.append(b);
  }
  const status = $('status');
  status.textContent = `Ready: mxc ${mx.version.major}.${mx.version.minor} (WebAssembly, ${mx.ops.size} operators); model test accuracy ${(100 * meta.accuracy).toFixed(1)}%.`;
  status.dataset.ready = '1';
}

main().catch((e) => {
  const status = $('status');
  status.textContent = `Error: ${e.message}`;
  status.className = 'error';
  status.dataset.ready = 'error';
  console.error(e);
});

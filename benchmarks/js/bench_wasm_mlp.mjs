// The 784-128-10 MLP's inference in Node.js, one thread: mxc's WebAssembly module (bindings/js, Predictor) next
// to onnxruntime-web (wasm backend, numThreads 1) on an ONNX file of the same weights, interleaved in one process,
// plus the sizes of what a page downloads. make_models.py writes the models (run.sh does everything).
//
//   node benchmarks/js/bench_wasm_mlp.mjs DIR [--rounds 7] [--native JSON] [--json OUT]
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { load } from '../../bindings/js/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const jsDir = path.join(here, '../../bindings/js');
const argv = process.argv.slice(2);
const dir = argv[0];
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const rounds = Number(opt('--rounds', 7));
if (!dir) {
  console.error('usage: node bench_wasm_mlp.mjs DIR [--rounds N] [--native JSON] [--json OUT]');
  process.exit(2);
}

const ortDir = path.join(here, 'node_modules/onnxruntime-web');
const ort = await import(path.join(ortDir, 'dist/ort.wasm.min.mjs'));
ort.env.wasm.numThreads = 1;
ort.env.wasm.simd = true;
ort.env.wasm.wasmPaths = path.join(ortDir, 'dist') + '/';

const IN = 784;
const OUT = 10;
const input = new Float32Array(fs.readFileSync(path.join(dir, 'input.bin')).buffer.slice(0));
const reference = Float32Array.from(JSON.parse(fs.readFileSync(path.join(dir, 'native.json'), 'utf8')).outputs);

// -- the two runtimes ------------------------------------------------------------------------------------------------
const mx = await load();
const symbolJSON = fs.readFileSync(path.join(dir, 'mlp-symbol.json'), 'utf8');
const params = fs.readFileSync(path.join(dir, 'mlp-0000.params'));
const session = await ort.InferenceSession.create(fs.readFileSync(path.join(dir, 'mlp.onnx')), {
  executionProviders: ['wasm'], graphOptimizationLevel: 'all',
});

function mxcRunner(batch) {
  const p = mx.createPredictor(symbolJSON, params, { data: [batch, IN] });
  const x = input.subarray(0, batch * IN);
  return { run: async () => p.predict(x), dispose: () => p.dispose() };
}
function ortRunner(batch) {
  const x = input.subarray(0, batch * IN);
  return {
    run: async () => {
      const t = new ort.Tensor('float32', x, [batch, IN]);
      const r = await session.run({ data: t });
      return r.prob.data;
    },
    dispose: () => {},
  };
}

function maxDiff(a, b) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

// -- correctness first -------------------------------------------------------------------------------------------
const check = {};
for (const [name, make] of [['mxc-wasm', mxcRunner], ['onnxruntime-web', ortRunner]]) {
  const r = make(128);
  const out = await r.run();
  r.dispose();
  check[name] = maxDiff(out, reference);
  if (!(check[name] < 1e-5)) throw new Error(`${name}: outputs differ from the native library's by ${check[name]}`);
}

// -- timing: interleaved rounds, medians ------------------------------------------------------------------------------
async function timeOnce(r, iters) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iters; i++) await r.run();
  return Number(process.hrtime.bigint() - t0) / 1e9 / iters;
}
const median = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
const results = {};
for (const [batch, iters] of [[1, 2000], [128, 60]]) {
  const runners = { 'mxc-wasm': mxcRunner(batch), 'onnxruntime-web': ortRunner(batch) };
  const times = Object.fromEntries(Object.keys(runners).map((k) => [k, []]));
  for (const r of Object.values(runners)) await timeOnce(r, Math.max(10, iters >> 2)); // warm up (JIT tiers)
  for (let round = 0; round < rounds; round++) {
    for (const [k, r] of Object.entries(runners)) times[k].push(await timeOnce(r, iters));
  }
  for (const [k, r] of Object.entries(runners)) {
    r.dispose();
    results[k] = results[k] || {};
    results[k][`batch${batch}_s`] = median(times[k]);
  }
}

// -- sizes --------------------------------------------------------------------------------------------------------
function sizes(files) {
  let raw = 0;
  let gz = 0;
  for (const f of files) {
    const b = fs.readFileSync(f);
    raw += b.length;
    gz += zlib.gzipSync(b, { level: 9 }).length;
  }
  return { raw, gzip: gz };
}
const jsLayer = ['index.js', ...fs.readdirSync(path.join(jsDir, 'src')).map((f) => path.join('src', f))].map((f) => path.join(jsDir, f));
const size = {
  'mxc.wasm': sizes([path.join(jsDir, 'dist/mxc.wasm')]),
  'mxc.mjs (Emscripten glue)': sizes([path.join(jsDir, 'dist/mxc.mjs')]),
  'binding JS (index.js, src/)': sizes(jsLayer),
  'onnxruntime-web ort-wasm-simd-threaded.wasm': sizes([path.join(ortDir, 'dist/ort-wasm-simd-threaded.wasm')]),
  'onnxruntime-web ort.wasm.min.mjs + glue': sizes([path.join(ortDir, 'dist/ort.wasm.min.mjs'), path.join(ortDir, 'dist/ort-wasm-simd-threaded.mjs')]),
};

let native = null;
const nativeFile = opt('--native');
if (nativeFile && fs.existsSync(nativeFile)) native = JSON.parse(fs.readFileSync(nativeFile, 'utf8'));

// -- report ---------------------------------------------------------------------------------------------------------
const kb = (n) => `${(n / 1024).toFixed(0)} KiB`;
console.log(`# 784-128-10 MLP inference, Node.js ${process.version}, one thread, medians of ${rounds} rounds`);
console.log(`# onnxruntime-web ${ort.env.versions.web}; max |output - native| on 128 inputs: mxc-wasm ${check['mxc-wasm'].toExponential(1)}, onnxruntime-web ${check['onnxruntime-web'].toExponential(1)}`);
console.log('runtime              batch 1 latency   batch 128 throughput');
const row = (name, b1us, sps) => console.log(`${name.padEnd(20)} ${(b1us.toFixed(1) + ' us').padStart(15)}   ${(Math.round(sps) + ' samples/s').padStart(20)}`);
for (const [k, v] of Object.entries(results)) row(k, v.batch1_s * 1e6, 128 / v.batch128_s);
if (native) row('native mxc (C API)', native.batch1_us, native.batch128_samples_per_s);
if (native) console.log(`# native: libmxc through include/mxc.h from C, ${native.engine}, OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1`);
console.log('\nsizes (raw / gzip -9):');
for (const [k, v] of Object.entries(size)) console.log(`  ${k.padEnd(44)} ${kb(v.raw).padStart(10)} / ${kb(v.gzip)}`);
const jsonOut = opt('--json');
if (jsonOut) fs.writeFileSync(jsonOut, JSON.stringify({ results, native, sizes: size, check }, null, 1));

// A checkpoint trained by the Python package (examples/web/prepare.py: mx.model.FeedForward on Fashion-MNIST,
// mx.model.save_checkpoint) predicts in WebAssembly what the native library predicts: the same classes, outputs
// within 1e-5. The Python script runs the native library built in <repo>/build (MXC_NATIVE_LIBRARY overrides).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mx, prepareModel } from './helpers.mjs';
import { IOError, ShapeError, ValueError } from '../index.js';

let dir;
let meta;
let images;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mxc-js-ckpt-'));
  prepareModel(dir, ['--epochs', '1', '--train-size', '12000', '--num-test', '200']);
  meta = JSON.parse(fs.readFileSync(path.join(dir, 'test.json'), 'utf8'));
  const u8 = fs.readFileSync(path.join(dir, 'test-images.bin'));
  images = Float32Array.from(u8, (v) => v / 255); // as the Python side: float32(v) / 255
});

const argmax = (a) => a.reduce((best, v, i) => (v > a[best] ? i : best), 0);
const files = () => [fs.readFileSync(path.join(dir, 'fashion-symbol.json'), 'utf8'), fs.readFileSync(path.join(dir, 'fashion-0000.params'))];

test('loadCheckpoint reads the symbol and the parameters', () => {
  const [json, params] = files();
  const { symbol, argParams, auxParams } = mx.loadCheckpoint(json, params);
  assert.deepEqual(symbol.listArguments(), ['data', 'fc1_weight', 'fc1_bias', 'fc2_weight', 'fc2_bias', 'softmax_label']);
  assert.deepEqual(Object.keys(argParams).sort(), ['fc1_bias', 'fc1_weight', 'fc2_bias', 'fc2_weight']);
  assert.deepEqual(argParams.fc1_weight.shape, [128, 784]);
  assert.deepEqual(auxParams, {});
});

test('the Predictor gives the native library\'s outputs (within 1e-5) and classes', () => {
  const [json, params] = files();
  const n = meta.labels.length;
  const p = mx.createPredictor(json, params, { data: [n, 1, 28, 28] });
  assert.deepEqual(p.inputs, ['data']);
  const out = p.predict(images);
  assert.equal(out.length, n * 10);
  let correct = 0;
  let maxDiff = 0;
  for (let i = 0; i < n; i++) {
    const row = out.subarray(i * 10, i * 10 + 10);
    const ref = meta.native_outputs[i];
    for (let c = 0; c < 10; c++) maxDiff = Math.max(maxDiff, Math.abs(row[c] - ref[c]));
    assert.equal(argmax(row), argmax(ref), `image ${i}: class`);
    if (argmax(row) === meta.labels[i]) correct++;
  }
  assert.ok(maxDiff <= 1e-5, `max |wasm - native| = ${maxDiff}`);
  // a trained model, not a random one (10 classes: chance is 0.1)
  assert.ok(correct / n > 0.6, `accuracy ${correct / n}`);
  assert.deepEqual(Array.from(p.getOutput(0)), Array.from(out));
  p.dispose();
  p.dispose();
});

test('one image at a time, through setInput/forward/output', () => {
  const [json, params] = files();
  const p = mx.createPredictor(json, params, { data: [1, 784] });
  for (let i = 0; i < 5; i++) {
    p.setInput('data', images.subarray(i * 784, (i + 1) * 784));
    p.forward();
    const row = p.output(0).toTypedArray();
    for (let c = 0; c < 10; c++) assert.ok(Math.abs(row[c] - meta.native_outputs[i][c]) <= 1e-5);
  }
  assert.throws(() => p.setInput('data', new Float32Array(10)), ShapeError);
  assert.throws(() => p.setInput('label', new Float32Array(784)), ValueError);
  assert.throws(() => p.output(3), (e) => e.kind === 'IndexError');
  p.dispose();
});

test('broken checkpoints are reported', () => {
  const [json, params] = files();
  assert.throws(() => mx.createPredictor(json, params.subarray(0, params.length - 100), { data: [1, 784] }), IOError);
  const { argParams } = mx.loadCheckpoint(json, params);
  delete argParams.fc2_bias;
  const partial = mx.saveParams(argParams);
  assert.throws(() => mx.createPredictor(json, partial, { data: [1, 784] }),
    (e) => e instanceof ValueError && /fc2_bias/.test(e.message));
  assert.throws(() => mx.createPredictor(json, mx.nd.save({ w: mx.nd.zeros([1]) }), { data: [1, 784] }),
    (e) => e instanceof ValueError && /arg:/.test(e.message));
  assert.throws(() => mx.createPredictor(json, params, { data: [1, 783] }), ShapeError);
  assert.throws(() => mx.createPredictor(json, params, {}), ValueError);
});

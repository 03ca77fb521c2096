import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mx, assertClose, randn } from './helpers.mjs';
import { ShapeError, MXCTypeError, ValueError, paramString } from '../index.js';

test('every registered operator and alias is a function with its metadata and doc', () => {
  assert.ok(mx.ops.size > 100);
  for (const info of mx.ops.values()) {
    for (const n of [info.name, ...info.aliases]) {
      assert.equal(typeof mx.nd[n], 'function', n);
      assert.equal(typeof mx.sym[n], 'function', n);
    }
  }
  const fc = mx.nd.FullyConnected;
  assert.equal(fc.name, 'FullyConnected');
  assert.deepEqual(fc.info.inputs.map((i) => i.name), ['data', 'weight', 'bias']);
  const nh = fc.info.params.find((p) => p.name === 'num_hidden');
  assert.equal(nh.required, true);
  assert.equal(nh.type, 'int');
  const nb = fc.info.params.find((p) => p.name === 'no_bias');
  assert.equal(nb.default, 'False');
  assert.match(fc.doc, /num_hidden \(int, required\)/);
  assert.match(fc.doc, /weight\^T/);
  const bn = mx.opInfo('BatchNorm');
  assert.deepEqual(bn.inputs.filter((i) => i.isAux).map((i) => i.name), ['moving_mean', 'moving_var']);
  assert.equal(mx.opInfo('Concat').keyVarNumArgs, 'num_args');
  assert.equal(mx.opInfo('SoftmaxOutput').isLoss, true);
  assert.equal(mx.opInfo('elemwise_add').hasGradient, true);
});

test('parameter values become the strings the library parses', () => {
  assert.equal(paramString(true), 'True');
  assert.equal(paramString(false), 'False');
  assert.equal(paramString(null), 'None');
  assert.equal(paramString([2, 3]), '(2,3)');
  assert.equal(paramString([4]), '(4,)');
  assert.equal(paramString(0.5), '0.5');
  assert.equal(paramString('relu'), 'relu');
});

test('elementwise, scalar and broadcast operators against hand-computed values', () => {
  const a = mx.nd.array([[1, 2], [3, 4]]);
  const b = mx.nd.array([[10, 20], [30, 40]]);
  assert.deepEqual(mx.nd.elemwise_add(a, b).toArray(), [[11, 22], [33, 44]]);
  assert.deepEqual(mx.nd.elemwise_mul(a, b).toArray(), [[10, 40], [90, 160]]);
  assert.deepEqual(mx.nd._plus_scalar(a, { scalar: 0.5 }).toArray(), [[1.5, 2.5], [3.5, 4.5]]);
  assert.deepEqual(mx.nd._rminus_scalar(a, { scalar: 10 }).toArray(), [[9, 8], [7, 6]]);
  assert.deepEqual(mx.nd.broadcast_add(a, mx.nd.array([100, 200])).toArray(), [[101, 202], [103, 204]]);
  assert.deepEqual(mx.nd.relu(mx.nd.array([-1, 0, 2])).toArray(), [0, 0, 2]);
  assertClose(mx.nd.sigmoid(mx.nd.array([0, Math.log(3)])).toTypedArray(), [0.5, 0.75]);
  assertClose(mx.nd.exp(mx.nd.array([0, 1], { dtype: 'float64' })).toTypedArray(), [1, Math.E], 1e-15);
  // inputs by name; parameters positional after them are not allowed, in the options object they are
  assert.deepEqual(mx.nd.elemwise_sub({ lhs: b, rhs: a }).toArray(), [[9, 18], [27, 36]]);
});

test('reductions, shapes and variadic operators', () => {
  const a = mx.nd.array([[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(mx.nd.sum(a, { axis: 1 }).toArray(), [6, 15]);
  assert.deepEqual(mx.nd.sum(a).toArray(), [21]);
  assert.deepEqual(mx.nd.mean(a, { axis: 0, keepdims: true }).toArray(), [[2.5, 3.5, 4.5]]);
  assert.deepEqual(mx.nd.argmax(a, { axis: 1 }).toArray(), [2, 2]);
  assert.deepEqual(mx.nd.transpose(a).toArray(), [[1, 4], [2, 5], [3, 6]]);
  // num_args is filled in from the number of arrays
  assert.deepEqual(mx.nd.Concat(a, a, { dim: 0 }).shape, [4, 3]);
  assert.deepEqual(mx.nd.concat([a, a, a], { dim: 1 }).shape, [2, 9]);
  assert.deepEqual(mx.nd.add_n(a, a, a).toArray(), [[3, 6, 9], [12, 15, 18]]);
  const parts = mx.nd.SliceChannel(a, { num_outputs: 3, axis: 1 });
  assert.ok(Array.isArray(parts));
  assert.deepEqual(parts.map((p) => p.toArray()), [[[1], [4]], [[2], [5]], [[3], [6]]]);
});

test('softmax and activations', () => {
  const x = mx.nd.array([[1, 2, 3]]);
  const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
  const s = e[0] + e[1] + e[2];
  assertClose(mx.nd.softmax(x).toTypedArray(), e.map((v) => v / s), 1e-6);
  assertClose(mx.nd.Activation(mx.nd.array([-2, 0.5]), { act_type: 'tanh' }).toTypedArray(), [Math.tanh(-2), Math.tanh(0.5)], 1e-6);
  assertClose(mx.nd.Activation(mx.nd.array([-2, 0.5]), { act_type: 'softrelu' }).toTypedArray(),
    [Math.log1p(Math.exp(-2)), Math.log1p(Math.exp(0.5))], 1e-6);
});

function refFC(x, w, b, M, N, K) {
  const out = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = b ? b[j] : 0;
      for (let k = 0; k < K; k++) s += x[i * K + k] * w[j * K + k];
      out[i * N + j] = s;
    }
  }
  return out;
}

test('FullyConnected and dot match a float64 reference (every edge of the GEMM kernel)', () => {
  // batch sizes around the 4-row blocks, odd hidden sizes, K not a multiple of 4, and the MLP's own shapes
  for (const [M, N, K] of [[1, 1, 1], [1, 5, 3], [3, 7, 13], [4, 2, 4], [5, 9, 17], [9, 10, 128], [1, 128, 784], [13, 128, 784]]) {
    const x = randn(M * K, 1 + M);
    const w = randn(N * K, 2 + N);
    const b = randn(N, 3 + K);
    const out = mx.nd.FullyConnected(mx.nd.array(x, { shape: [M, K] }), mx.nd.array(w, { shape: [N, K] }),
      mx.nd.array(b), { num_hidden: N });
    assert.deepEqual(out.shape, [M, N]);
    assertClose(out.toTypedArray(), refFC(x, w, b, M, N, K), 1e-4, `FC ${M}x${N}x${K}`);
    const nob = mx.nd.FullyConnected(mx.nd.array(x, { shape: [M, K] }), mx.nd.array(w, { shape: [N, K] }),
      { num_hidden: N, no_bias: true });
    assertClose(nob.toTypedArray(), refFC(x, w, null, M, N, K), 1e-4, `FC no_bias ${M}x${N}x${K}`);
    const d = mx.nd.dot(mx.nd.array(x, { shape: [M, K] }), mx.nd.array(w, { shape: [N, K] }), { transpose_b: true });
    assertClose(d.toTypedArray(), refFC(x, w, null, M, N, K), 1e-4, `dot ${M}x${N}x${K}`);
  }
  // float64 takes the plain path
  const x = mx.nd.array([[1, 2], [3, 4]], { dtype: 'float64' });
  assert.deepEqual(mx.nd.dot(x, x).toArray(), [[7, 10], [15, 22]]);
});

test('out= writes into given arrays', () => {
  const a = mx.nd.array([1, 2]);
  const out = mx.nd.zeros([2]);
  const r = mx.nd.elemwise_add(a, a, { out });
  assert.equal(r, out);
  assert.deepEqual(out.toArray(), [2, 4]);
});

test('bad arguments throw the error class of their kind, naming the operator and the argument', () => {
  const a = mx.nd.array([[1, 2], [3, 4]]);
  assert.throws(() => mx.nd.elemwise_add(a, mx.nd.array([1, 2, 3])),
    (e) => e instanceof ShapeError && /elemwise_add/.test(e.message) && /\(2,2\)/.test(e.message) && /\(3,\)/.test(e.message));
  assert.throws(() => mx.nd.elemwise_add(a, mx.nd.array([[1, 2], [3, 4]], { dtype: 'float64' })),
    (e) => e instanceof MXCTypeError && e.name === 'MXCTypeError' && e.kind === 'TypeError' && /dtype/.test(e.message));
  assert.throws(() => mx.nd.Activation(a), (e) => e instanceof ValueError && /act_type/.test(e.message) && /missing/.test(e.message));
  assert.throws(() => mx.nd.Activation(a, { act_type: 'relu', bogus: 1 }), (e) => e instanceof ValueError && /unknown parameter 'bogus'/.test(e.message));
  assert.throws(() => mx.nd.FullyConnected(a, a, { num_hidden: 'x' }), (e) => e instanceof ValueError && /num_hidden/.test(e.message));
  assert.throws(() => mx.nd.FullyConnected(a, { num_hidden: 2 }), (e) => e instanceof ValueError && /FullyConnected/.test(e.message) && /expects 3 input/.test(e.message));
  assert.throws(() => mx.nd.relu(a, a), (e) => e instanceof MXCTypeError && /takes 1 input/.test(e.message));
  assert.throws(() => mx.nd.relu([1, 2]), MXCTypeError);
  assert.throws(() => mx.nd.elemwise_add(a, a, { out: 3 }), MXCTypeError);
  assert.match(String(new ShapeError('x', 'ShapeError')), /^ShapeError: x$/);
});

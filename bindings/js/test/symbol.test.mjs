import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mx, assertClose } from './helpers.mjs';
import { ShapeError, ValueError, MXCTypeError } from '../index.js';

function mlp() {
  const data = mx.sym.Variable('data');
  const fc1 = mx.sym.FullyConnected(mx.sym.Flatten(data), { num_hidden: 4, name: 'fc1' });
  const act = mx.sym.Activation({ data: fc1, act_type: 'relu', name: 'relu1' });
  const fc2 = mx.sym.FullyConnected(act, { num_hidden: 3, name: 'fc2' });
  return mx.sym.SoftmaxOutput(fc2, { name: 'softmax' });
}

test('composing symbols names arguments, outputs and auxiliary states', () => {
  const net = mlp();
  assert.deepEqual(net.listArguments(), ['data', 'fc1_weight', 'fc1_bias', 'fc2_weight', 'fc2_bias', 'softmax_label']);
  assert.deepEqual(net.listOutputs(), ['softmax_output']);
  assert.equal(net.name, 'softmax');
  assert.equal(net.numOutputs, 1);
  const bn = mx.sym.BatchNorm(mx.sym.Variable('x'), { name: 'bn' });
  assert.deepEqual(bn.listAuxiliaryStates(), ['bn_moving_mean', 'bn_moving_var']);
  assert.deepEqual(bn.listInputs(), ['x', 'bn_gamma', 'bn_beta', 'bn_moving_mean', 'bn_moving_var']);
  const g = mx.sym.Group([net, bn]);
  assert.equal(g.numOutputs, 2);
  assert.equal(g.name, null);
  assert.equal(g.get(1).name, 'bn');
  assert.equal(g.get('softmax_output').name, 'softmax');
  assert.throws(() => g.get('nope'), ValueError);
  const internals = net.getInternals();
  assert.ok(internals.listOutputs().includes('fc1_output'));
  const fc1 = internals.get('fc1_output');
  assert.deepEqual(fc1.listArguments(), ['data', 'fc1_weight', 'fc1_bias']);
  assert.deepEqual(fc1.getChildren().listOutputs().length, 3);
  assert.equal(mx.sym.Variable('v').getChildren(), null);
});

test('attributes, variables with shape and dtype', () => {
  const v = mx.sym.Variable('w', { shape: [2, 3], dtype: 'float64', attr: { lr_mult: 0.5 } });
  assert.equal(v.attr('__shape__'), '(2,3)');
  assert.equal(v.attr('lr_mult'), '0.5');
  assert.equal(v.attr('nope'), undefined);
  v.setAttr('wd_mult', 2);
  assert.equal(v.listAttr().wd_mult, '2');
  const s = mx.sym.relu(v, { name: 'r', attr: { mood: 'ok' } });
  assert.equal(s.listAttr(true)['r$mood'], 'ok');
  assert.deepEqual(s.inferShape().outputs, [[2, 3]]);
  assert.deepEqual(s.inferType().outputs, ['float64']);
});

test('shape and type inference, partial and conflicting', () => {
  const net = mlp();
  const r = net.inferShape({ data: [5, 2, 3] });
  assert.equal(r.complete, true);
  assert.deepEqual(r.args, [[5, 2, 3], [4, 6], [4], [3, 4], [3], [5]]);
  assert.deepEqual(r.outputs, [[5, 3]]);
  const x = mx.sym.Variable('x');
  const y = mx.sym.Variable('y');
  const s = mx.sym.elemwise_add(x, y, { name: 'add' });
  assert.throws(() => s.inferShape({ x: [2, 3], y: [3, 2] }),
    (e) => e instanceof ShapeError && /add/.test(e.message) && /\(2,3\)/.test(e.message) && /\(3,2\)/.test(e.message));
  const dot = mx.sym.dot(x, y);
  const p = dot.inferShape({ x: [2, 3] }, { partial: true });
  assert.equal(p.complete, false);
  assert.deepEqual(p.args[0], [2, 3]);
  assert.throws(() => dot.inferShape({ x: [2, 3] }), ShapeError);
  const t = s.inferType({ x: 'float64' });
  assert.deepEqual(t.args, ['float64', 'float64']);
  assert.throws(() => s.inferType({ x: 'float64', y: 'float32' }), MXCTypeError);
});

test('JSON round trip keeps the graph', () => {
  const net = mlp();
  const json = net.toJSON();
  const obj = JSON.parse(json);
  assert.ok(Array.isArray(obj.nodes) && Array.isArray(obj.heads));
  const back = mx.sym.fromJSON(json);
  assert.deepEqual(back.listArguments(), net.listArguments());
  assert.equal(back.toJSON(), json);
  const fromBytes = mx.sym.fromJSON(new TextEncoder().encode(json));
  assert.deepEqual(fromBytes.listOutputs(), ['softmax_output']);
  assert.match(net.print(), /FullyConnected/);
  const c = net.copy();
  assert.deepEqual(c.listArguments(), net.listArguments());
  assert.throws(() => mx.sym.fromJSON('{bad'), ValueError);
  assert.throws(() => mx.sym.fromJSON(3), MXCTypeError);
  assert.throws(() => mx.sym.FullyConnected(mx.sym.Variable('d'), { num_hidden: 2, flatten: 'maybe' }), ValueError);
  assert.throws(() => mx.sym.relu(mx.nd.zeros([1])), MXCTypeError);
});

test('executor forward and backward against hand-computed values', () => {
  // y = sum((a * b) + a, axis=1); dy/da = b + 1, dy/db = a
  const a = mx.sym.Variable('a');
  const b = mx.sym.Variable('b');
  const y = mx.sym.sum(mx.sym.elemwise_add(mx.sym.elemwise_mul(a, b), a), { axis: 1 });
  const av = mx.nd.array([[1, 2], [3, 4]]);
  const bv = mx.nd.array([[5, 6], [7, 8]]);
  const ga = mx.nd.zeros([2, 2]);
  const gb = mx.nd.zeros([2, 2]);
  const ex = mx.bind(y, { args: { a: av, b: bv }, argGrads: { a: ga, b: gb } });
  const [out] = ex.forward(true);
  assert.deepEqual(out.toArray(), [1 * 5 + 1 + 2 * 6 + 2, 3 * 7 + 3 + 4 * 8 + 4]);
  ex.backward([mx.nd.array([1, 10])]);
  assert.deepEqual(ga.toArray(), [[6, 7], [80, 90]]);
  assert.deepEqual(gb.toArray(), [[1, 2], [30, 40]]);
  // gradReq 'add' accumulates
  const ex2 = mx.bind(y, { args: [av, bv], argGrads: [ga, null], gradReq: 'add' });
  ex2.forward(true);
  ex2.backward([mx.nd.array([1, 1])]);
  assert.deepEqual(ga.toArray(), [[12, 14], [88, 99]]);
  // new inputs through forward
  ex.forward(false, { a: new Float32Array([0, 0, 1, 1]) });
  assert.deepEqual(ex.outputs[0].toArray(), [0, 7 + 1 + 8 + 1]);
  assert.ok(ex.memoryStats().unplanned >= 0);
  assert.match(ex.print(), /elemwise_mul/);
  ex.dispose();
  ex2.dispose();
  assert.throws(() => ex.forward(), ValueError);
  assert.throws(() => mx.bind(y, { args: { a: av } }), (e) => e instanceof ValueError && /'b'/.test(e.message));
  assert.throws(() => mx.bind(y, { args: { a: av, b: bv, c: av } }), ValueError);
  assert.throws(() => mx.bind(y, { args: { a: av, b: mx.nd.zeros([3]) } }), ShapeError);
});

test('simpleBind and a SoftmaxOutput gradient (softmax - one_hot(label))', () => {
  const x = mx.sym.Variable('x');
  const net = mx.sym.SoftmaxOutput(x, { name: 'sm' });
  const ex = mx.simpleBind(net, { x: [1, 3] }, { gradReq: 'write' });
  ex.argArrays.x.set([1, 2, 3]);
  ex.argArrays.sm_label.set([2]);
  ex.forward(true);
  const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
  const s = e[0] + e[1] + e[2];
  const p = e.map((v) => v / s);
  assertClose(ex.outputs[0].toTypedArray(), p, 1e-6);
  ex.backward();
  assertClose(ex.gradArrays.x.toTypedArray(), [p[0], p[1], p[2] - 1], 1e-6);
  ex.dispose();
});

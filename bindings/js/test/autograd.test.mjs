import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mx } from './helpers.mjs';
import { ValueError } from '../index.js';

test('autograd: record, backward into attached gradients, as MXNet', () => {
  const x = mx.nd.array([[1, 2], [3, 4]]);
  x.attachGrad();
  assert.deepEqual(x.grad.toArray(), [[0, 0], [0, 0]]);
  const y = mx.autograd.record(() => {
    assert.equal(mx.autograd.isRecording(), true);
    assert.equal(mx.autograd.isTraining(), true);
    return mx.nd.elemwise_add(mx.nd.elemwise_mul(x, x), mx.nd._mul_scalar(x, { scalar: 2 }));
  });
  assert.equal(mx.autograd.isRecording(), false);
  y.backward();
  assert.deepEqual(x.grad.toArray(), [[4, 6], [8, 10]]); // 2x + 2 (MXNet 1.9.1 prints the same)
  // The graph is freed by backward.
  assert.throws(() => y.backward(), (e) => e instanceof ValueError && /not in a computational graph/.test(e.message));
});

test('autograd: head gradients, grad(), add requests and detach', () => {
  const p = mx.nd.array([1, 2, 3]);
  p.attachGrad('add');
  const q = mx.autograd.record(() => mx.nd.elemwise_mul(p, p));
  const [g] = mx.autograd.grad([q], [p], [mx.nd.array([1, 10, 100])], { retainGraph: true });
  assert.deepEqual(g.toArray(), [2, 40, 600]);
  assert.deepEqual(p.grad.toArray(), [0, 0, 0]);
  q.backward(null, { retainGraph: true });
  q.backward();
  assert.deepEqual(p.grad.toArray(), [4, 8, 12]);
  const r = mx.autograd.record(() => mx.nd.elemwise_mul(p.detach(), p));
  r.backward();
  assert.deepEqual(p.grad.toArray(), [5, 10, 15]); // added: d(c p)/dp = c
  assert.equal(mx.nd.array([1]).grad, null);
});

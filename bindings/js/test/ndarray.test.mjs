import { test } from 'node:test';
import assert from 'node:assert/strict';
import vm from 'node:vm';
import v8 from 'node:v8';
import { mx } from './helpers.mjs';
import { readFileSync } from 'node:fs';
import { ShapeError, MXCTypeError, ValueError, IndexError, IOError, MXCError, NDArray, HEADER_VERSION } from '../index.js';

test('the module loads with the header version, the wasm feature and the synchronous engine', () => {
  // The header's version, read from include/mxc.h itself: the module's and the binding's must be it.
  const header = readFileSync(new URL('../../../include/mxc.h', import.meta.url), 'utf8');
  const want = {
    major: Number(header.match(/#define MXC_VERSION_MAJOR (\d+)/)[1]),
    minor: Number(header.match(/#define MXC_VERSION_MINOR (\d+)/)[1]),
  };
  assert.deepEqual(mx.version, want);
  assert.deepEqual(HEADER_VERSION, want);
  assert.equal(mx.features.WASM, true);
  assert.equal(mx.features.CUDA, false);
  assert.equal(mx.engine, 'NaiveEngine');
});

test('arrays from nested arrays keep shape, dtype and values', () => {
  const a = mx.nd.array([[1, 2, 3], [4, 5, 6]]);
  assert.ok(a instanceof NDArray);
  assert.deepEqual(a.shape, [2, 3]);
  assert.equal(a.ndim, 2);
  assert.equal(a.size, 6);
  assert.equal(a.dtype, 'float32');
  assert.deepEqual(a.device, [1, 0]);
  assert.deepEqual(a.toArray(), [[1, 2, 3], [4, 5, 6]]);
  const t = a.toTypedArray();
  assert.ok(t instanceof Float32Array);
  assert.deepEqual(Array.from(t), [1, 2, 3, 4, 5, 6]);
  t[0] = 100; // a copy
  assert.equal(a.toArray()[0][0], 1);
  a.dispose();
});

test('typed arrays give their dtype; every dtype round-trips', () => {
  const cases = [
    [new Float64Array([1.5, -2.25]), 'float64', [1.5, -2.25]],
    [new Int32Array([7, -8]), 'int32', [7, -8]],
    [new Uint8Array([0, 255]), 'uint8', [0, 255]],
    [new Int8Array([-128, 127]), 'int8', [-128, 127]],
    [new BigInt64Array([2n ** 40n, -3n]), 'int64', [2n ** 40n, -3n]],
  ];
  for (const [data, dtype, expect] of cases) {
    const a = mx.nd.array(data);
    assert.equal(a.dtype, dtype);
    assert.deepEqual(Array.from(a.toTypedArray()), expect);
    a.dispose();
  }
  const b = mx.nd.array([1, 0, 1], { dtype: 'bool' });
  assert.equal(b.dtype, 'bool');
  assert.deepEqual(Array.from(b.toTypedArray()), [1, 0, 1]);
  const c = mx.nd.array([1.7, -2.7], { dtype: 'int32' }); // converted like a typed array assignment: truncated
  assert.deepEqual(c.toArray(), [1, -2]);
  const s = mx.nd.array(new Float32Array(6).fill(2), { shape: [3, 2] });
  assert.deepEqual(s.shape, [3, 2]);
});

test('set overwrites; a wrong count is a ShapeError', () => {
  const a = mx.nd.empty([2, 2]);
  a.set([[1, 2], [3, 4]]);
  assert.deepEqual(a.toArray(), [[1, 2], [3, 4]]);
  a.set(new Float32Array([5, 6, 7, 8]));
  assert.deepEqual(Array.from(a.toTypedArray()), [5, 6, 7, 8]);
  assert.throws(() => a.set([1, 2, 3]), (e) => e instanceof ShapeError && /3 values/.test(e.message));
  assert.throws(() => mx.nd.array([[1, 2], [3]]), ValueError);
  assert.throws(() => mx.nd.array([1], { dtype: 'complex64' }), (e) => e instanceof MXCTypeError && e.kind === 'TypeError');
});

test('zeros, ones and full come from the registry', () => {
  assert.deepEqual(mx.nd.zeros([2, 3]).toArray(), [[0, 0, 0], [0, 0, 0]]);
  assert.deepEqual(mx.nd.ones(3, 'float64').toArray(), [1, 1, 1]);
  const f = mx.nd.full([2], 7, 'int32');
  assert.equal(f.dtype, 'int32');
  assert.deepEqual(f.toArray(), [7, 7]);
});

test('slice, at and reshape are views sharing storage', () => {
  const a = mx.nd.array([[1, 2], [3, 4], [5, 6]]);
  const s = a.slice(1, 3);
  assert.deepEqual(s.toArray(), [[3, 4], [5, 6]]);
  assert.ok(s.sharesStorageWith(a));
  const r = a.at(-1);
  assert.deepEqual(r.toArray(), [5, 6]);
  const v = a.reshape([-1]);
  assert.deepEqual(v.shape, [6]);
  const w = a.reshape([2, -1]);
  assert.deepEqual(w.shape, [2, 3]);
  v.set([10, 20, 30, 40, 50, 60]);
  assert.deepEqual(a.toArray(), [[10, 20], [30, 40], [50, 60]]);
  assert.deepEqual(s.toArray(), [[30, 40], [50, 60]]);
  const other = mx.nd.zeros([3, 2]);
  assert.equal(other.sharesStorageWith(a), false);
  assert.throws(() => a.at(3), (e) => e instanceof IndexError && /out of range/.test(e.message));
  assert.throws(() => a.slice(2, 5), IndexError);
  assert.throws(() => a.reshape([4]), (e) => e instanceof ShapeError && /\(3,2\)/.test(e.message));
});

test('a disposed array throws a ValueError; dispose twice is fine', () => {
  const a = mx.nd.zeros([2]);
  a.dispose();
  assert.equal(a.disposed, true);
  a.dispose();
  assert.throws(() => a.shape, (e) => e instanceof ValueError && e instanceof MXCError && /disposed/.test(e.message));
  assert.throws(() => mx.nd.relu(a), ValueError);
  assert.equal(String(a), '<NDArray disposed>');
});

test('save and load bytes in the library format, named and unnamed', () => {
  const a = mx.nd.array([[1, 2], [3, 4]]);
  const b = mx.nd.array(new Int32Array([5, 6, 7]));
  const bytes = mx.nd.save({ first: a, second: b });
  assert.ok(bytes instanceof Uint8Array);
  assert.equal(new TextDecoder().decode(bytes.subarray(0, 8)), 'MXCNDARR');
  const back = mx.nd.load(bytes);
  assert.deepEqual(Object.keys(back).sort(), ['first', 'second']);
  assert.deepEqual(back.first.toArray(), [[1, 2], [3, 4]]);
  assert.equal(back.second.dtype, 'int32');
  assert.deepEqual(back.second.toArray(), [5, 6, 7]);
  const list = mx.nd.load(mx.nd.save([b, a]));
  assert.ok(Array.isArray(list));
  assert.deepEqual(list[1].toArray(), [[1, 2], [3, 4]]);
  assert.throws(() => mx.nd.load(bytes.subarray(0, bytes.length - 3)), (e) => e instanceof IOError && e.kind === 'IOError');
  assert.throws(() => mx.nd.load(new Uint8Array([1, 2, 3])), IOError);
  assert.throws(() => mx.nd.load('not bytes'), MXCTypeError);
  assert.throws(() => mx.nd.save([a, 3]), MXCTypeError);
});

test('memory growth: earlier arrays stay correct and views are re-read', () => {
  const small = mx.nd.array([1, 2, 3]);
  const before = mx._rt.mod.HEAPU8.buffer.byteLength;
  const big = mx.nd.zeros([64 * 1024 * 1024 / 4]); // 64 MiB: more than the 16 MiB the module starts with
  const after = mx._rt.mod.HEAPU8.buffer.byteLength;
  assert.ok(after > before, `memory grew (${before} -> ${after})`);
  assert.deepEqual(small.toArray(), [1, 2, 3]);
  const x = mx.nd._plus_scalar(small, { scalar: 1 });
  assert.deepEqual(x.toArray(), [2, 3, 4]);
  const tail = big.slice(big.size - 2, big.size);
  tail.set([5, 6]);
  assert.deepEqual(tail.toArray(), [5, 6]);
  big.dispose();
  tail.dispose();
});

test('the finalizer frees arrays that were never disposed', async () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc');
  const mem = () => mx._rt.mod.HEAPU8.buffer.byteLength;
  const make = () => { mx.nd.zeros([4 * 1024 * 1024 / 4]); }; // 4 MiB, dropped at once
  for (let i = 0; i < 4; i++) make();
  gc();
  await new Promise((r) => setTimeout(r, 10));
  const start = mem();
  for (let round = 0; round < 10; round++) {
    for (let i = 0; i < 8; i++) make();
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
  // 80 arrays of 4 MiB were made; without the finalizer the memory would have grown by 320 MiB.
  assert.ok(mem() - start <= 64 * 1024 * 1024, `memory grew by ${(mem() - start) >> 20} MiB`);
});

test('the file-based save/load calls are a clean IOError in WebAssembly (no file system), never an abort', () => {
  const rt = mx._rt;
  for (const [fn, args] of [
    ['MXCNDArraySave', (s) => [s.str('/tmp/x.params'), 0, 0, 0]],
    ['MXCNDArrayLoad', (s) => [s.str('/tmp/x.params'), s.out(), s.out(), s.out(), s.out()]],
    ['MXCSymbolCreateFromFile', (s) => [s.str('/tmp/x-symbol.json'), s.out()]],
  ]) {
    assert.throws(() => rt.scratch((s) => rt.call(fn, ...args(s))),
      (e) => e instanceof IOError && /no file system/.test(e.message), fn);
  }
  // The library still works afterwards.
  assert.deepEqual(mx.nd.elemwise_add(mx.nd.array([1, 2]), mx.nd.array([3, 4])).toArray(), [4, 6]);
});

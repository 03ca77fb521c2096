// NDArray: an n-dimensional array in the wasm memory (a handle of the library).
import { Handle } from './handle.js';
import { bindingError, ValueError } from './errors.js';
import { dtypeOf, dtypeOfTypedArray } from './runtime.js';

export class NDArray extends Handle {
  /** Wraps an owned handle (use the functions of mx.nd to create arrays). */
  constructor(rt, ptr) {
    super(rt, 'ndarray', ptr);
    this._shape = null;
    this._dtype = null;
  }
  _free(p) { this._rt.check(this._rt.mod._MXCNDArrayFree(p)); }

  /** The shape, as an array of numbers (a copy). */
  get shape() {
    if (!this._shape) {
      const rt = this._rt;
      this._shape = rt.query('MXCNDArrayGetShape', [this.handle], 2,
        (nd, sp) => rt.readI64s(rt.readPtr(sp), rt.readI32(nd)));
    }
    return this._shape.slice();
  }
  get ndim() { return this.shape.length; }
  /** Number of elements. */
  get size() { return this.shape.reduce((a, b) => a * b, 1); }
  /** The element type's name ("float32", ...). */
  get dtype() {
    if (!this._dtype) {
      const rt = this._rt;
      this._dtype = rt.query('MXCNDArrayGetDType', [this.handle], 1, (o) => dtypeOf(rt.readI32(o)).name);
    }
    return this._dtype;
  }
  /** The device as [typeCode, id] (always [1, 0], cpu, in WebAssembly). */
  get device() {
    const rt = this._rt;
    return rt.query('MXCNDArrayGetDevice', [this.handle], 2, (t, i) => [rt.readI32(t), rt.readI32(i)]);
  }

  /** Copies the contents into a new typed array of the dtype (Float32Array, ..., BigInt64Array for int64,
   *  Uint8Array for uint8 and bool, Uint16Array of raw bits for float16). Waits for pending writes. */
  toTypedArray() {
    const rt = this._rt;
    const dt = dtypeOf(this.dtype);
    const n = this.size;
    return rt.scratch((s) => {
      const p = s.alloc(n * dt.bytes);
      rt.call('MXCNDArraySyncCopyToCPU', this.handle, p, BigInt(n));
      return new dt.array(rt.u8.slice(p, p + n * dt.bytes).buffer);
    });
  }
  /** The contents as nested JavaScript arrays (numbers; BigInt for int64). */
  toArray() {
    const flat = Array.from(this.toTypedArray());
    const shape = this.shape;
    if (shape.length === 0) return flat;
    const build = (dim, off) => {
      if (dim === shape.length - 1) return flat.slice(off, off + shape[dim]);
      const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      const out = [];
      for (let i = 0; i < shape[dim]; i++) out.push(build(dim + 1, off + i * stride));
      return out;
    };
    return build(0, 0);
  }
  /** Overwrites the contents from a typed array or (nested) array of exactly size elements, converted to the
   *  dtype. Returns this. */
  set(data) {
    const rt = this._rt;
    const dt = dtypeOf(this.dtype);
    const n = this.size;
    const src = toTyped(data, dt);
    if (src.length !== n) {
      throw bindingError('ShapeError', `set: ${src.length} values for an array of shape (${this.shape.join(', ')}) with ${n} elements`);
    }
    rt.scratch((s) => {
      const p = s.bytes(src);
      rt.call('MXCNDArraySyncCopyFromCPU', this.handle, p, BigInt(n));
    });
    return this;
  }
  /** A view of rows [begin, end) along the first axis, sharing storage. */
  slice(begin, end) {
    return this._view('MXCNDArraySlice', BigInt(begin), BigInt(end));
  }
  /** A view of row idx (negative counts from the end), one dimension fewer, sharing storage. */
  at(idx) {
    return this._view('MXCNDArrayAt', BigInt(idx));
  }
  /** A view with another shape (MXNet's special codes 0, -1, -2, -3, -4 allowed), sharing storage. */
  reshape(shape) {
    const rt = this._rt;
    return rt.query('MXCNDArrayReshape', (s) => [this.handle, shape.length, s.i64s(shape)], 1,
      (o) => new NDArray(rt, rt.readPtr(o)));
  }
  /** Marks the array as an autograd variable: backward writes ('write') or adds ('add') its gradient into a new
   *  array of zeros, `grad`. */
  attachGrad(gradReq = 'write') {
    const rt = this._rt;
    const codes = { null: 0, write: 1, add: 3 };
    if (!(gradReq in codes)) throw new ValueError(`attachGrad: gradReq must be 'null', 'write' or 'add', got ${gradReq}`);
    const g = empty(rt, this.shape, this.dtype);
    try {
      rt.scratch((s) => {
        const zeros = s.alloc(this.size * dtypeOf(this.dtype).bytes);
        rt.u8.fill(0, zeros, zeros + this.size * dtypeOf(this.dtype).bytes);
        rt.call('MXCNDArraySyncCopyFromCPU', g.handle, zeros, BigInt(this.size));
        rt.call('MXCAutogradMarkVariables', 1, s.u32s([this.handle]), s.i32s([codes[gradReq]]), s.u32s([g.handle]));
      });
    } finally {
      g.dispose();
    }
  }
  /** The gradient array of a variable (attachGrad), or null. */
  get grad() {
    const rt = this._rt;
    return rt.query('MXCNDArrayGetGrad', [this.handle], 1, (o) => {
      const p = rt.readPtr(o);
      return p ? new NDArray(rt, p) : null;
    });
  }
  /** Backward from this array (recorded inside mx.autograd.record) into the variables' gradients; headGrad: its
   *  own gradient (default: ones). */
  backward(headGrad = null, { retainGraph = false } = {}) {
    autogradBackward(this._rt, [this], headGrad ? [headGrad] : null, retainGraph);
  }
  /** The same array outside the autograd graph. */
  detach() {
    return this._view('MXCNDArrayDetach');
  }
  _view(fn, ...args) {
    const rt = this._rt;
    return rt.query(fn, [this.handle, ...args], 1, (o) => new NDArray(rt, rt.readPtr(o)));
  }
  /** true when both arrays view the same storage. */
  sharesStorageWith(other) {
    const rt = this._rt;
    return rt.query('MXCNDArraySharesStorage', [this.handle, other.handle], 1, (o) => rt.readI32(o) !== 0);
  }
  /** Waits for pending writes; throws the error of a failed one. */
  waitToRead() { this._rt.call('MXCNDArrayWaitToRead', this.handle); return this; }
  /** Waits for pending reads and writes. */
  waitToWrite() { this._rt.call('MXCNDArrayWaitToWrite', this.handle); return this; }
  toString() {
    if (this.disposed) return '<NDArray disposed>';
    return `<NDArray ${this.shape.join('x')} ${this.dtype} @cpu(0)>`;
  }
}

/** Flattens nested arrays; returns [flat values, shape]. */
export function flattenNested(data) {
  const shape = [];
  let d = data;
  while (Array.isArray(d)) {
    shape.push(d.length);
    d = d[0];
  }
  const flat = shape.length > 1 ? data.flat(shape.length - 1) : Array.from(data);
  const n = shape.reduce((a, b) => a * b, 1);
  if (flat.length !== n || flat.some((x) => Array.isArray(x))) {
    throw bindingError('ValueError', 'nested arrays are ragged: every row must have the same length');
  }
  return [flat, shape];
}

/** data (a typed array or nested arrays) as a typed array of dtype entry dt (a copy where it must convert). */
export function toTyped(data, dt) {
  if (ArrayBuffer.isView(data) && !(data instanceof DataView)) {
    if (data instanceof dt.array) return data;
    if (dt.array === BigInt64Array) return BigInt64Array.from(data, (x) => BigInt(Math.trunc(Number(x))));
    if (data instanceof BigInt64Array) return dt.array.from(data, Number);
    return dt.array.from(data);
  }
  if (Array.isArray(data)) {
    const [flat] = flattenNested(data);
    if (dt.name === 'bool') return Uint8Array.from(flat, (x) => (x ? 1 : 0));
    if (dt.array === BigInt64Array) return BigInt64Array.from(flat, (x) => BigInt(x));
    return dt.array.from(flat, Number);
  }
  if (typeof data === 'number' || typeof data === 'bigint' || typeof data === 'boolean') return toTyped([data], dt);
  throw bindingError('TypeError', `cannot make an array from ${data === null ? 'null' : typeof data}`);
}

/** Creates an uninitialised array. */
export function empty(rt, shape, dtype) {
  const dt = dtypeOf(dtype);
  const sh = normShape(shape);
  return rt.query('MXCNDArrayCreate', (s) => [s.i64s(sh), sh.length, dt.code, 1, 0, 0], 1,
    (o) => new NDArray(rt, rt.readPtr(o)));
}

export function normShape(shape) {
  if (typeof shape === 'number') return [shape];
  if (!Array.isArray(shape) && !ArrayBuffer.isView(shape)) {
    throw bindingError('TypeError', `a shape is an array of integers, got ${typeof shape}`);
  }
  return Array.from(shape, Number);
}

/** An array from a typed array or nested arrays; options.shape (defaults: the nesting, or the typed array's
 *  length) and options.dtype (default: the typed array's, else float32). */
export function array(rt, data, options = {}) {
  let shape = options.shape;
  let dtype = options.dtype;
  if (ArrayBuffer.isView(data)) {
    dtype = dtype || dtypeOfTypedArray(data) || 'float32';
    shape = shape || [data.length];
  } else if (Array.isArray(data)) {
    shape = shape || flattenNested(data)[1];
  } else if (typeof data === 'number' || typeof data === 'boolean' || typeof data === 'bigint') {
    shape = shape || [1];
  } else if (data instanceof NDArray) {
    data = data.toTypedArray();
    return array(rt, data, options);
  }
  const a = empty(rt, shape, dtype);
  try {
    a.set(data);
  } catch (e) {
    a.dispose();
    throw e;
  }
  return a;
}

/** Bytes in the library's array format (as mx.nd.save) of arrays (a list, or an object of named arrays). */
export function saveToBytes(rt, arrays) {
  const named = !Array.isArray(arrays);
  const keys = named ? Object.keys(arrays) : null;
  const list = named ? keys.map((k) => arrays[k]) : arrays;
  list.forEach((a, i) => {
    if (!(a instanceof NDArray)) throw bindingError('TypeError', `save: entry ${named ? `'${keys[i]}'` : i} is not an NDArray`);
  });
  return rt.scratch((s) => {
    const size = s.out();
    const buf = s.out();
    rt.call('MXCNDArraySaveToBuffer', list.length, s.u32s(list.map((a) => a.handle)), named ? s.strs(keys) : 0, size, buf);
    const p = rt.readPtr(buf);
    return rt.u8.slice(p, p + rt.readI64(size));
  });
}

/** Arrays from bytes in the library's array format: an object by name, or a list for unnamed arrays. */
export function loadFromBytes(rt, bytes) {
  if (!ArrayBuffer.isView(bytes) && !(bytes instanceof ArrayBuffer)) {
    throw bindingError('TypeError', 'load: expected a Uint8Array or ArrayBuffer of the saved bytes');
  }
  return rt.scratch((s) => {
    const p = s.bytes(bytes);
    const len = bytes.byteLength;
    const num = s.out();
    const arrs = s.out();
    const nkeys = s.out();
    const keys = s.out();
    rt.call('MXCNDArrayLoadFromBuffer', p, BigInt(len), num, arrs, nkeys, keys);
    const n = rt.readI32(num);
    const handles = rt.readPtrs(rt.readPtr(arrs), n);
    const names = rt.readI32(nkeys) > 0 ? rt.readStrs(rt.readPtr(keys), n) : null;
    const wrapped = handles.map((h) => new NDArray(rt, h));
    if (!names) return wrapped;
    const out = {};
    names.forEach((k, i) => { out[k] = wrapped[i]; });
    return out;
  });
}

/** Backward from heads into the variables' gradient arrays, or (vars given) into new arrays returned. */
export function autogradBackward(rt, heads, headGrads, retainGraph, vars = null) {
  if (headGrads && headGrads.length !== heads.length) {
    throw new ValueError(`backward: ${heads.length} heads but ${headGrads.length} head gradients`);
  }
  return rt.scratch((s) => {
    const hg = headGrads ? s.u32s(headGrads.map((g) => (g ? g.handle : 0))) : 0;
    const nv = vars ? vars.length : 0;
    const out = nv ? s.u32s(new Array(nv).fill(0)) : 0;
    rt.call('MXCAutogradBackward', heads.length, s.u32s(heads.map((h) => h.handle)), hg, nv,
      nv ? s.u32s(vars.map((v) => v.handle)) : 0, retainGraph ? 1 : 0, 1, out);
    const res = [];
    for (let i = 0; i < nv; ++i) res.push(new NDArray(rt, rt.readPtr(out + 4 * i)));
    return res;
  });
}

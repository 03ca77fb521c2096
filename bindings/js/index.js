// mxc for JavaScript: the mxc core compiled to WebAssembly, behind a thin layer over the functions of
// include/mxc.h. Works in Node.js (>= 18) and in browsers.
//
//   import { load } from 'mxc';
//   const mx = await load();
//   const a = mx.nd.array([[1, 2], [3, 4]]);
//   const b = mx.nd.relu(mx.nd.elemwise_sub(a, mx.nd.ones({ shape: [2, 2] })));
//   console.log(b.toArray());          // [[0, 1], [2, 3]]
//   a.dispose(); b.dispose();          // or leave it to the garbage collector
import { instantiate, Runtime, DTYPES } from './src/runtime.js';
import {
  MXCError, ShapeError, MXCTypeError, ValueError, IndexError, IOError, DeviceError, InternalError,
} from './src/errors.js';
import { NDArray, array, empty, normShape, saveToBytes, loadFromBytes, autogradBackward } from './src/ndarray.js';
import { readRegistry, makeNDFunction, makeSymFunction, paramString } from './src/ops.js';
import { Symbol as MXSymbol } from './src/symbol.js';
import { Executor } from './src/executor.js';
import { Predictor, loadParams, loadCheckpoint } from './src/predictor.js';

export {
  MXCError, ShapeError, MXCTypeError, ValueError, IndexError, IOError, DeviceError, InternalError,
  NDArray, MXSymbol as Symbol, Executor, Predictor, paramString,
};

/** The major and minor version of include/mxc.h this binding was written against (checked at load). */
export const HEADER_VERSION = { major: 0, minor: 5 };

/** Loads the WebAssembly module and returns the library's API (see index.d.ts). options: wasmURL (where to
 *  fetch mxc.wasm; default: dist/mxc.wasm next to this package), wasmBinary (its bytes), wasmModule (a compiled
 *  WebAssembly.Module), print/printErr. */
export async function load(options = {}) {
  const mod = await instantiate(options);
  return new Mxc(new Runtime(mod));
}

class Mxc {
  constructor(rt) {
    this._rt = rt;
    this.version = rt.query('MXCGetVersion', [], 2, (a, b) => ({ major: rt.readI32(a), minor: rt.readI32(b) }));
    if (this.version.major !== HEADER_VERSION.major) {
      throw new InternalError(`the wasm module is mxc ${this.version.major}.${this.version.minor}; this binding needs major version ${HEADER_VERSION.major}`);
    }
    this.features = rt.scratch((s) => {
      const n = s.out();
      const names = s.out();
      const en = s.out();
      rt.call('MXCLibInfoFeatures', n, names, en);
      const k = rt.readI32(n);
      const ns = rt.readStrs(rt.readPtr(names), k);
      const es = rt.readI32s(rt.readPtr(en), k);
      return Object.fromEntries(ns.map((x, i) => [x, es[i] !== 0]));
    });
    this.dtypes = DTYPES.map((d) => d.name);
    this.ops = readRegistry(rt);
    this.NDArray = NDArray;
    this.Symbol = MXSymbol;
    this.Executor = Executor;
    this.errors = { MXCError, ShapeError, MXCTypeError, ValueError, IndexError, IOError, DeviceError, InternalError };

    // mx.nd: arrays, and one function per operator name and alias.
    const nd = {
      array: (data, opts) => array(rt, data, opts),
      empty: (shape, dtype) => empty(rt, shape, dtype),
      save: (arrays) => saveToBytes(rt, arrays),
      load: (bytes) => loadFromBytes(rt, bytes),
      waitAll: () => rt.call('MXCNDArrayWaitAll'),
      // MXNet's creation helpers, through the registry's _zeros, _ones and _full.
      zeros: (shape, dtype = 'float32') => nd._zeros({ shape: normShape(shape), dtype }),
      ones: (shape, dtype = 'float32') => nd._ones({ shape: normShape(shape), dtype }),
      full: (shape, value, dtype = 'float32') => nd._full({ shape: normShape(shape), value, dtype }),
    };
    const sym = {
      Variable: (name, opts) => MXSymbol.variable(rt, name, opts),
      var: (name, opts) => MXSymbol.variable(rt, name, opts),
      Group: (syms) => MXSymbol.group(rt, syms),
      fromJSON: (json) => MXSymbol.fromJSON(rt, json),
    };
    for (const info of this.ops.values()) {
      for (const name of [info.name, ...info.aliases]) {
        if (!(name in nd)) nd[name] = makeNDFunction(rt, info, name);
        if (!(name in sym)) sym[name] = makeSymFunction(rt, info, name, MXSymbol);
      }
    }
    this.nd = nd;
    this.sym = sym;
    // mx.autograd: record operator calls made inside fn, then backward from their results (MXNet's autograd).
    const flag = (fn, v) => rt.scratch((s) => {
      const prev = s.out();
      rt.call(fn, v ? 1 : 0, prev);
      return rt.readI32(prev) !== 0;
    });
    const get = (fn) => rt.query(fn, [], 1, (o) => rt.readI32(o) !== 0);
    this.autograd = {
      record: (fn, { trainMode = true } = {}) => {
        const r = flag('MXCAutogradSetIsRecording', true);
        const t = flag('MXCAutogradSetIsTraining', trainMode);
        try {
          return fn();
        } finally {
          flag('MXCAutogradSetIsTraining', t);
          flag('MXCAutogradSetIsRecording', r);
        }
      },
      isRecording: () => get('MXCAutogradIsRecording'),
      isTraining: () => get('MXCAutogradIsTraining'),
      backward: (heads, headGrads = null, { retainGraph = false } = {}) => {
        autogradBackward(rt, heads, headGrads, retainGraph);
      },
      grad: (heads, vars, headGrads = null, { retainGraph = false } = {}) =>
        autogradBackward(rt, heads, headGrads, retainGraph, vars),
    };
  }

  /** The OpInfo of an operator by name or alias (undefined if unknown). */
  opInfo(name) {
    const f = this.nd[name];
    return f && f.info;
  }
  /** Binds a symbol (see Executor.bind). */
  bind(symbol, options) { return Executor.bind(this._rt, symbol, options); }
  /** Allocates the arrays of a symbol from input shapes and binds it (see Executor.simpleBind). */
  simpleBind(symbol, shapes, options) { return Executor.simpleBind(this._rt, symbol, shapes, options); }
  /** {argParams, auxParams} from the bytes of a .params file. */
  loadParams(bytes) { return loadParams(this._rt, bytes); }
  /** {symbol, argParams, auxParams} from prefix-symbol.json (text or bytes) and a .params file's bytes. */
  loadCheckpoint(symbolJSON, paramsBytes) { return loadCheckpoint(this._rt, symbolJSON, paramsBytes); }
  /** Bytes of a .params file (as mx.model.save_checkpoint writes) from {name: NDArray} of arguments and aux. */
  saveParams(argParams = {}, auxParams = {}) {
    const all = {};
    for (const [k, v] of Object.entries(argParams)) all['arg:' + k] = v;
    for (const [k, v] of Object.entries(auxParams)) all['aux:' + k] = v;
    return saveToBytes(this._rt, all);
  }
  /** A Predictor for a checkpoint (see Predictor). */
  createPredictor(symbolJSON, paramsBytes, inputShapes) {
    return new Predictor(this._rt, symbolJSON, paramsBytes, inputShapes);
  }
  /** Seeds every random generator of the library. */
  seed(n) { this._rt.call('MXCRandomSeed', BigInt(n)); }
  /** Name of the engine in use. */
  get engine() {
    const rt = this._rt;
    return rt.query('MXCEngineGetType', [], 1, (o) => rt.str(rt.readPtr(o)));
  }
}

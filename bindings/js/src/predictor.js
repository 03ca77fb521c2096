// Checkpoints (prefix-symbol.json + prefix-NNNN.params, as mx.model.save_checkpoint writes them) and the
// Predictor, which binds one for inference.
import { bindingError } from './errors.js';
import { NDArray, empty, loadFromBytes } from './ndarray.js';
import { Symbol } from './symbol.js';
import { Executor } from './executor.js';

/** Splits a parameter file's arrays ("arg:<name>", "aux:<name>") into {argParams, auxParams}. */
export function loadParams(rt, bytes) {
  const m = loadFromBytes(rt, bytes);
  const all = Array.isArray(m) ? m : Object.values(m);
  if (Array.isArray(m)) {
    all.forEach((a) => a.dispose());
    throw bindingError('ValueError', 'not a parameter file: its arrays have no names');
  }
  const argParams = {};
  const auxParams = {};
  for (const [k, v] of Object.entries(m)) {
    if (k.startsWith('arg:')) argParams[k.slice(4)] = v;
    else if (k.startsWith('aux:')) auxParams[k.slice(4)] = v;
    else {
      all.forEach((a) => a.dispose());
      throw bindingError('ValueError', `not a parameter file: key '${k}' should start with 'arg:' or 'aux:'`);
    }
  }
  return { argParams, auxParams };
}

/** {symbol, argParams, auxParams} from the bytes (or text) of prefix-symbol.json and of a params file. */
export function loadCheckpoint(rt, symbolJSON, paramsBytes) {
  const symbol = Symbol.fromJSON(rt, symbolJSON);
  try {
    return { symbol, ...loadParams(rt, paramsBytes) };
  } catch (e) {
    symbol.dispose();
    throw e;
  }
}

/** A model bound for inference: `new mx.Predictor(symbolJSON, paramsBytes, {data: [1, 784]})`. Arguments that
 *  are neither inputs nor parameters (a loss's label) get zeros; every auxiliary state must be in the params. */
export class Predictor {
  constructor(rt, symbolJSON, paramsBytes, inputShapes) {
    if (!inputShapes || typeof inputShapes !== 'object' || Object.keys(inputShapes).length === 0) {
      throw bindingError('ValueError', 'Predictor: give the input shapes, e.g. {data: [1, 784]}');
    }
    this._rt = rt;
    const { symbol, argParams, auxParams } = loadCheckpoint(rt, symbolJSON, paramsBytes);
    const params = [...Object.values(argParams), ...Object.values(auxParams)];
    this._owned = [];
    try {
      const argNames = symbol.listArguments();
      const auxNames = symbol.listAuxiliaryStates();
      this.inputs = Object.keys(inputShapes).sort();
      const known = { ...inputShapes };
      for (const n of this.inputs) {
        if (n in argParams) throw bindingError('ValueError', `Predictor: input '${n}' is also a parameter`);
        if (!argNames.includes(n)) throw bindingError('ValueError', `Predictor: '${n}' is not an argument of the model (${argNames.join(', ')})`);
      }
      for (const n of argNames) if (argParams[n]) known[n] = argParams[n].shape;
      const inf = symbol.inferShape(known);
      const args = argNames.map((n, i) => {
        if (argParams[n]) return argParams[n];
        if (!(n in inputShapes) && !n.endsWith('label')) {
          throw bindingError('ValueError', `Predictor: argument '${n}' is neither an input nor in the parameters`);
        }
        const z = empty(rt, inf.args[i], 'float32');
        this._owned.push(z);
        return z.set(new Float32Array(z.size));
      });
      const aux = auxNames.map((n) => {
        if (!auxParams[n]) throw bindingError('ValueError', `Predictor: auxiliary state '${n}' is not in the parameters`);
        return auxParams[n];
      });
      this._exec = Executor.bind(rt, symbol, { args, aux });
      this._argIndex = new Map(argNames.map((n, i) => [n, i]));
      this._args = args;
      this.symbol = symbol;
    } catch (e) {
      this._owned.forEach((a) => a.dispose());
      symbol.dispose();
      throw e;
    } finally {
      params.forEach((a) => a.dispose()); // the executor keeps its own references
    }
    this._in = new Map();
    for (const n of this.inputs) {
      const a = this._args[this._argIndex.get(n)];
      this._in.set(n, { array: a, size: a.size });
    }
    this._outPtr = null;
  }

  /** Copies data (a Float32Array or array of the input's size) into the input name. */
  setInput(name, data) {
    const e = this._in.get(name);
    if (!e) throw bindingError('ValueError', `'${name}' is not an input (inputs: ${this.inputs.join(', ')})`);
    if (data.length !== e.size) {
      throw bindingError('ShapeError', `input '${name}' has shape (${e.array.shape.join(', ')}): ${e.size} values, got ${data.length}`);
    }
    if (data instanceof Float32Array && e.array.dtype === 'float32') {
      // Straight into the array's memory (the array is allocated, lives as long as the predictor, on the cpu).
      const rt = this._rt;
      if (!e.ptr) {
        e.ptr = rt.query('MXCNDArrayGetData', [e.array.handle], 1, (o) => rt.readPtr(o));
      }
      rt.call('MXCNDArrayWaitToWrite', e.array.handle);
      rt.f32.set(data, e.ptr >> 2);
    } else {
      e.array.set(data);
    }
  }
  /** Runs the model on the inputs set. */
  forward() {
    this._exec.forward(false);
  }
  /** The i-th output array (it belongs to the predictor; overwritten by the next forward). */
  output(i = 0) {
    const outs = this._exec.outputs;
    if (i < 0 || i >= outs.length) throw bindingError('IndexError', `output ${i} of ${outs.length}`);
    return outs[i];
  }
  /** A copy of the i-th output as a typed array. */
  getOutput(i = 0) {
    return this.output(i).toTypedArray();
  }
  /** Sets the only input, runs forward and returns a copy of the first output (a Float32Array). */
  predict(data) {
    if (this.inputs.length !== 1) {
      throw bindingError('ValueError', `predict needs a model with one input; this one has ${this.inputs.join(', ')}: use setInput`);
    }
    this.setInput(this.inputs[0], data);
    this.forward();
    const rt = this._rt;
    const out = this.output(0);
    if (out.dtype !== 'float32') return out.toTypedArray();
    if (!this._outPtr) {
      this._outSize = out.size;
      this._outPtr = rt.query('MXCNDArrayGetData', [out.handle], 1, (o) => rt.readPtr(o));
    }
    rt.call('MXCNDArrayWaitToRead', out.handle);
    return rt.f32.slice(this._outPtr >> 2, (this._outPtr >> 2) + this._outSize);
  }
  /** Releases the executor, the symbol and the arrays the predictor allocated. */
  dispose() {
    if (!this._exec) return;
    this._exec.dispose();
    this._exec = null;
    this._owned.forEach((a) => a.dispose());
    this.symbol.dispose();
  }
}
export { NDArray };

// Executor: a symbol bound to arrays (forward, backward), and simpleBind, which allocates the arrays.
import { Handle } from './handle.js';
import { bindingError } from './errors.js';
import { NDArray, empty } from './ndarray.js';
import { Symbol } from './symbol.js';

const GRAD_REQ = { null: 0, write: 1, inplace: 2, add: 3 };

function gradReqCode(r, name) {
  if (typeof r === 'number' && [0, 1, 2, 3].includes(r)) return r;
  const c = GRAD_REQ[String(r)];
  if (c === undefined) throw bindingError('ValueError', `grad_req of '${name}' must be 'null', 'write', 'add' or 'inplace', got ${JSON.stringify(r)}`);
  return c;
}

/** Arrays given as a list (in names order) or an object by name, as a list in names order (undefined where
 *  missing). */
function byName(given, names, what) {
  if (given === undefined || given === null) return names.map(() => undefined);
  if (Array.isArray(given)) {
    if (given.length !== names.length) {
      throw bindingError('ValueError', `bind: ${given.length} ${what} for ${names.length} (${names.join(', ')})`);
    }
    return given.slice();
  }
  for (const k of Object.keys(given)) {
    if (!names.includes(k)) throw bindingError('ValueError', `bind: '${k}' is not one of the ${what} (${names.join(', ')})`);
  }
  return names.map((n) => given[n]);
}

export class Executor extends Handle {
  constructor(rt, ptr, symbol, argNames, args, grads, auxNames, aux, owned) {
    super(rt, 'executor', ptr);
    this.symbol = symbol;
    this._argNames = argNames;
    this._auxNames = auxNames;
    this.argArrays = args;
    this.gradArrays = grads;
    this.auxArrays = aux;
    this._owned = owned; // arrays simpleBind allocated; disposed with the executor
    this._outputs = null;
  }
  _free(p) {
    const rt = this._rt;
    if (this._outputs) this._outputs.forEach((o) => o.dispose());
    this._owned.forEach((a) => a.dispose());
    rt.check(rt.mod._MXCExecutorFree(p));
  }

  /** Binds symbol to arrays. options: args (list in listArguments() order, or {name: NDArray}, every argument
   *  required), argGrads (same, optional entries), gradReq ('write' | 'add' | 'null', or per argument as list or
   *  object; default 'write' where a gradient array is given, else 'null'), aux (auxiliary states). The
   *  executor keeps its own references to the arrays. */
  static bind(rt, symbol, options = {}, owned = []) {
    if (!(symbol instanceof Symbol)) throw bindingError('TypeError', 'bind: expected a Symbol');
    const argNames = symbol.listArguments();
    const auxNames = symbol.listAuxiliaryStates();
    const args = byName(options.args, argNames, 'arguments');
    args.forEach((a, i) => {
      if (!(a instanceof NDArray)) throw bindingError('ValueError', `bind: argument '${argNames[i]}' is missing or not an NDArray`);
    });
    const grads = byName(options.argGrads, argNames, 'gradients');
    let reqs;
    const gr = options.gradReq;
    if (gr === undefined) reqs = grads.map((g) => (g ? 1 : 0));
    else if (typeof gr === 'string' || typeof gr === 'number') reqs = argNames.map((n) => gradReqCode(gr, n));
    else reqs = byName(gr, argNames, 'gradient requests').map((r, i) => (r === undefined ? 0 : gradReqCode(r, argNames[i])));
    reqs = reqs.map((r, i) => (grads[i] ? r : 0));
    const aux = byName(options.aux, auxNames, 'auxiliary states');
    aux.forEach((a, i) => {
      if (!(a instanceof NDArray)) throw bindingError('ValueError', `bind: auxiliary state '${auxNames[i]}' is missing or not an NDArray`);
    });
    const ptr = rt.query('MXCExecutorBind', (s) => [symbol.handle, 1, 0, argNames.length,
      s.u32s(args.map((a) => a.handle)), s.u32s(grads.map((g) => (g ? g.handle : 0))), s.i32s(reqs), auxNames.length,
      s.u32s(aux.map((a) => a.handle)), 0], 1, (o) => rt.readPtr(o));
    const dict = (names, list) => Object.fromEntries(names.map((n, i) => [n, list[i]]));
    return new Executor(rt, ptr, symbol, argNames, dict(argNames, args),
      dict(argNames, grads.map((g) => g || null)), auxNames, dict(auxNames, aux), owned);
  }

  /** Infers every shape from shapes ({name: shape} of the inputs), allocates zero-filled arguments, gradients
   *  (unless gradReq is 'null', the default) and auxiliary states, and binds. dtype: of every array (float32). */
  static simpleBind(rt, symbol, shapes, { gradReq = 'null', dtype = 'float32' } = {}) {
    const inf = symbol.inferShape(shapes);
    const owned = [];
    const zeros = (shape) => {
      const a = empty(rt, shape, dtype);
      owned.push(a);
      return a.set(new Float64Array(a.size));
    };
    try {
      const args = inf.args.map(zeros);
      const grads = gradReq === 'null' ? undefined : inf.args.map(zeros);
      const aux = inf.aux.map(zeros);
      return Executor.bind(rt, symbol, { args, argGrads: grads, gradReq: grads ? gradReq : undefined, aux }, owned);
    } catch (e) {
      owned.forEach((a) => a.dispose());
      throw e;
    }
  }

  /** Runs the graph forward. inputs (optional): {argument name: NDArray or typed array} copied in first. */
  forward(isTrain = false, inputs = undefined) {
    if (inputs) {
      for (const [k, v] of Object.entries(inputs)) {
        const a = this.argArrays[k];
        if (!a) throw bindingError('ValueError', `forward: '${k}' is not an argument (${this._argNames.join(', ')})`);
        a.set(v instanceof NDArray ? v.toTypedArray() : v);
      }
    }
    this._rt.call('MXCExecutorForward', this.handle, isTrain ? 1 : 0);
    return this.outputs;
  }
  /** Runs backward after a forward; headGrads: one NDArray per output (may be empty for loss outputs). */
  backward(headGrads = []) {
    const rt = this._rt;
    const list = headGrads instanceof NDArray ? [headGrads] : headGrads;
    rt.scratch((s) => rt.call('MXCExecutorBackward', this.handle, list.length, s.u32s(list.map((g) => (g ? g.handle : 0)))));
  }
  /** The output arrays (the same arrays after every forward; they belong to the executor). */
  get outputs() {
    if (!this._outputs) {
      const rt = this._rt;
      this._outputs = rt.query('MXCExecutorOutputs', [this.handle], 2,
        (n, o) => rt.readPtrs(rt.readPtr(o), rt.readI32(n)).map((h) => new NDArray(rt, h)));
    }
    return this._outputs.slice();
  }
  /** {planned, unplanned}: bytes of internal storage with and without the memory planner. */
  memoryStats() {
    const rt = this._rt;
    return rt.query('MXCExecutorMemoryStats', [this.handle], 2,
      (a, b) => ({ planned: rt.readI64(a), unplanned: rt.readI64(b) }));
  }
  print() {
    const rt = this._rt;
    return rt.query('MXCExecutorPrint', [this.handle], 1, (o) => rt.str(rt.readPtr(o)));
  }
}

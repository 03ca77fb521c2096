// Symbol: a symbolic graph (variables composed with operators), its shape/type inference and JSON.
import { Handle } from './handle.js';
import { bindingError } from './errors.js';
import { dtypeOf } from './runtime.js';
import { paramString } from './ops.js';

export class Symbol extends Handle {
  constructor(rt, ptr) {
    super(rt, 'symbol', ptr);
  }
  _free(p) { this._rt.check(this._rt.mod._MXCSymbolFree(p)); }

  static _new(rt, fn, ...args) {
    // An argument given as a function of the call's Scratch is evaluated in it (strings, arrays).
    return rt.query(fn, (s) => args.map((a) => (typeof a === 'function' ? a(s) : a)), 1,
      (o) => new Symbol(rt, rt.readPtr(o)));
  }

  /** A variable named name; options: shape, dtype, attr (object of string attributes, e.g. lr_mult). */
  static variable(rt, name, options = {}) {
    if (typeof name !== 'string') throw bindingError('TypeError', 'Variable: the name must be a string');
    const v = Symbol._new(rt, 'MXCSymbolCreateVariable', (s) => s.str(name));
    try {
      if (options.shape) v.setAttr('__shape__', paramString(options.shape));
      if (options.dtype !== undefined) v.setAttr('__dtype__', String(dtypeOf(options.dtype).code));
      for (const [k, val] of Object.entries(options.attr || {})) v.setAttr(k, String(val));
    } catch (e) {
      v.dispose();
      throw e;
    }
    return v;
  }

  /** A symbol whose outputs are those of all syms, in order. */
  static group(rt, syms) {
    syms.forEach((x, i) => {
      if (!(x instanceof Symbol)) throw bindingError('TypeError', `Group: entry ${i} is not a Symbol`);
    });
    return Symbol._new(rt, 'MXCSymbolCreateGroup', syms.length, (s) => s.u32s(syms.map((x) => x.handle)));
  }

  /** A symbol from JSON (a string, or its UTF-8 bytes) written by toJSON() or by MXNet 1.x. */
  static fromJSON(rt, json) {
    if (typeof json !== 'string') {
      if (ArrayBuffer.isView(json) || json instanceof ArrayBuffer) json = new TextDecoder().decode(json);
      else throw bindingError('TypeError', 'fromJSON: expected a string or bytes');
    }
    return Symbol._new(rt, 'MXCSymbolCreateFromJSON', (s) => s.str(json));
  }

  static _compose(rt, op, inputs, keys, params, name, attr) {
    const pk = Object.keys(params);
    const pv = pk.map((k) => paramString(params[k]));
    const sym = Symbol._new(rt, 'MXCSymbolCreateAtomic', (s) => s.str(op), pk.length, (s) => s.strs(pk), (s) => s.strs(pv));
    try {
      rt.scratch((s) => {
        rt.call('MXCSymbolCompose', sym.handle, name ? s.str(name) : 0, inputs.length, keys ? s.strs(keys) : 0,
          s.u32s(inputs.map((x) => x.handle)));
      });
      for (const [k, v] of Object.entries(attr || {})) sym.setAttr(k, String(v));
    } catch (e) {
      sym.dispose();
      throw e;
    }
    return sym;
  }

  _strs(fn) {
    const rt = this._rt;
    return rt.query(fn, [this.handle], 2, (n, o) => rt.readStrs(rt.readPtr(o), rt.readI32(n)));
  }
  listArguments() { return this._strs('MXCSymbolListArguments'); }
  listOutputs() { return this._strs('MXCSymbolListOutputs'); }
  listAuxiliaryStates() { return this._strs('MXCSymbolListAuxiliaryStates'); }
  listInputs() { return this._strs('MXCSymbolListInputs'); }

  /** The name of a single-output symbol; null for a group. */
  get name() {
    const rt = this._rt;
    return rt.query('MXCSymbolGetName', [this.handle], 2, (o, ok) => (rt.readI32(ok) ? rt.str(rt.readPtr(o)) : null));
  }
  /** An attribute of the symbol's node, or undefined. */
  attr(key) {
    const rt = this._rt;
    return rt.query('MXCSymbolGetAttr', (s) => [this.handle, s.str(key)], 2,
      (o, ok) => (rt.readI32(ok) ? rt.str(rt.readPtr(o)) : undefined));
  }
  setAttr(key, value) {
    this._rt.scratch((s) => this._rt.call('MXCSymbolSetAttr', this.handle, s.str(key), s.str(String(value))));
    return this;
  }
  /** Attributes as an object; recursive: of every node, keyed "<node>$<key>". */
  listAttr(recursive = false) {
    const rt = this._rt;
    return rt.scratch((s) => {
      const n = s.out();
      const o = s.out();
      rt.call('MXCSymbolListAttr', this.handle, recursive ? 1 : 0, n, o);
      const kv = rt.readStrs(rt.readPtr(o), 2 * rt.readI32(n));
      const out = {};
      for (let i = 0; i < kv.length; i += 2) out[kv[i]] = kv[i + 1];
      return out;
    });
  }
  get numOutputs() {
    const rt = this._rt;
    return rt.query('MXCSymbolGetNumOutputs', [this.handle], 1, (n) => rt.readI32(n));
  }
  /** The output at index (a number) or named (an output name of listOutputs()), as a symbol. */
  get(index) {
    if (typeof index === 'string') {
      const names = this.listOutputs();
      const i = names.indexOf(index);
      if (i < 0) throw bindingError('ValueError', `no output named '${index}' (outputs: ${names.join(', ')})`);
      index = i;
    }
    return Symbol._new(this._rt, 'MXCSymbolGetOutput', this.handle, index);
  }
  /** A group of every output of every node. */
  getInternals() { return Symbol._new(this._rt, 'MXCSymbolGetInternals', this.handle); }
  /** A group of the inputs of the head node, or null for a variable. */
  getChildren() {
    const rt = this._rt;
    return rt.scratch((s) => {
      const o = s.out();
      rt.call('MXCSymbolGetChildren', this.handle, o);
      const p = rt.readPtr(o);
      return p ? new Symbol(rt, p) : null;
    });
  }
  /** An independent copy of the graph. */
  copy() { return Symbol._new(this._rt, 'MXCSymbolCopy', this.handle); }
  /** The graph as JSON text. */
  toJSON() {
    const rt = this._rt;
    return rt.query('MXCSymbolSaveToJSON', [this.handle], 1, (o) => rt.str(rt.readPtr(o)));
  }
  /** A readable description of the graph. */
  print() {
    const rt = this._rt;
    return rt.query('MXCSymbolPrint', [this.handle], 1, (o) => rt.str(rt.readPtr(o)));
  }

  /** Infers shapes from known ones ({name: shape}); unknown dimensions are 0. Returns {args, outputs, aux}
   *  (shapes in list order; null where nothing is known) and complete. With partial false (the default) a
   *  shape left unknown is a ShapeError. */
  inferShape(known = {}, { partial = false } = {}) {
    const rt = this._rt;
    const keys = Object.keys(known);
    const shapes = keys.map((k) => Array.from(known[k], Number));
    return rt.scratch((s) => {
      const o = Array.from({ length: 10 }, () => s.out());
      rt.call('MXCSymbolInferShape', this.handle, keys.length, s.strs(keys), s.i32s(shapes.map((x) => x.length)),
        s.i64s(shapes.flat()), partial ? 1 : 0, o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8], o[9]);
      const cat = (c, nd, d) => {
        const n = rt.readI32(c);
        const ndims = rt.readI32s(rt.readPtr(nd), n);
        const dims = rt.readI64s(rt.readPtr(d), ndims.reduce((a, b) => a + b, 0));
        let off = 0;
        return ndims.map((k) => {
          const sh = dims.slice(off, off + k);
          off += k;
          return k === 0 ? null : sh;
        });
      };
      return {
        args: cat(o[0], o[1], o[2]),
        outputs: cat(o[3], o[4], o[5]),
        aux: cat(o[6], o[7], o[8]),
        complete: rt.readI32(o[9]) !== 0,
      };
    });
  }

  /** Infers dtypes from known ones ({name: dtype}); returns {args, outputs, aux} of dtype names (null where
   *  unknown) and complete. */
  inferType(known = {}, { partial = false } = {}) {
    const rt = this._rt;
    const keys = Object.keys(known);
    const codes = keys.map((k) => dtypeOf(known[k]).code);
    return rt.scratch((s) => {
      const o = Array.from({ length: 7 }, () => s.out());
      rt.call('MXCSymbolInferType', this.handle, keys.length, s.strs(keys), s.i32s(codes), partial ? 1 : 0,
        o[0], o[1], o[2], o[3], o[4], o[5], o[6]);
      const cat = (c, t) => rt.readI32s(rt.readPtr(t), rt.readI32(c)).map((x) => (x < 0 ? null : dtypeOf(x).name));
      return { args: cat(o[0], o[1]), outputs: cat(o[2], o[3]), aux: cat(o[4], o[5]), complete: rt.readI32(o[6]) !== 0 };
    });
  }

  toString() {
    if (this.disposed) return '<Symbol disposed>';
    const n = this.name;
    return n === null ? `<Symbol group [${this.listOutputs().join(', ')}]>` : `<Symbol ${n}>`;
  }
}

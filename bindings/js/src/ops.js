// Operator functions generated at load time from the library's registry (MXCListOps, MXCOpGetInfo): mx.nd.<op>
// runs an operator on NDArrays, mx.sym.<op> builds a symbol. Nothing here knows any operator.
import { bindingError } from './errors.js';
import { NDArray } from './ndarray.js';

/** Reads the metadata of every operator: a Map from canonical name to OpInfo. */
export function readRegistry(rt) {
  return rt.scratch((s) => {
    const num = s.out();
    const names = s.out();
    rt.call('MXCListOps', num, names);
    const list = rt.readStrs(rt.readPtr(names), rt.readI32(num));
    const infoSize = 16 * 4; // MXCOpInfo: 16 fields of 4 bytes in wasm32
    const info = s.alloc(infoSize);
    const h = s.out();
    const out = new Map();
    for (const name of list) {
      const np = s.str(name);
      rt.call('MXCOpGetHandle', np, h);
      const handle = rt.readPtr(h);
      rt.call('MXCOpGetInfo', handle, info);
      out.set(name, readInfo(rt, info, handle));
    }
    return out;
  });
}

function readInfo(rt, p, handle) {
  const w = (i) => rt.readPtr(p + 4 * i);
  const n = (i) => rt.readI32(p + 4 * i);
  const numAliases = n(2);
  const numInputs = n(4);
  const numParams = n(8);
  const inputNames = rt.readStrs(w(5), numInputs);
  const inputIsAux = rt.readI32s(w(6), numInputs).map(Boolean);
  const pNames = rt.readStrs(w(9), numParams);
  const pTypes = rt.readStrs(w(10), numParams);
  const pDefaults = rt.readStrs(w(11), numParams);
  const pRequired = rt.readI32s(w(12), numParams).map(Boolean);
  const pDocs = rt.readStrs(w(13), numParams);
  return {
    handle,
    name: rt.str(w(0)),
    description: rt.str(w(1)),
    aliases: rt.readStrs(w(3), numAliases),
    inputs: inputNames.map((name, i) => ({ name, isAux: inputIsAux[i] })),
    keyVarNumArgs: rt.str(w(7)),
    params: pNames.map((name, i) => ({
      name, type: pTypes[i], default: pDefaults[i], required: pRequired[i], doc: pDocs[i],
    })),
    hasGradient: n(14) !== 0,
    isLoss: n(15) !== 0,
  };
}

/** A parameter value as the string the library parses: booleans "True"/"False", null "None", arrays "(a,b)"
 *  ("(a,)" for one), numbers and strings as they are. */
export function paramString(v) {
  if (typeof v === 'string') return v;
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
    return String(v);
  }
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v) || ArrayBuffer.isView(v)) {
    const items = Array.from(v, paramString);
    return items.length === 1 ? `(${items[0]},)` : `(${items.join(',')})`;
  }
  return String(v);
}

/** An MXNet-style doc string from the metadata. */
export function buildDoc(info, as) {
  const lines = [info.description.trim() || `The ${info.name} operator.`, ''];
  if (as && as !== info.name) lines.push(`${as} is an alias of ${info.name}.`, '');
  else if (info.aliases.length) lines.push(`Aliases: ${info.aliases.join(', ')}.`, '');
  lines.push('Inputs:');
  if (info.keyVarNumArgs) {
    const how = fillsCount(info) ? 'is set from their count' : 'gives their number';
    lines.push(`  ${info.inputs.length ? info.inputs[0].name : 'data'}...: any number of arrays (${info.keyVarNumArgs} ${how})`);
  } else if (info.inputs.length === 0) {
    lines.push('  (none)');
  } else {
    for (const i of info.inputs) lines.push(`  ${i.name}${i.isAux ? ' (auxiliary state)' : ''}`);
  }
  lines.push('Parameters:');
  for (const p of info.params) {
    const dflt = p.required ? 'required' : `default ${p.default === '' ? "''" : p.default}`;
    lines.push(`  ${p.name} (${p.type}, ${dflt})${p.doc ? ': ' + p.doc.trim() : ''}`);
  }
  return lines.join('\n');
}

/** Whether a variadic operator's count is set from the number of inputs: when it is a required parameter (add_n's
 *  num_args); a count with a default (multi_sgd_update's num_weights: groups of inputs) is given by the caller, as
 *  in MXNet. */
function fillsCount(info) {
  return info.params.some((p) => p.name === info.keyVarNumArgs && p.required);
}

function isPlainObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v) &&
    (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);
}

/** Splits the arguments of a generated function: inputs (positional or by input name), parameters and the
 *  binding's own options (names in `own`). isInput tells an input value (NDArray or Symbol). */
function splitArgs(info, fname, args, isInput, own, what) {
  let opts = {};
  if (args.length && isPlainObject(args[args.length - 1])) {
    opts = args[args.length - 1];
    args = args.slice(0, -1);
  }
  const names = info.inputs.map((i) => i.name);
  const ownVals = {};
  const params = {};
  let inputs;
  let inputKeys = null;
  if (info.keyVarNumArgs) {
    inputs = args.length === 1 && Array.isArray(args[0]) ? args[0].slice() : args.slice();
    for (const [k, v] of Object.entries(opts)) {
      if (own.includes(k)) ownVals[k] = v;
      else if (names.includes(k) && isInput(v)) inputs.push(v);
      else params[k] = v;
    }
    inputs.forEach((a, i) => {
      if (!isInput(a)) throw bindingError('TypeError', `operator ${fname}: input ${i} must be ${what}, got ${describe(a)}`);
    });
    if (!(info.keyVarNumArgs in params) && fillsCount(info)) params[info.keyVarNumArgs] = inputs.length;
  } else {
    if (args.length > names.length) {
      throw bindingError('TypeError', `operator ${fname} takes ${names.length} input(s) (${names.join(', ')}), got ${args.length} positional argument(s); parameters go in the options object`);
    }
    const slots = new Array(names.length).fill(undefined);
    args.forEach((a, i) => {
      if (a !== undefined && a !== null && !isInput(a)) {
        throw bindingError('TypeError', `operator ${fname}: input '${names[i]}' must be ${what}, got ${describe(a)}`);
      }
      slots[i] = a ?? undefined;
    });
    for (const [k, v] of Object.entries(opts)) {
      const idx = names.indexOf(k);
      if (own.includes(k)) ownVals[k] = v;
      else if (idx >= 0) {
        if (v === undefined || v === null) continue;
        if (!isInput(v)) throw bindingError('TypeError', `operator ${fname}: input '${k}' must be ${what}, got ${describe(v)}`);
        if (slots[idx] !== undefined) throw bindingError('ValueError', `operator ${fname}: input '${k}' given twice`);
        slots[idx] = v;
      } else if (v !== undefined) params[k] = v;
    }
    let n = slots.length;
    while (n > 0 && slots[n - 1] === undefined) n--;
    inputs = [];
    inputKeys = [];
    for (let i = 0; i < n; i++) {
      if (slots[i] !== undefined) {
        inputs.push(slots[i]);
        inputKeys.push(names[i]);
      } else if (what === 'an NDArray') {
        throw bindingError('ValueError', `operator ${fname}: input '${names[i]}' is missing (inputs: ${names.join(', ')})`);
      }
    }
  }
  return { inputs, inputKeys, params, own: ownVals };
}

function describe(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an Array';
  if (typeof v === 'object') return (v.constructor && v.constructor.name) || 'an object';
  return typeof v;
}

/** The mx.nd function of an operator. */
export function makeNDFunction(rt, info, fname) {
  const f = function (...args) {
    const { inputs, params, own } = splitArgs(info, fname, args, (v) => v instanceof NDArray, ['out', 'name'], 'an NDArray');
    return invoke(rt, info, fname, inputs, params, own.out);
  };
  decorate(f, info, fname);
  return f;
}

/** Runs an operator: inputs (NDArrays), params (name -> value), out (undefined, an NDArray or a list). */
export function invoke(rt, info, fname, inputs, params, out) {
  const keys = Object.keys(params);
  const vals = keys.map((k) => paramString(params[k]));
  const outList = out === undefined || out === null ? null : Array.isArray(out) ? out : [out];
  if (outList) {
    outList.forEach((o, i) => {
      if (!(o instanceof NDArray)) throw bindingError('TypeError', `operator ${fname}: out[${i}] must be an NDArray`);
    });
  }
  return rt.scratch((s) => {
    const hin = s.u32s(inputs.map((a) => a.handle));
    const nout = s.out();
    const pout = s.out();
    if (outList) {
      const arr = s.u32s(outList.map((a) => a.handle)); // allocate first: it may grow the memory (new views)
      rt.i32[nout >> 2] = outList.length;
      rt.u32[pout >> 2] = arr;
    }
    rt.call('MXCOpInvoke', info.handle, inputs.length, hin, nout, pout, keys.length, s.strs(keys), s.strs(vals));
    if (outList) return out;
    const handles = rt.readPtrs(rt.readPtr(pout), rt.readI32(nout));
    const res = handles.map((h) => new NDArray(rt, h));
    return res.length === 1 ? res[0] : res;
  });
}

/** The mx.sym function of an operator (Symbol is passed in to avoid an import cycle). */
export function makeSymFunction(rt, info, fname, Symbol) {
  const f = function (...args) {
    const { inputs, inputKeys, params, own } = splitArgs(info, fname, args, (v) => v instanceof Symbol, ['name', 'attr'], 'a Symbol');
    return Symbol._compose(rt, fname, inputs, inputKeys, params, own.name, own.attr);
  };
  decorate(f, info, fname);
  return f;
}

function decorate(f, info, fname) {
  Object.defineProperty(f, 'name', { value: fname });
  f.info = info;
  f.doc = buildDoc(info, fname);
}

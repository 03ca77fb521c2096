// The wasm module and the low-level helpers every other file uses: checked calls, scratch memory, reading and
// writing the module's memory (views are re-read on every use, since growing the memory replaces its buffer),
// handle lifetimes.
import createMxcModule from '../dist/mxc.mjs';
import { errorFromMessage, bindingError } from './errors.js';

/** Element types: name, MXCDType code, typed-array class and bytes per element. */
export const DTYPES = [
  { name: 'float32', code: 0, array: Float32Array, bytes: 4 },
  { name: 'float64', code: 1, array: Float64Array, bytes: 8 },
  { name: 'float16', code: 2, array: Uint16Array, bytes: 2 }, // raw IEEE half bits
  { name: 'uint8', code: 3, array: Uint8Array, bytes: 1 },
  { name: 'int32', code: 4, array: Int32Array, bytes: 4 },
  { name: 'int8', code: 5, array: Int8Array, bytes: 1 },
  { name: 'int64', code: 6, array: BigInt64Array, bytes: 8 },
  { name: 'bool', code: 7, array: Uint8Array, bytes: 1 },
];
const dtypeByName = new Map(DTYPES.map((d) => [d.name, d]));
const dtypeByCode = new Map(DTYPES.map((d) => [d.code, d]));

/** The dtype entry for a name ("float32"), a code (0) or undefined (float32). */
export function dtypeOf(d) {
  if (d === undefined || d === null) return dtypeByName.get('float32');
  const e = typeof d === 'number' ? dtypeByCode.get(d) : dtypeByName.get(String(d));
  if (!e) {
    throw bindingError('TypeError', `unknown dtype ${JSON.stringify(d)} (one of ${DTYPES.map((x) => x.name).join(', ')})`);
  }
  return e;
}

/** The dtype name of a typed array, or undefined. */
export function dtypeOfTypedArray(a) {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Uint8Array || a instanceof Uint8ClampedArray) return 'uint8';
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof BigInt64Array) return 'int64';
  return undefined;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const isNode = typeof process === 'object' && process !== null && !!(process.versions && process.versions.node);

async function wasmSource(options) {
  if (options.wasmModule) return options.wasmModule;
  if (options.wasmBinary) return WebAssembly.compile(options.wasmBinary);
  const url = options.wasmURL ? new URL(String(options.wasmURL), import.meta.url) : new URL('../dist/mxc.wasm', import.meta.url);
  if (isNode && url.protocol === 'file:') {
    const fs = await import('node:fs/promises');
    return WebAssembly.compile(await fs.readFile(url));
  }
  const resp = await fetch(url);
  if (!resp.ok) throw bindingError('IOError', `cannot fetch ${url}: HTTP ${resp.status}`);
  if (WebAssembly.compileStreaming && (resp.headers.get('content-type') || '').startsWith('application/wasm')) {
    return WebAssembly.compileStreaming(resp);
  }
  return WebAssembly.compile(await resp.arrayBuffer());
}

/** Instantiates the module (see load() in index.js for the options). */
export async function instantiate(options = {}) {
  const module = await wasmSource(options);
  return new Promise((resolve, reject) => {
    createMxcModule({
      // The glue hands us the imports; we instantiate the module compiled above (Node.js and browsers alike).
      instantiateWasm(imports, receive) {
        WebAssembly.instantiate(module, imports).then((inst) => receive(inst, module), reject);
        return {};
      },
      print: options.print || ((s) => console.log(s)),
      printErr: options.printErr || ((s) => console.error(s)),
    }).then(resolve, reject);
  });
}

/** Frees a handle of a kind when its wrapper is collected without dispose(). */
const freeFns = { ndarray: '_MXCNDArrayFree', symbol: '_MXCSymbolFree', executor: '_MXCExecutorFree' };

/** One loaded instance of the library: the C functions and the memory helpers. */
export class Runtime {
  constructor(mod) {
    this.mod = mod;
    this.finalizer = new FinalizationRegistry(({ kind, ptr }) => {
      // The safety net: a handle whose wrapper was collected without dispose(). Nothing can be thrown here.
      this.mod[freeFns[kind]](ptr);
    });
  }

  // Views of the module's memory, re-read on every use (memory growth replaces the buffer and the views).
  get u8() { return this.mod.HEAPU8; }
  get i32() { return this.mod.HEAP32; }
  get u32() { return this.mod.HEAPU32; }
  get i64() { return this.mod.HEAP64; }
  get f32() { return this.mod.HEAPF32; }

  /** Throws the library's last error if rc != 0. */
  check(rc) {
    if (rc !== 0) throw errorFromMessage(this.str(this.mod._MXCGetLastError()));
  }

  /** Calls the exported C function fn (name without the leading underscore) and checks its return code. */
  call(fn, ...args) {
    const f = this.mod['_' + fn];
    this.check(f(...args));
  }

  /** A NUL-terminated UTF-8 string at ptr. */
  str(ptr) {
    if (!ptr) return '';
    const u8 = this.u8;
    let end = ptr;
    while (u8[end] !== 0) end++;
    return decoder.decode(u8.subarray(ptr, end));
  }

  readI32(ptr) { return this.i32[ptr >> 2]; }
  readPtr(ptr) { return this.u32[ptr >> 2]; }
  readI64(ptr) { return Number(this.i64[ptr >> 3]); }
  readI32s(ptr, n) { return Array.from(this.i32.subarray(ptr >> 2, (ptr >> 2) + n)); }
  readPtrs(ptr, n) { return Array.from(this.u32.subarray(ptr >> 2, (ptr >> 2) + n)); }
  readI64s(ptr, n) { return Array.from(this.i64.subarray(ptr >> 3, (ptr >> 3) + n), Number); }
  readStrs(ptr, n) { return this.readPtrs(ptr, n).map((p) => this.str(p)); }

  /** Calls the C function fn with args followed by nOut out-parameter slots and returns read(...slots), the
   *  slots freed afterwards. args: an array, or a function of the call's Scratch returning one (for strings and
   *  arrays copied into the module's memory for the call). */
  query(fn, args, nOut, read) {
    return this.scratch((s) => {
      const outs = [];
      for (let i = 0; i < nOut; i++) outs.push(s.out());
      this.call(fn, ...(typeof args === 'function' ? args(s) : args), ...outs);
      return read(...outs);
    });
  }

  /** Runs fn with a Scratch whose allocations are freed afterwards. */
  scratch(fn) {
    const s = new Scratch(this);
    try {
      return fn(s);
    } finally {
      s.free();
    }
  }

  /** Registers a wrapper for the safety-net finalizer; returns the token for unregister. */
  track(wrapper, kind, ptr) {
    const token = {};
    this.finalizer.register(wrapper, { kind, ptr }, token);
    return token;
  }
  untrack(token) { this.finalizer.unregister(token); }
}

/** Temporary allocations in the module's memory for one call. */
export class Scratch {
  constructor(rt) {
    this.rt = rt;
    this.ptrs = [];
  }
  alloc(bytes) {
    const p = this.rt.mod._malloc(Math.max(8, bytes));
    if (!p) throw bindingError('InternalError', `out of memory (allocating ${bytes} bytes in the wasm memory)`);
    this.ptrs.push(p);
    return p;
  }
  free() {
    for (const p of this.ptrs) this.rt.mod._free(p);
    this.ptrs.length = 0;
  }
  /** An out-parameter slot of 8 bytes (zeroed). */
  out() {
    const p = this.alloc(8);
    this.rt.u32[p >> 2] = 0;
    this.rt.u32[(p >> 2) + 1] = 0;
    return p;
  }
  /** A NUL-terminated UTF-8 copy of s. */
  str(s) {
    const b = encoder.encode(String(s));
    const p = this.alloc(b.length + 1);
    const u8 = this.rt.u8;
    u8.set(b, p);
    u8[p + b.length] = 0;
    return p;
  }
  /** An array of pointers to copies of the strings (0 for an empty list). */
  strs(list) {
    if (!list || list.length === 0) return 0;
    const ps = list.map((s) => this.str(s));
    return this.u32s(ps);
  }
  u32s(list) {
    if (!list || list.length === 0) return 0;
    const p = this.alloc(4 * list.length);
    this.rt.u32.set(list, p >> 2);
    return p;
  }
  i32s(list) {
    if (!list || list.length === 0) return 0;
    const p = this.alloc(4 * list.length);
    this.rt.i32.set(list, p >> 2);
    return p;
  }
  i64s(list) {
    if (!list || list.length === 0) return 0;
    const p = this.alloc(8 * list.length);
    this.rt.i64.set(list.map((x) => BigInt(x)), p >> 3);
    return p;
  }
  /** A copy of the bytes of a typed array or ArrayBuffer. */
  bytes(view) {
    const src = view instanceof ArrayBuffer ? new Uint8Array(view) : new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    const p = this.alloc(src.length);
    this.rt.u8.set(src, p);
    return p;
  }
}

// TypeScript declarations of the mxc JavaScript binding (index.js).

export type DType = 'float32' | 'float64' | 'float16' | 'uint8' | 'int32' | 'int8' | 'int64' | 'bool';
export type Shape = number[];
export type TypedArray =
  | Float32Array | Float64Array | Int32Array | Uint8Array | Uint8ClampedArray | Int8Array | Uint16Array | BigInt64Array;
/** Data an array can be made from or set to: a typed array, (nested) arrays of numbers, or one number. */
export type ArrayData = TypedArray | number[] | number[][] | number[][][] | number[][][][] | number | boolean | bigint;
/** A parameter value; converted to the string the library parses (true -> "True", [2, 3] -> "(2,3)", null -> "None"). */
export type ParamValue = string | number | boolean | bigint | null | number[] | (number | null)[];

/** Base of every error thrown by the binding; kind is the library's error kind ("ShapeError", "TypeError", ...). */
export class MXCError extends Error {
  constructor(message: string, kind?: string);
  readonly kind: string;
}
export class ShapeError extends MXCError {}
/** The library's "TypeError" kind (named so as not to hide JavaScript's TypeError). */
export class MXCTypeError extends MXCError {}
export class ValueError extends MXCError {}
export class IndexError extends MXCError {}
export class IOError extends MXCError {}
export class DeviceError extends MXCError {}
export class InternalError extends MXCError {}

/** A wrapper of a library handle: dispose() releases it now; otherwise a FinalizationRegistry does after the
 *  wrapper is collected. Using a disposed handle throws a ValueError. */
declare class Handle {
  readonly disposed: boolean;
  dispose(): void;
}

export class NDArray extends Handle {
  readonly shape: Shape;
  readonly ndim: number;
  readonly size: number;
  readonly dtype: DType;
  /** [device type code (1 = cpu), device id]. */
  readonly device: [number, number];
  /** A copy of the contents (BigInt64Array for int64, Uint8Array for bool, Uint16Array of raw bits for float16). */
  toTypedArray(): TypedArray;
  /** The contents as nested arrays. */
  toArray(): any[];
  /** Overwrites every element (converted to the dtype); a wrong count is a ShapeError. */
  set(data: ArrayData): this;
  slice(begin: number, end: number): NDArray;
  at(index: number): NDArray;
  reshape(shape: Shape): NDArray;
  sharesStorageWith(other: NDArray): boolean;
  waitToRead(): this;
  waitToWrite(): this;
  /** Marks the array as an autograd variable (gradient array of zeros, written or added by backward). */
  attachGrad(gradReq?: 'write' | 'add' | 'null'): void;
  /** The gradient array of a variable, or null. */
  readonly grad: NDArray | null;
  /** Backward from this recorded array into the variables' gradients (headGrad: default ones). */
  backward(headGrad?: NDArray | null, options?: { retainGraph?: boolean }): void;
  /** The same array outside the autograd graph. */
  detach(): NDArray;
}

/** mx.autograd: operator calls inside record(fn) with an input in the graph are recorded for backward. */
export interface Autograd {
  record<T>(fn: () => T, options?: { trainMode?: boolean }): T;
  isRecording(): boolean;
  isTraining(): boolean;
  backward(heads: NDArray[], headGrads?: (NDArray | null)[] | null, options?: { retainGraph?: boolean }): void;
  /** The gradients of heads with respect to vars, as new arrays (the variables' gradient arrays untouched). */
  grad(heads: NDArray[], vars: NDArray[], headGrads?: (NDArray | null)[] | null,
       options?: { retainGraph?: boolean }): NDArray[];
}

export interface OpInput { name: string; isAux: boolean; }
export interface OpParam { name: string; type: string; default: string; required: boolean; doc: string; }
/** An operator's metadata, from the library's registry (MXCOpGetInfo). */
export interface OpInfo {
  name: string;
  description: string;
  aliases: string[];
  inputs: OpInput[];
  /** The parameter holding the input count of a variadic operator, or "". */
  keyVarNumArgs: string;
  params: OpParam[];
  hasGradient: boolean;
  isLoss: boolean;
}

/** An operator function of mx.nd: inputs positionally (or by input name in the options), then an options object
 *  with the parameters and `out` (an NDArray or a list to write into). Returns the output, or a list of them when
 *  the operator has several. Variadic operators take any number of arrays (or one list). */
export interface NDOpFunction {
  (...args: Array<NDArray | NDArray[] | undefined | { [key: string]: ParamValue | NDArray | NDArray[] | undefined }>): NDArray | NDArray[];
  readonly info: OpInfo;
  readonly doc: string;
}
/** An operator function of mx.sym: input symbols, then options with the parameters, `name` and `attr`. */
export interface SymOpFunction {
  (...args: Array<Symbol | Symbol[] | undefined | { [key: string]: ParamValue | Symbol | Record<string, string> | undefined }>): Symbol;
  readonly info: OpInfo;
  readonly doc: string;
}

export interface ShapeInference {
  /** Shapes in listArguments() order; null where unknown (partial inference). */
  args: (Shape | null)[];
  outputs: (Shape | null)[];
  aux: (Shape | null)[];
  complete: boolean;
}
export interface TypeInference {
  args: (DType | null)[];
  outputs: (DType | null)[];
  aux: (DType | null)[];
  complete: boolean;
}

export class Symbol extends Handle {
  /** The name of a single-output symbol; null for a group. */
  readonly name: string | null;
  readonly numOutputs: number;
  listArguments(): string[];
  listOutputs(): string[];
  listAuxiliaryStates(): string[];
  listInputs(): string[];
  attr(key: string): string | undefined;
  setAttr(key: string, value: string | number | boolean): this;
  listAttr(recursive?: boolean): Record<string, string>;
  /** One output, by index or output name. */
  get(index: number | string): Symbol;
  getInternals(): Symbol;
  getChildren(): Symbol | null;
  copy(): Symbol;
  toJSON(): string;
  print(): string;
  inferShape(known?: Record<string, Shape>, options?: { partial?: boolean }): ShapeInference;
  inferType(known?: Record<string, DType>, options?: { partial?: boolean }): TypeInference;
}

export type GradReq = 'null' | 'write' | 'add' | 'inplace';
export interface BindOptions {
  /** One array per argument: a list in listArguments() order or an object by name. */
  args: NDArray[] | Record<string, NDArray>;
  argGrads?: (NDArray | null | undefined)[] | Record<string, NDArray | null | undefined>;
  gradReq?: GradReq | GradReq[] | Record<string, GradReq>;
  aux?: NDArray[] | Record<string, NDArray>;
}

export class Executor extends Handle {
  readonly symbol: Symbol;
  readonly argArrays: Record<string, NDArray>;
  readonly gradArrays: Record<string, NDArray | null>;
  readonly auxArrays: Record<string, NDArray>;
  /** The outputs (the same arrays after every forward; they belong to the executor). */
  readonly outputs: NDArray[];
  forward(isTrain?: boolean, inputs?: Record<string, NDArray | ArrayData>): NDArray[];
  backward(headGrads?: NDArray | (NDArray | null)[]): void;
  memoryStats(): { planned: number; unplanned: number };
  print(): string;
}

/** A checkpoint bound for inference. */
export class Predictor {
  /** Input names, sorted. */
  readonly inputs: string[];
  readonly symbol: Symbol;
  setInput(name: string, data: Float32Array | ArrayData): void;
  forward(): void;
  /** The i-th output (belongs to the predictor, overwritten by the next forward). */
  output(i?: number): NDArray;
  getOutput(i?: number): TypedArray;
  /** Sets the only input, runs forward, returns a copy of the first output. */
  predict(data: Float32Array | ArrayData): Float32Array;
  dispose(): void;
}

export interface Checkpoint {
  symbol: Symbol;
  argParams: Record<string, NDArray>;
  auxParams: Record<string, NDArray>;
}

export interface ND {
  array(data: ArrayData | NDArray, options?: { shape?: Shape; dtype?: DType }): NDArray;
  empty(shape: Shape | number, dtype?: DType): NDArray;
  zeros(shape: Shape | number, dtype?: DType): NDArray;
  ones(shape: Shape | number, dtype?: DType): NDArray;
  full(shape: Shape | number, value: number, dtype?: DType): NDArray;
  /** Bytes in the library's array format (mx.nd.save) of a list or an object of named arrays. */
  save(arrays: NDArray[] | Record<string, NDArray>): Uint8Array;
  /** Arrays from such bytes: an object by name, or a list for unnamed arrays. A corrupt buffer is an IOError. */
  load(bytes: Uint8Array | ArrayBuffer): NDArray[] | Record<string, NDArray>;
  waitAll(): void;
  /** One function per registered operator name and alias. */
  [op: string]: any;
}

export interface Sym {
  Variable(name: string, options?: { shape?: Shape; dtype?: DType; attr?: Record<string, string | number> }): Symbol;
  var(name: string, options?: { shape?: Shape; dtype?: DType; attr?: Record<string, string | number> }): Symbol;
  Group(symbols: Symbol[]): Symbol;
  fromJSON(json: string | Uint8Array | ArrayBuffer): Symbol;
  [op: string]: any;
}

export interface Mxc {
  readonly version: { major: number; minor: number };
  /** Features of the build ({WASM: true, CUDA: false, ...}). */
  readonly features: Record<string, boolean>;
  readonly dtypes: DType[];
  /** The registry: canonical operator name -> metadata. */
  readonly ops: Map<string, OpInfo>;
  readonly nd: ND;
  readonly sym: Sym;
  readonly autograd: Autograd;
  readonly engine: string;
  readonly errors: {
    MXCError: typeof MXCError; ShapeError: typeof ShapeError; MXCTypeError: typeof MXCTypeError;
    ValueError: typeof ValueError; IndexError: typeof IndexError; IOError: typeof IOError;
    DeviceError: typeof DeviceError; InternalError: typeof InternalError;
  };
  opInfo(name: string): OpInfo | undefined;
  bind(symbol: Symbol, options: BindOptions): Executor;
  simpleBind(symbol: Symbol, shapes: Record<string, Shape>, options?: { gradReq?: GradReq; dtype?: DType }): Executor;
  loadParams(bytes: Uint8Array | ArrayBuffer): { argParams: Record<string, NDArray>; auxParams: Record<string, NDArray> };
  loadCheckpoint(symbolJSON: string | Uint8Array, paramsBytes: Uint8Array | ArrayBuffer): Checkpoint;
  saveParams(argParams?: Record<string, NDArray>, auxParams?: Record<string, NDArray>): Uint8Array;
  createPredictor(symbolJSON: string | Uint8Array, paramsBytes: Uint8Array | ArrayBuffer, inputShapes: Record<string, Shape>): Predictor;
  seed(n: number | bigint): void;
}

export interface LoadOptions {
  /** Where to fetch mxc.wasm (default: dist/mxc.wasm of this package). */
  wasmURL?: string | URL;
  /** The bytes of mxc.wasm. */
  wasmBinary?: Uint8Array | ArrayBuffer;
  /** A compiled module. */
  wasmModule?: WebAssembly.Module;
  print?: (s: string) => void;
  printErr?: (s: string) => void;
}

/** The version of include/mxc.h the binding was written against; the module's major version must match. */
export const HEADER_VERSION: { major: number; minor: number };
export function paramString(v: ParamValue): string;
/** Loads the WebAssembly module (Node.js >= 18 or a browser). */
export function load(options?: LoadOptions): Promise<Mxc>;

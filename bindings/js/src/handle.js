// Base of the handle wrappers: explicit dispose() plus the FinalizationRegistry safety net.
import { bindingError } from './errors.js';

export class Handle {
  constructor(rt, kind, ptr) {
    this._rt = rt;
    this._kind = kind;
    this._ptr = ptr;
    this._token = rt.track(this, kind, ptr);
  }
  /** The C handle; throws a ValueError once disposed. */
  get handle() {
    if (!this._ptr) throw bindingError('ValueError', `${this.constructor.name} is disposed`);
    return this._ptr;
  }
  /** true after dispose(). */
  get disposed() { return this._ptr === 0; }
  /** Releases the handle now (the finalizer would do it at some point after the wrapper is collected).
   *  Calling it again does nothing. */
  dispose() {
    if (!this._ptr) return;
    const p = this._ptr;
    this._ptr = 0;
    this._rt.untrack(this._token);
    this._free(p);
  }
}
if (typeof Symbol.dispose === 'symbol') {
  Handle.prototype[Symbol.dispose] = function dispose() { this.dispose(); };
}

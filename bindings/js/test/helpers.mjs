// Shared by the tests: one loaded library per test file, and float comparison.
import assert from 'node:assert/strict';
import { load } from '../index.js';

export const mx = await load();

/** Asserts that actual (typed array or array) equals expected elementwise within tol (absolute + relative). */
export function assertClose(actual, expected, tol = 1e-5, what = '') {
  const a = Array.from(actual, Number);
  const e = Array.from(expected, Number);
  assert.equal(a.length, e.length, `${what} length ${a.length} != ${e.length}`);
  for (let i = 0; i < a.length; i++) {
    const ok = Math.abs(a[i] - e[i]) <= tol * (1 + Math.abs(e[i]));
    if (!ok) assert.fail(`${what}[${i}]: ${a[i]} != ${e[i]} (tol ${tol})`);
  }
}

/** A deterministic pseudo-random Float32Array in [-1, 1) (xorshift). */
export function randn(n, seed = 1) {
  let x = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = (x / 4294967296) * 2 - 1;
  }
  return out;
}

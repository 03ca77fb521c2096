// Shared by the tests: one loaded library per test file, and float comparison.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from '../index.js';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

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

/** Runs examples/web/prepare.py with the repository's Python package and native library into outDir. */
export function prepareModel(outDir, extra = []) {
  const lib = process.env.MXC_NATIVE_LIBRARY || path.join(repo, 'build', 'libmxc.so');
  if (!fs.existsSync(lib)) {
    throw new Error(`the native library ${lib} is missing: build it (cmake --build build) or set MXC_NATIVE_LIBRARY`);
  }
  const r = spawnSync(process.env.PYTHON || 'python3', [path.join(repo, 'examples/web/prepare.py'), '--out', outDir, ...extra], {
    env: { ...process.env, PYTHONPATH: path.join(repo, 'bindings/python'), MXC_LIBRARY_PATH: lib, MXC_ENGINE_TYPE: 'NaiveEngine' },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`prepare.py failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
}


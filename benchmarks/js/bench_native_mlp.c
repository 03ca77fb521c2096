/* The native library's side of benchmarks/js: the checkpoint written by make_models.py, bound through include/mxc.h
 * (no Python), timed as the wasm benchmark times the Predictor: copy the input in, forward, copy the output out.
 * Prints one JSON line: {"batch1_us": ..., "batch128_samples_per_s": ...}.
 *
 *   cc -O2 -I include benchmarks/js/bench_native_mlp.c -L build -lmxc -o bench_native_mlp
 *   MXC_ENGINE_TYPE=NaiveEngine OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 ./bench_native_mlp DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mxc.h"

#define CHECK(x)                                                          \
  do {                                                                    \
    if ((x) != 0) {                                                       \
      fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, MXCGetLastError()); \
      exit(1);                                                            \
    }                                                                     \
  } while (0)

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Median seconds per inference of a batch, over rounds of iters. */
static double time_batch(MXCSymbolHandle sym, int nparams, MXCNDArrayHandle *params, const char **keys,
                         int batch, const float *input, int iters, int rounds) {
  int nargs;
  const char **argnames;
  CHECK(MXCSymbolListArguments(sym, &nargs, &argnames));
  char names[16][64];
  for (int i = 0; i < nargs && i < 16; ++i) snprintf(names[i], sizeof names[i], "%s", argnames[i]);
  MXCNDArrayHandle args[16];
  MXCNDArrayHandle data = NULL;
  for (int i = 0; i < nargs; ++i) {
    args[i] = NULL;
    char want[80];
    snprintf(want, sizeof want, "arg:%s", names[i]);
    for (int j = 0; j < nparams; ++j)
      if (strcmp(keys[j], want) == 0) args[i] = params[j];
    if (args[i]) continue;
    int64_t shape[2] = {batch, 784};
    int ndim = strcmp(names[i], "data") == 0 ? 2 : 1;
    CHECK(MXCNDArrayCreate(shape, ndim, MXC_FLOAT32, MXC_CPU, 0, 0, &args[i]));
    if (ndim == 2) data = args[i];
    else {
      float zeros[256] = {0};
      CHECK(MXCNDArraySyncCopyFromCPU(args[i], zeros, batch));
    }
  }
  int reqs[16] = {0};
  MXCExecutorHandle ex;
  CHECK(MXCExecutorBind(sym, MXC_CPU, 0, nargs, args, NULL, reqs, 0, NULL, NULL, &ex));
  int nout;
  MXCNDArrayHandle *outs;
  CHECK(MXCExecutorOutputs(ex, &nout, &outs));
  MXCNDArrayHandle out = outs[0];
  float *result = malloc(sizeof(float) * batch * 10);
  double *times = malloc(sizeof(double) * rounds);
  for (int r = -1; r < rounds; ++r) { /* round -1 warms up */
    double t0 = now();
    for (int i = 0; i < iters; ++i) {
      CHECK(MXCNDArraySyncCopyFromCPU(data, input, (int64_t)batch * 784));
      CHECK(MXCExecutorForward(ex, 0));
      CHECK(MXCNDArraySyncCopyToCPU(out, result, (int64_t)batch * 10));
    }
    if (r >= 0) times[r] = (now() - t0) / iters;
  }
  qsort(times, rounds, sizeof(double), cmp);
  double med = times[rounds / 2];
  free(times);
  free(result);
  MXCNDArrayFree(out);
  MXCExecutorFree(ex);
  return med;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s DIR [rounds]\n", argv[0]);
    return 2;
  }
  int rounds = argc > 2 ? atoi(argv[2]) : 5;
  char path[4096];
  snprintf(path, sizeof path, "%s/mlp-symbol.json", argv[1]);
  MXCSymbolHandle sym;
  CHECK(MXCSymbolCreateFromFile(path, &sym));
  snprintf(path, sizeof path, "%s/mlp-0000.params", argv[1]);
  int nparams, nkeys;
  MXCNDArrayHandle *loaded;
  const char **lkeys;
  CHECK(MXCNDArrayLoad(path, &nparams, &loaded, &nkeys, &lkeys));
  MXCNDArrayHandle params[16];
  char keybuf[16][80];
  const char *keys[16];
  for (int i = 0; i < nparams && i < 16; ++i) {
    params[i] = loaded[i];
    snprintf(keybuf[i], sizeof keybuf[i], "%s", lkeys[i]);
    keys[i] = keybuf[i];
  }
  snprintf(path, sizeof path, "%s/input.bin", argv[1]);
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    return 1;
  }
  float *input = malloc(sizeof(float) * 128 * 784);
  if (fread(input, sizeof(float), 128 * 784, f) != 128 * 784) {
    fprintf(stderr, "%s: short read\n", path);
    return 1;
  }
  fclose(f);
  double t1 = time_batch(sym, nparams, params, keys, 1, input, 3000, rounds);
  double t128 = time_batch(sym, nparams, params, keys, 128, input, 150, rounds);
  const char *engine;
  CHECK(MXCEngineGetType(&engine));
  printf("{\"batch1_us\": %.3f, \"batch128_samples_per_s\": %.1f, \"engine\": \"%s\"}\n", t1 * 1e6, 128 / t128, engine);
  for (int i = 0; i < nparams; ++i) MXCNDArrayFree(params[i]);
  MXCSymbolFree(sym);
  free(input);
  return 0;
}

/* A C program using mxc through its registry: create arrays, invoke operators, read results, handle an error. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mxc.h"

#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != 0) {                                                \
      fprintf(stderr, "%s failed: %s\n", #call, MXCGetLastError());   \
      return 1;                                                       \
    }                                                                 \
  } while (0)

int main(void) {
  int64_t shape[2] = {2, 3};
  MXCNDArrayHandle a, b;
  CHECK(MXCNDArrayCreate(shape, 2, MXC_FLOAT32, MXC_CPU, 0, 0, &a));
  CHECK(MXCNDArrayCreate(shape, 2, MXC_FLOAT32, MXC_CPU, 0, 0, &b));
  float av[6] = {1, 2, 3, 4, 5, 6}, bv[6] = {10, 20, 30, 40, 50, 60};
  CHECK(MXCNDArraySyncCopyFromCPU(a, av, 6));
  CHECK(MXCNDArraySyncCopyFromCPU(b, bv, 6));

  /* c = a + b through the registry */
  MXCOpHandle add;
  CHECK(MXCOpGetHandle("elemwise_add", &add));
  MXCNDArrayHandle in[2] = {a, b};
  int nout = 0;
  MXCNDArrayHandle *outs = NULL;
  CHECK(MXCOpInvoke(add, 2, in, &nout, &outs, 0, NULL, NULL));
  MXCNDArrayHandle c = outs[0];
  float cv[6];
  CHECK(MXCNDArraySyncCopyToCPU(c, cv, 6));
  for (int i = 0; i < 6; ++i)
    if (cv[i] != av[i] + bv[i]) {
      fprintf(stderr, "wrong sum at %d: %g\n", i, cv[i]);
      return 1;
    }

  /* s = sum(c, axis=1) with a parameter passed as a string */
  MXCOpHandle sum;
  CHECK(MXCOpGetHandle("sum", &sum));
  const char *keys[1] = {"axis"};
  const char *vals[1] = {"1"};
  nout = 0;
  outs = NULL;
  CHECK(MXCOpInvoke(sum, 1, &c, &nout, &outs, 1, keys, vals));
  MXCNDArrayHandle s = outs[0];
  float sv[2];
  CHECK(MXCNDArraySyncCopyToCPU(s, sv, 2));
  if (fabsf(sv[0] - 66.0f) > 1e-4f || fabsf(sv[1] - 165.0f) > 1e-4f) {
    fprintf(stderr, "wrong row sums %g %g\n", sv[0], sv[1]);
    return 1;
  }
  printf("a + b = [%g %g %g; %g %g %g], row sums = [%g %g]\n", cv[0], cv[1], cv[2], cv[3], cv[4], cv[5], sv[0],
         sv[1]);

  /* An error: adding arrays of different shapes names the operator and the shapes. */
  int64_t other_shape[1] = {4};
  MXCNDArrayHandle d;
  CHECK(MXCNDArrayCreate(other_shape, 1, MXC_FLOAT32, MXC_CPU, 0, 0, &d));
  MXCNDArrayHandle bad[2] = {a, d};
  nout = 0;
  outs = NULL;
  if (MXCOpInvoke(add, 2, bad, &nout, &outs, 0, NULL, NULL) == 0) {
    fprintf(stderr, "expected a shape error\n");
    return 1;
  }
  const char *err = MXCGetLastError();
  printf("expected error: %s\n", err);
  if (strncmp(err, "ShapeError:", 11) != 0 || !strstr(err, "elemwise_add")) return 1;

  MXCNDArrayFree(a);
  MXCNDArrayFree(b);
  MXCNDArrayFree(c);
  MXCNDArrayFree(s);
  MXCNDArrayFree(d);
  return 0;
}

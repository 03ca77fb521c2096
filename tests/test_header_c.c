/* Proves that mxc.h is valid plain C99 and that a C program links against libmxc. */
#include "mxc.h"

#include <stdio.h>

int main(void) {
  int major = -1, minor = -1;
  if (MXCGetVersion(&major, &minor) != 0) return 1;
  if (major != MXC_VERSION_MAJOR || minor != MXC_VERSION_MINOR) return 2;
  MXCNDArrayHandle h = NULL;
  if (MXCNDArrayFree(h) != 0) return 3; /* Free(NULL) is allowed */
  enum MXCDType t = MXC_FLOAT32;
  (void)t;
  printf("mxc %d.%d from C\n", major, minor);
  return 0;
}

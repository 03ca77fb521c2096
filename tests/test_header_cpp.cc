// Proves that mxc.h is valid C++ (extern "C" linkage) and links.
#include "mxc.h"

#include <cstdio>

int main() {
  int major = -1, minor = -1;
  if (MXCGetVersion(&major, &minor) != 0) return 1;
  if (major != MXC_VERSION_MAJOR || minor != MXC_VERSION_MINOR) return 2;
  std::printf("mxc %d.%d from C++\n", major, minor);
  return 0;
}

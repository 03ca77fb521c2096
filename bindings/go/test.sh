#!/usr/bin/env bash
# Builds what the Go binding needs and runs go vet and the tests (with the race detector) of bindings/go.
# Uses the CMake build of the library at <repo>/build: brings libmxc up to date there (configuring it first if
# there is none).
# -count=1: results depend on libmxc.so, which the test cache does not track. Set MXC_GO_TEST_FLAGS to pass
# more flags to `go test` (e.g. -v or -run).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
if ! command -v go >/dev/null; then
  echo "bindings/go/test.sh: the Go toolchain is missing (Debian: apt-get install golang-go)" >&2
  exit 1
fi
if [ ! -e "$repo/build/CMakeCache.txt" ]; then
  echo "bindings/go/test.sh: configuring libmxc in $repo/build"
  gen=()
  command -v ninja >/dev/null && gen=(-G Ninja)
  cmake -S "$repo" -B "$repo/build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release
fi
cmake --build "$repo/build" --target mxc -j"${JOBS:-$(nproc)}"
cd "$here"
export GOPROXY=off GOTOOLCHAIN=local
go vet ./...
# shellcheck disable=SC2086
go test -race -count=1 ${MXC_GO_TEST_FLAGS:-} ./...

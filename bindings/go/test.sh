#!/usr/bin/env bash
# Builds what the Go binding needs and runs go vet and the tests (with the race detector) of bindings/go.
# Assumes the CMake build of the library at <repo>/build (builds it there if libmxc.so is missing).
# Set MXC_GO_TEST_FLAGS to pass more flags to `go test` (e.g. -count=1 -v).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
if ! command -v go >/dev/null; then
  echo "bindings/go/test.sh: the Go toolchain is missing (Debian: apt-get install golang-go)" >&2
  exit 1
fi
if [ ! -e "$repo/build/libmxc.so" ]; then
  echo "bindings/go/test.sh: building libmxc in $repo/build"
  gen=()
  command -v ninja >/dev/null && gen=(-G Ninja)
  cmake -S "$repo" -B "$repo/build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release
  cmake --build "$repo/build" --target mxc -j"$(nproc)"
fi
cd "$here"
export GOPROXY=off GOTOOLCHAIN=local
go vet ./...
# shellcheck disable=SC2086
go test -race ${MXC_GO_TEST_FLAGS:-} ./...

#!/usr/bin/env bash
# Builds the WebAssembly module of mxc: dist/mxc.wasm and its ES-module glue dist/mxc.mjs, with Emscripten (Debian:
# apt-get install emscripten) through CMake and Ninja, incrementally in bindings/js/build. Set JOBS to limit the
# parallel compile jobs; extra arguments go to the CMake configure step (e.g. -DMXC_WASM_EXCEPTIONS=js).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if ! command -v emcmake >/dev/null; then
  echo "bindings/js/build.sh: Emscripten is missing (Debian: apt-get install emscripten)" >&2
  exit 1
fi
# Debian's emscripten runs its JavaScript optimiser with the system's node, and keeps acorn and the other node
# modules it needs in /usr/share/nodejs; a node not from Debian (NodeSource) does not look there by itself.
export NODE_PATH="${NODE_PATH:+$NODE_PATH:}/usr/share/nodejs"
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
if [ ! -f "$here/build/CMakeCache.txt" ] || [ $# -gt 0 ]; then
  emcmake cmake -S "$here" -B "$here/build" "${gen[@]}" "$@"
fi
cmake --build "$here/build" -j"${JOBS:-$(nproc)}"
ls -l "$here/dist/mxc.wasm" "$here/dist/mxc.mjs"

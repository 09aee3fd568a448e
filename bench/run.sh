#!/usr/bin/env bash
# `npm run bench`: the copy benchmark (regtopo vs skopeo vs curl between real loopback registries)
# plus start-up floors, the mirror benchmark and the registry's own CPU cost per request. Extra
# arguments go to copy-bench.sh, e.g. `npm run bench -- --runs 5`.
set -euo pipefail
cd "$(dirname "$0")/.."
harness=../shared/bench/copy-bench.sh
[ -f "$harness" ] || { echo "bench: $harness not found (it ships in the project's shared/ folder)" >&2; exit 2; }

echo "== start-up: node alone, regtopo --version and --help (median of 21 runs)"
node bench/startup.mjs 21

echo "== copy benchmark"
bash "$harness" --ours 'node bin/regtopo.js' --runs 3 "$@"

echo "== mirror benchmark (50 tags, cold and no-op, against skopeo sync)"
node bench/mirror-bench.mjs --runs 3

echo "== registry cost per request (CPU of the Distribution process itself; every tool pays it)"
node bench/registry-cost.mjs --n 200
echo "== replicate and backup benchmark (100 tags to 2 replicas: cold and no-op; backup first and second run; request counts)"
node bench/replicate-bench.mjs --runs 3

#!/usr/bin/env bash
# `npm run bench`: the loopback copy benchmark (regtopo vs skopeo vs curl between real registries)
# with each tool's CPU seconds, start-up floors and the start-up measures weighed, the mirror
# benchmark, the registry's own CPU cost per request, replicate/backup, and — as root only, since it
# builds network namespaces — the WAN benchmark (40 ms RTT, 200 Mbit). Extra arguments go to
# copy-bench.sh, e.g. `npm run bench -- --runs 5`.
set -euo pipefail
cd "$(dirname "$0")/.."
# The project's shared/ folder sits next to the checkout (../shared) or next to its worktrees (../../shared).
shared=../shared/bench; [ -f "$shared/copy-bench.sh" ] || shared=../../shared/bench
[ -f "$shared/copy-bench.sh" ] || { echo "bench: shared/bench/copy-bench.sh not found next to the project" >&2; exit 2; }

echo "== start-up: node alone, regtopo --version and --help (median of 21 runs)"
node bench/startup.mjs 21

echo "== start-up measures: one HTTP exchange with and without each (median of 21 interleaved rounds)"
node bench/startup-measures.mjs 21

echo "== copy benchmark (wall, RSS)"
bash "$shared/copy-bench.sh" --ours 'node bin/regtopo.js' --runs 3 "$@"

echo "== CPU seconds per copy, regtopo vs skopeo (median of 5 interleaved runs)"
bash bench/cpu-bench.sh --runs 5

echo "== mirror benchmark (50 tags, cold and no-op, against skopeo sync)"
node bench/mirror-bench.mjs --runs 3

echo "== registry cost per request (CPU of the Distribution process itself; every tool pays it)"
node bench/registry-cost.mjs --n 200
echo "== replicate and backup benchmark (100 tags to 2 replicas: cold and no-op; backup first and second run; request counts)"
node bench/replicate-bench.mjs --runs 3

echo "== WAN benchmark (each registry behind its own 40 ms / 200 Mbit link; ~17 min)"
if [ "$(id -u)" = 0 ]; then
  bash "$shared/wan-bench.sh" --ours 'node bin/regtopo.js' --rtt-ms 40 --rate-mbit 200 --runs 3
else
  echo "skipped: wan-bench.sh needs root (network namespaces, tc); run npm run bench as root for it"
fi

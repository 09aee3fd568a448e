#!/usr/bin/env bash
# CPU seconds per copy, regtopo against skopeo, on loopback: the same images as
# ../shared/bench/copy-bench.sh (which reports wall time and RSS only), each run into a fresh,
# empty target registry, tools interleaved run by run (ABAB…, the first tool alternating) so load
# from other processes on a shared machine falls on both alike. Prints medians of user+sys CPU
# seconds, wall seconds and peak RSS per scenario and tool, and ours/skopeo.
#
#   bench/cpu-bench.sh [--ours 'CMD'] [--runs N] [--scenarios cold-single,cold-multiarch,many-small]
set -uo pipefail
cd "$(dirname "$0")/.."
# The project's shared/ folder sits next to the checkout (../shared) or next to its worktrees (../../shared).
shared=../shared/bench; [ -f "$shared/registry.sh" ] || shared=../../shared/bench
[ -f "$shared/registry.sh" ] || { echo "cpu-bench: shared/bench/registry.sh not found next to the project" >&2; exit 2; }
source "$shared/registry.sh"
ours="node bin/regtopo.js"
runs=5
scenarios="cold-single,cold-multiarch,many-small"
while [ $# -gt 0 ]; do
  case $1 in
    --ours) ours=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --scenarios) scenarios=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
work=$(mktemp -d /tmp/cpu-bench.XXXXXX)
trap 'stop_registries; rm -rf "$work"' EXIT
port=$((20000 + RANDOM % 20000))
src_port=$port
start_registry "$work/src" "$src_port" || exit 2
seed() {
  local name=$1; shift
  python3 "$shared/mkimage.py" "$work/img-$name" "$@" >/dev/null
  skopeo copy --all --dest-tls-verify=false "oci:$work/img-$name:latest" "docker://127.0.0.1:$src_port/bench/$name:latest" >/dev/null
}
digest_of() { # digest_of PORT REPO TAG
  curl -sI -H 'Accept: application/vnd.oci.image.index.v1+json,application/vnd.oci.image.manifest.v1+json' \
    "http://127.0.0.1:$1/v2/$2/manifests/$3" | tr -d '\r' | awk 'tolower($1)=="docker-content-digest:"{print $2}'
}
# one TOOL NAME -> appends "cpu_s wall_s rss_kib" to $work/rows-NAME-TOOL
one() {
  local tool=$1 name=$2 d
  port=$((port + 1)); d=$port
  start_registry "$work/dst-$d" "$d" || return 1
  local srcref="127.0.0.1:$src_port/bench/$name:latest" dstref="127.0.0.1:$d/promoted/$name:latest"
  case $tool in
    # One cache directory for the whole run, warmed below: a user's V8 code cache is there after the
    # first command. Blob sightings in it name earlier targets' ports, never this fresh registry's.
    ours) XDG_CACHE_HOME="$work/xdg" /usr/bin/time -f "%U %S %e %M" -o "$work/t" $ours copy "$srcref" "$dstref" >"$work/out" 2>&1 ;;
    skopeo) /usr/bin/time -f "%U %S %e %M" -o "$work/t" skopeo copy --all --src-tls-verify=false --dest-tls-verify=false \
        "docker://$srcref" "docker://$dstref" >"$work/out" 2>&1 ;;
  esac
  local rc=$?
  if [ $rc -ne 0 ] || [ "$(digest_of "$src_port" "bench/$name" latest)" != "$(digest_of "$d" "promoted/$name" latest)" ]; then
    echo "  $tool $name FAILED (exit $rc): $(tail -c 300 "$work/out" | tr '\n' ' ')" >&2
  else
    tail -1 "$work/t" | awk '{printf "%.2f %s %s\n", $1 + $2, $3, $4}' >>"$work/rows-$name-$tool"
  fi
  stop_last_registry; rm -rf "$work/dst-$d"
}
IFS=, read -ra list <<<"$scenarios"
for sc in "${list[@]}"; do
  case $sc in
    cold-single)    seed "$sc" --layers 8 --layer-bytes $((16 << 20)) ;;
    cold-multiarch) seed "$sc" --layers 3 --layer-bytes $((4 << 20)) --platforms linux/amd64,linux/arm64,linux/ppc64le,linux/s390x ;;
    many-small)     seed "$sc" --layers 64 --layer-bytes $((64 << 10)) ;;
    big-layer)      seed "$sc" --layers 1 --layer-bytes $((512 << 20)) ;;
    *) echo "unknown scenario $sc" >&2; exit 2 ;;
  esac
done
mkdir -p "$work/xdg"; XDG_CACHE_HOME="$work/xdg" $ours --help >/dev/null
for i in $(seq 1 "$runs"); do
  for sc in "${list[@]}"; do
    if [ $((i % 2)) = 1 ]; then one ours "$sc"; one skopeo "$sc"; else one skopeo "$sc"; one ours "$sc"; fi
  done
done
python3 - "$work" "${list[@]}" <<'PY'
import os, statistics, sys
work, scenarios = sys.argv[1], sys.argv[2:]
def med(name, tool):
    p = f"{work}/rows-{name}-{tool}"
    if not os.path.exists(p): return None
    rows = [list(map(float, l.split())) for l in open(p) if l.strip()]
    return [statistics.median(r[k] for r in rows) for k in range(3)] + [len(rows)]
print(f"{'scenario':15} {'tool':7} {'cpu_s':>6} {'wall_s':>7} {'rss_mib':>8} {'runs':>4}")
summary = []
for sc in scenarios:
    m = {t: med(sc, t) for t in ("ours", "skopeo")}
    for t, v in m.items():
        print(f"{sc:15} {t:7} " + ("FAILED" if v is None else f"{v[0]:6.2f} {v[1]:7.2f} {v[2] / 1024:8.0f} {v[3]:4d}"))
    if m["ours"] and m["skopeo"]: summary.append((sc, m["ours"][0] / m["skopeo"][0], m["ours"][1] / m["skopeo"][1]))
print()
print(f"{'scenario':15} {'cpu ours/skopeo':>15} {'wall ours/skopeo':>16}")
for sc, c, w in summary: print(f"{sc:15} {c:15.2f} {w:16.2f}")
PY

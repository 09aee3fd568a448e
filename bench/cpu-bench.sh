#!/usr/bin/env bash
# CPU seconds per copy, regtopo against skopeo, on loopback: the same images as
# ../shared/bench/copy-bench.sh (which reports wall time and RSS only), each run into a fresh,
# empty target registry, tools interleaved run by run (ABAB…, the first tool alternating) so load
# from other processes on a shared machine falls on both alike. Prints medians of user+sys CPU
# seconds, wall seconds and peak RSS per scenario and tool, and ours/skopeo.
#
#   bench/cpu-bench.sh [--ours 'CMD'] [--base 'CMD'] [--runs N] [--counter cpu|instructions]
#                      [--scenarios tiny,cold-single,cold-multiarch,many-small]
#
# --base runs a second build of regtopo (a worktree of the commit before a change, say) in the same
# interleaving, and prints ours/base: a before/after on the same machine at the same time.
# --counter instructions counts instructions under valgrind instead of CPU seconds, for regtopo's
# builds only (bench/measure-child.py says why, and what the count leaves out): the same build's
# count moves 1-4 % run to run where CPU seconds move ±10 %. It is ~50 times slower, so use few runs
# and small scenarios (tiny: one 1 KiB layer, where the whole cost is a process's fixed cost).
# Default scenarios: the issue's three.
set -uo pipefail
cd "$(dirname "$0")/.."
# The project's shared/ folder sits next to the checkout (../shared) or next to its worktrees (../../shared).
shared=../shared/bench; [ -f "$shared/registry.sh" ] || shared=../../shared/bench
[ -f "$shared/registry.sh" ] || { echo "cpu-bench: shared/bench/registry.sh not found next to the project" >&2; exit 2; }
source "$shared/registry.sh"
ours="node bin/regtopo.js"
base=""
runs=5
counter=cpu
scenarios="cold-single,cold-multiarch,many-small"
while [ $# -gt 0 ]; do
  case $1 in
    --ours) ours=$2; shift 2 ;;
    --base) base=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --scenarios) scenarios=$2; shift 2 ;;
    --counter) counter=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
case $counter in
  cpu) ;;
  instructions) command -v valgrind >/dev/null || { echo "cpu-bench: --counter instructions needs valgrind (apt-get install -y valgrind)" >&2; exit 2; } ;;
  *) echo "cpu-bench: --counter is cpu or instructions, not $counter" >&2; exit 2 ;;
esac
work=$(mktemp -d /tmp/cpu-bench.XXXXXX)
trap 'stop_registries; rm -rf "$work"' EXIT
# Registry ports from below the kernel's ephemeral range (32768 up, ip_local_port_range): a port in
# it can be the local end of one of our own outgoing connections, and the registry then fails to
# bind (seen: 2-3 runs in 20 lost to "address already in use"). A port that is taken anyway is
# skipped for the next one.
port=$((20000 + RANDOM % 10000))
# start_on DIR_PREFIX -> starts a registry on the next port that binds; sets $port
start_on() {
  local tries
  for tries in 1 2 3 4 5; do
    port=$((port + 1))
    start_registry "$1-$port" "$port" 2>/dev/null && return 0
    stop_last_registry; rm -rf "$1-$port"
  done
  echo "cpu-bench: no registry would start on ports up to $port" >&2
  return 1
}
start_on "$work/src" || exit 2
src_port=$port
seed() {
  local name=$1; shift
  python3 "$shared/mkimage.py" "$work/img-$name" "$@" >/dev/null
  skopeo copy --all --dest-tls-verify=false "oci:$work/img-$name:latest" "docker://127.0.0.1:$src_port/bench/$name:latest" >/dev/null
}
digest_of() { # digest_of PORT REPO TAG
  curl -sI -H 'Accept: application/vnd.oci.image.index.v1+json,application/vnd.oci.image.manifest.v1+json' \
    "http://127.0.0.1:$1/v2/$2/manifests/$3" | tr -d '\r' | awk 'tolower($1)=="docker-content-digest:"{print $2}'
}
measure=(python3 bench/measure-child.py --counter "$counter" "$work/t")
# one TOOL NAME -> appends "cost wall_s rss_kib" to $work/rows-NAME-TOOL (cost: CPU s or instructions)
one() {
  local tool=$1 name=$2 d
  start_on "$work/dst" || return 1
  d=$port
  local srcref="127.0.0.1:$src_port/bench/$name:latest" dstref="127.0.0.1:$d/promoted/$name:latest"
  case $tool in
    # One cache directory per build for the whole run, warmed below: a user's V8 code cache is there
    # after the first command. Blob sightings in it name earlier targets' ports, never this fresh
    # registry's.
    ours) XDG_CACHE_HOME="$work/xdg-ours" "${measure[@]}" $ours copy "$srcref" "$dstref" >"$work/out" 2>&1 ;;
    base) XDG_CACHE_HOME="$work/xdg-base" "${measure[@]}" $base copy "$srcref" "$dstref" >"$work/out" 2>&1 ;;
    skopeo) "${measure[@]}" skopeo copy --all --src-tls-verify=false --dest-tls-verify=false \
        "docker://$srcref" "docker://$dstref" >"$work/out" 2>&1 ;;
  esac
  local rc=$?
  if [ $rc -ne 0 ] || [ "$(digest_of "$src_port" "bench/$name" latest)" != "$(digest_of "$d" "promoted/$name" latest)" ]; then
    echo "  $tool $name FAILED (exit $rc): $(tail -c 300 "$work/out" | tr '\n' ' ')" >&2
  else
    cat "$work/t" >>"$work/rows-$name-$tool"
  fi
  stop_last_registry; rm -rf "$work/dst-$d"
}
IFS=, read -ra list <<<"$scenarios"
for sc in "${list[@]}"; do
  case $sc in
    tiny)           seed "$sc" --layers 1 --layer-bytes 1024 ;;
    cold-single)    seed "$sc" --layers 8 --layer-bytes $((16 << 20)) ;;
    cold-multiarch) seed "$sc" --layers 3 --layer-bytes $((4 << 20)) --platforms linux/amd64,linux/arm64,linux/ppc64le,linux/s390x ;;
    many-small)     seed "$sc" --layers 64 --layer-bytes $((64 << 10)) ;;
    big-layer)      seed "$sc" --layers 1 --layer-bytes $((512 << 20)) ;;
    *) echo "unknown scenario $sc" >&2; exit 2 ;;
  esac
done
tools=(ours)
[ -n "$base" ] && tools+=(base)
[ "$counter" = cpu ] && tools+=(skopeo)
# Warm each build's code cache with the command measured, as a user's is after the first copy: a
# cache written by --help alone makes the first measured copy compile (and rewrite) the copy path.
for t in "${tools[@]}"; do
  [ "$t" = skopeo ] && continue
  cmd=$ours; [ "$t" = base ] && cmd=$base
  mkdir -p "$work/xdg-$t"
  start_on "$work/warm" || exit 2
  XDG_CACHE_HOME="$work/xdg-$t" $cmd copy "127.0.0.1:$src_port/bench/${list[0]}:latest" "127.0.0.1:$port/warm/image:latest" >/dev/null 2>&1
  stop_last_registry; rm -rf "$work/warm-$port"
done
for i in $(seq 1 "$runs"); do
  for sc in "${list[@]}"; do
    # Each run rotates which tool goes first, so a slot's disadvantage falls on every tool alike.
    n=${#tools[@]}
    for k in $(seq 0 $((n - 1))); do one "${tools[$(((i + k) % n))]}" "$sc"; done
  done
done
python3 - "$work" "$counter" "${tools[*]}" "${list[@]}" <<'PY'
import os, statistics, sys
work, counter, tools, scenarios = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4:]
def med(name, tool):
    p = f"{work}/rows-{name}-{tool}"
    if not os.path.exists(p): return None
    rows = [list(map(float, l.split())) for l in open(p) if l.strip()]
    return [statistics.median(r[k] for r in rows) for k in range(3)] + [len(rows)]
# CPU seconds to 3 places (wait4 keeps microseconds), or instructions in millions.
cost_head, cost = ("cpu_s", lambda v: f"{v:6.3f}") if counter == "cpu" else ("Minstr", lambda v: f"{v / 1e6:6.0f}")
print(f"{'scenario':15} {'tool':7} {cost_head:>6} {'wall_s':>7} {'rss_mib':>8} {'runs':>4}")
others = [t for t in ("skopeo", "base") if t in tools]
summary = []
for sc in scenarios:
    m = {t: med(sc, t) for t in tools}
    for t, v in m.items():
        rss = f"{v[2] / 1024:8.0f}" if v and counter == "cpu" else f"{'-':>8}"
        print(f"{sc:15} {t:7} " + ("FAILED" if v is None else f"{cost(v[0])} {v[1]:7.2f} {rss} {v[3]:4d}"))
    for o in others:
        if m["ours"] and m[o]: summary.append((sc, o, m["ours"][0] / m[o][0], m["ours"][1] / m[o][1]))
if summary:
    label = "cpu" if counter == "cpu" else "instr"
    print()
    print(f"{'scenario':15} {'against':7} {label + ' ours/them':>15} {'wall ours/them':>15}")
    for sc, o, c, w in summary: print(f"{sc:15} {o:7} {c:15.3f} {w:15.2f}")
PY

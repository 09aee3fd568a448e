#!/usr/bin/env bash
# regtopo as an ephemeral CI runner runs it: no blob-location cache (a fresh, empty one every command),
# only what the topology says. For the WAN bench's warm scenarios:
#
#   bash ../shared/bench/wan-bench.sh --ours 'bash bench/ephemeral-ours.sh' --scenarios warm
#
# `copy PLAIN SRC DST` gets a topology (written next to the empty cache) naming the target registry
# and `promoted/<image>`, the repository the bench's warm prep promotes into, as where the image
# lives there: what a real topology says of prod. promote-like (into second/<image>) can then mount
# only from that topology candidate. The target's role is `ci`, not `prod`, because the topology's
# write authority refuses ad-hoc copies into prod; mount candidates do not depend on the role.
# The V8 code cache is kept between commands (it lives beside the blob cache under XDG_CACHE_HOME),
# so the runs measure the missing blob cache, not a cold compile.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
code_cache=${EPHEMERAL_CODE_CACHE:-/tmp/regtopo-ephemeral-code-cache}
mkdir -p "$code_cache"
xdg=$(mktemp -d /tmp/regtopo-ephemeral.XXXXXX)
trap 'rm -rf "$xdg"' EXIT
mkdir -p "$xdg/regtopo"
ln -s "$code_cache" "$xdg/regtopo/code-cache"
export XDG_CACHE_HOME=$xdg
node=${NODE:-node}
if [ "${1:-}" = copy ] && [ $# -eq 4 ]; then
  src=$3 dst=$4
  src_host=${src%%/*} dst_host=${dst%%/*}
  image=${dst##*/}; image=${image%%:*}
  cat >"$xdg/registries.yaml" <<EOF
version: 1
registries:
  ci: { role: ci, url: "http://$src_host" }
  stage: { role: ci, url: "http://$dst_host" }
promotion:
  images:
    - { name: $image, repository: promoted/$image, source: ci }
  stages:
    - { name: stage, from: ci, to: stage, tags: [latest] }
EOF
  "$node" "$here/bin/regtopo.js" -f "$xdg/registries.yaml" "$@"
else
  "$node" "$here/bin/regtopo.js" "$@"
fi

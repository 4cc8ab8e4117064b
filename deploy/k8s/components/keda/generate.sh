#!/bin/sh
# Regenerates the ScaledObjects of this component from the scaling advisor's per-subgraph settings.
#   deploy/k8s/components/keda/generate.sh [OUT_DIR]     (default: the generated/ folder beside this file)
# test/deploy runs it into a temporary folder and compares. Change targets here, then run it and commit.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/generated}
cd "$here/../../../.."
exec node --import tsx scripts/advise.ts --format keda --out "$out" \
  --prometheus-url http://prometheus.crossfade.svc.cluster.local:9090

#!/bin/sh
# crossfade SERVICE [ARG...]: runs one Crossfade service from the compiled bundles in /app/dist.
#   SERVICE: gateway | users | posts | media       (default: gateway)
set -eu
service=${1:-gateway}
[ $# -gt 0 ] && shift
flags=
case "$service" in
  # A larger young generation: the gateway allocates many short-lived objects per operation, and the
  # default semi-space makes scavenges a quarter of its CPU (docs/PERFORMANCE.md). GATEWAY_NODE_FLAGS overrides.
  gateway) entry=dist/gateway/main.js flags=${GATEWAY_NODE_FLAGS---max-semi-space-size=64} ;;
  users | posts | media) entry=dist/subgraphs/$service/src/main.js ;;
  *)
    echo "crossfade: unknown service '$service' (gateway, users, posts or media)" >&2
    exit 64
    ;;
esac
cd /app
# The OpenTelemetry bootstrap must load before the modules it instruments.
if [ -f dist/otel/register.js ]; then
  set -- --import ./dist/otel/register.js "$entry" "$@"
else
  set -- "$entry" "$@"
fi
# exec: node is PID 1 and receives SIGTERM itself, for a graceful stop.
# shellcheck disable=SC2086 # the flags are words on purpose
exec node --enable-source-maps $flags "$@"

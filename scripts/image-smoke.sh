#!/usr/bin/env bash
# npm run image:smoke — builds deploy/Dockerfile and runs the four services from the image, without a Docker
# daemon or a container registry:
#   1. a local Node 20 base image: a Debian bookworm minbase root (debootstrap) plus this machine's Node and
#      npm 10 (what the official node:20 images ship) in the official layout, /usr/local;
#   2. buildah bud --isolation chroot --storage-driver vfs, with the base as NODE_IMAGE and the host's CA
#      bundle mounted for the npm registry;
#   3. podman run --network host (never bridge networking: it rewrites the host's firewall) of each service,
#      read-only root, non-root, on ports that do not collide with a dev stack (IMAGE_SMOKE_PORT, default
#      14000: gateway 14000, admin 14090, users 14001, posts 14002, media 14003), SQLite on a tmpfs;
#   4. /health of all four, /ready of the gateway, one HomeFeed query through the containerised gateway,
#      and the gateway's metrics on its admin port; then a SIGTERM stop, after which the HomeFeed trace must
#      hold spans of all four, exported to an OTLP/JSON receiver on the host (port +91); then the containers
#      are removed, pass or fail.
# Needs root (apt-get, chroot builds). Caches under CROSSFADE_IMAGE_CACHE (default /var/cache/crossfade-image):
# the debootstrap root, the base image and buildah's layers, so that a second run rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE=${CROSSFADE_IMAGE_CACHE:-/var/cache/crossfade-image}
PORT_BASE=${IMAGE_SMOKE_PORT:-14000}
NPM_VERSION=10.8.2
# Bump when base_image() changes what it puts into the base image.
BASE_RECIPE=1
IMAGE=localhost/crossfade:smoke
PREFIX=crossfade-smoke
SERVICES=(users posts media gateway)
declare -A PORTS=([gateway]=$PORT_BASE [users]=$((PORT_BASE + 1)) [posts]=$((PORT_BASE + 2)) [media]=$((PORT_BASE + 3)))
ADMIN_PORT=$((PORT_BASE + 90))
OTLP_PORT=$((PORT_BASE + 91))
started=$SECONDS

log() { printf '[image-smoke +%3ss] %s\n' "$((SECONDS - started))" "$*" >&2; }
fail() {
  log "FAILED: $*"
  exit 1
}

[ "$(id -u)" = 0 ] || fail "run as root (apt-get, debootstrap and chroot builds need it)"
mkdir -p "$CACHE"
# One run at a time: the storage and the container names are shared.
exec 9>"$CACHE/lock"
flock -w 300 9 || fail "another image smoke holds $CACHE/lock"

STORE=(--root "$CACHE/storage" --runroot "$CACHE/run" --storage-driver vfs)
buildah() { command buildah "${STORE[@]}" "$@"; }
podman() { command podman "${STORE[@]}" --cgroup-manager cgroupfs --events-backend file "$@"; }

# --- tools -----------------------------------------------------------------------------------------------------
ensure_tools() {
  local missing=()
  for tool in buildah podman debootstrap runc curl; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  [ ${#missing[@]} -eq 0 ] && return
  log "installing ${missing[*]} (Debian packages)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends buildah podman debootstrap runc uidmap curl >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends buildah podman debootstrap runc uidmap curl >/dev/null; }
}

# --- containers of this script, removed at exit whatever happened --------------------------------------------
remove_containers() {
  for service in "${SERVICES[@]}"; do podman rm -f -t 5 "$PREFIX-$service" >/dev/null 2>&1 || true; done
}
on_exit() {
  local status=$?
  if [ $status -ne 0 ]; then
    for service in "${SERVICES[@]}"; do
      if podman container exists "$PREFIX-$service" 2>/dev/null; then
        log "last lines of $service:"
        podman logs --tail 30 "$PREFIX-$service" 2>&1 | sed "s/^/  $service | /" >&2 || true
      fi
    done
  fi
  remove_containers
  podman image unmount "$IMAGE" >/dev/null 2>&1 || true
  [ -n "${data_dir:-}" ] && rm -rf "$data_dir"
  [ -n "${receiver_pid:-}" ] && kill "$receiver_pid" 2>/dev/null
  [ -n "${spans_file:-}" ] && rm -f "$spans_file"
  [ -n "${headers_file:-}" ] && rm -f "$headers_file"
  if [ $status -eq 0 ]; then log "passed in $((SECONDS - started)) s"; else log "failed after $((SECONDS - started)) s"; fi
}

# --- 1. the base image -----------------------------------------------------------------------------------------
node_bin=$(readlink -f "$(command -v node)")
node_version=$(node -p 'process.versions.node')
node_headers=$(dirname "$(dirname "$node_bin")")/include/node

base_image() {
  local tag
  tag=localhost/crossfade-node-base:${node_version}-npm${NPM_VERSION}-$( (sha256sum "$node_bin" && echo "$BASE_RECIPE") | sha256sum | cut -c1-12)
  if buildah inspect --type image "$tag" >/dev/null 2>&1; then
    echo "$tag"
    return
  fi
  [ -f "$node_headers/common.gypi" ] || fail "Node's headers are not at $node_headers (native modules build against them)"
  local rootfs=$CACHE/rootfs-bookworm
  if [ ! -f "$rootfs/.complete" ]; then
    log "debootstrap --variant=minbase bookworm (once; cached in $rootfs)"
    rm -rf "$rootfs.tmp"
    timeout 300 debootstrap --variant=minbase bookworm "$rootfs.tmp" http://deb.debian.org/debian >"$CACHE/debootstrap.log" 2>&1 ||
      fail "debootstrap failed, see $CACHE/debootstrap.log"
    rm -rf "$rootfs.tmp"/var/cache/apt/archives/*.deb "$rootfs.tmp"/var/lib/apt/lists/*
    touch "$rootfs.tmp/.complete"
    rm -rf "$rootfs" && mv "$rootfs.tmp" "$rootfs"
  fi
  local npm_tarball=$CACHE/npm-$NPM_VERSION.tgz
  if [ ! -f "$npm_tarball" ]; then
    log "npm pack npm@$NPM_VERSION"
    (cd "$CACHE" && npm pack "npm@$NPM_VERSION" --silent >/dev/null) || fail "could not fetch npm@$NPM_VERSION"
  fi
  log "making $tag from the bookworm root and Node $node_version"
  local ctr mnt
  ctr=$(buildah from --pull=never scratch)
  mnt=$(buildah mount "$ctr")
  cp -a "$rootfs/." "$mnt/"
  rm -f "$mnt/.complete"
  install -D -m 0755 "$node_bin" "$mnt/usr/local/bin/node"
  mkdir -p "$mnt/usr/local/include" "$mnt/usr/local/lib/node_modules/npm"
  cp -a "$node_headers" "$mnt/usr/local/include/node"
  tar -xzf "$npm_tarball" -C "$mnt/usr/local/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$mnt/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$mnt/usr/local/bin/npx"
  buildah umount "$ctr" >/dev/null
  # npm_config_nodedir: node-gyp builds against these headers instead of downloading them (no network here).
  buildah config --env NODE_VERSION="$node_version" --env npm_config_nodedir=/usr/local --cmd node "$ctr"
  buildah commit --quiet --rm "$ctr" "$tag" >/dev/null
  echo "$tag"
}

# Build log lines with the seconds since the start, to see which step is slow.
stamp() { while IFS= read -r line; do printf '%4ss %s\n' "$((SECONDS - started))" "$line"; done; }

# --- 2. the image ----------------------------------------------------------------------------------------------
build_image() {
  local base=$1
  # Leftovers of an interrupted build (this storage is the script's own).
  buildah rm --all >/dev/null 2>&1 || true
  log "buildah bud deploy/Dockerfile (log: $CACHE/build.log)"
  # No --layers: on vfs every layer is a full copy of the tree, which costs more than it saves; npm's and
  # apt's downloads are kept by the Dockerfile's cache mounts instead.
  buildah bud --isolation chroot --pull=never -f deploy/Dockerfile --build-arg "NODE_IMAGE=$base" \
    --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 \
    -v /etc/ssl/certs/ca-certificates.crt:/run/host-ca.crt:ro --build-arg NODE_EXTRA_CA_CERTS=/run/host-ca.crt \
    -t "$IMAGE" . 2>&1 | stamp >"$CACHE/build.log" || {
    tail -n 40 "$CACHE/build.log" >&2
    fail "the image did not build (log: $CACHE/build.log)"
  }
  # The previous image, now untagged.
  buildah rmi --prune >/dev/null 2>&1 || true
}

# --- 3. and 4. run and check -----------------------------------------------------------------------------------
# The four containers share the image's root, mounted read-only where the vfs store keeps it: `podman run
# IMAGE` would first copy the whole tree (60,000 files) for each container, a minute apiece on vfs. The image's
# own configuration (user, working directory, environment, entrypoint) is applied as podman would.
image_run_args=()
prepare_run() {
  local rootfs
  rootfs=$(podman image mount "$IMAGE")
  mapfile -d '' -t image_run_args < <(podman image inspect "$IMAGE" --format '{{json .Config}}' | node -e '
    const config = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const args = ["--user", config.User || "0", "--workdir", config.WorkingDir || "/", "--entrypoint", JSON.stringify(config.Entrypoint ?? [])];
    for (const variable of config.Env ?? []) args.push("-e", variable);
    process.stdout.write(args.map((a) => a + "\0").join(""));
  ')
  image_rootfs=$rootfs
  data_dir=$(mktemp -d "${TMPDIR:-/tmp}/crossfade-smoke.XXXXXX")
  chown "${image_user}" "$data_dir"
}

run_service() {
  local service=$1
  shift
  podman run -d --name "$PREFIX-$service" --network host --runtime runc \
    --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 \
    --read-only --tmpfs /tmp:rw,size=64m -v "$data_dir:/var/lib/crossfade:rw" \
    --cap-drop ALL --security-opt no-new-privileges --log-driver k8s-file \
    "${image_run_args[@]}" \
    -e NODE_ENV=production -e HOST=127.0.0.1 -e LOG_LEVEL=info \
    -e OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$OTLP_PORT" -e OTEL_EXPORTER_OTLP_PROTOCOL=http/json \
    -e JWT_SECRET="$jwt_secret" -e GATEWAY_SECRET="$gateway_secret" "$@" \
    --rootfs "$image_rootfs" "$service" >/dev/null
}

wait_for() {
  local name=$1 url=$2 deadline=$((SECONDS + $3))
  until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
    [ "$(podman inspect -f '{{.State.Running}}' "$PREFIX-$name" 2>/dev/null)" = true ] || fail "$name exited before $url answered"
    [ $SECONDS -lt $deadline ] || fail "$url did not answer within $3 s"
    sleep 1
  done
}

# An OTLP/HTTP JSON receiver on the host: one "service trace-id" line per span received.
start_receiver() {
  spans_file=$(mktemp "${TMPDIR:-/tmp}/crossfade-smoke-spans.XXXXXX")
  node -e '
    const [port, file] = process.argv.slice(1);
    require("node:http").createServer((req, res) => {
      const chunks = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        const lines = [];
        for (const rs of JSON.parse(Buffer.concat(chunks).toString() || "{}").resourceSpans ?? []) {
          const service = rs.resource.attributes.find((a) => a.key === "service.name")?.value.stringValue;
          for (const ss of rs.scopeSpans) for (const span of ss.spans) lines.push(`${service} ${span.traceId}\n`);
        }
        require("node:fs").appendFileSync(file, lines.join(""));
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    }).listen(Number(port), "127.0.0.1");
  ' "$OTLP_PORT" "$spans_file" &
  receiver_pid=$!
  until curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$OTLP_PORT/" 2>/dev/null; do sleep 0.2; done
}

HOME_FEED='{ recentPosts(first: 5) { edges { node { id author { handle } attachedTrack { title } replies(first: 1) { edges { node { body } } } } } } }'

main() {
  ensure_tools
  trap on_exit EXIT
  # A signal (timeout's TERM) ends the run as a failure, through the EXIT trap.
  trap 'exit 143' TERM
  trap 'exit 130' INT
  remove_containers
  local base
  base=$(base_image)
  # IMAGE_SMOKE_SKIP_BUILD=1 runs the checks against the image of the previous run (to debug them).
  if [ "${IMAGE_SMOKE_SKIP_BUILD:-0}" = 1 ] && buildah inspect --type image "$IMAGE" >/dev/null 2>&1; then
    log "IMAGE_SMOKE_SKIP_BUILD=1: reusing $IMAGE"
  else
    build_image "$base"
  fi
  image_user=$(buildah inspect --type image -f '{{.OCIv1.Config.User}}' "$IMAGE")
  [ -n "$image_user" ] && [ "${image_user%%:*}" != 0 ] && [ "${image_user%%:*}" != root ] || fail "the image runs as root (USER '$image_user')"
  prepare_run
  # Production dependencies only: the build tooling stayed in the build stage.
  for tool in typescript vitest esbuild tsx; do
    [ ! -e "$image_rootfs/app/node_modules/$tool" ] || fail "the image carries the dev dependency $tool"
  done
  log "image $IMAGE built (user $image_user); starting the services on ports $PORT_BASE.."

  jwt_secret=smoke-jwt-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
  gateway_secret=smoke-gw-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
  start_receiver
  for service in users posts media; do run_service "$service" -e PORT="${PORTS[$service]}"; done
  run_service gateway -e GATEWAY_PORT="${PORTS[gateway]}" -e ADMIN_PORT="$ADMIN_PORT" \
    -e SUBGRAPH_USERS_URL="http://127.0.0.1:${PORTS[users]}/graphql" \
    -e SUBGRAPH_POSTS_URL="http://127.0.0.1:${PORTS[posts]}/graphql" \
    -e SUBGRAPH_MEDIA_URL="http://127.0.0.1:${PORTS[media]}/graphql"

  for service in "${SERVICES[@]}"; do wait_for "$service" "http://127.0.0.1:${PORTS[$service]}/health" 180; done
  log "/health answers on all four"
  for service in "${SERVICES[@]}"; do wait_for "$service" "http://127.0.0.1:${PORTS[$service]}/ready" 60; done
  log "/ready answers on all four"

  local body trace_id
  headers_file=$(mktemp "${TMPDIR:-/tmp}/crossfade-smoke-headers.XXXXXX")
  body=$(curl -fsS --max-time 20 -D "$headers_file" "http://127.0.0.1:${PORTS[gateway]}/graphql" -H 'content-type: application/json' \
    -d "$(node -e 'process.stdout.write(JSON.stringify({ query: process.argv[1] }))' "$HOME_FEED")") || fail "the HomeFeed query failed"
  node -e '
    const result = JSON.parse(process.argv[1]);
    const edges = result.data?.recentPosts?.edges ?? [];
    const problems = [];
    if (result.errors) problems.push(`errors: ${JSON.stringify(result.errors)}`);
    if (edges.length !== 5) problems.push(`${edges.length} posts instead of 5`);
    for (const { node } of edges) {
      if (!node.author?.handle) problems.push(`post ${node.id} without its author (users)`);
      if (!node.replies?.edges?.length) problems.push(`post ${node.id} without a reply (posts)`);
    }
    if (!edges.some(({ node }) => node.attachedTrack?.title)) problems.push("no attached track (media)");
    if (problems.length) { console.error(problems.join("\n")); process.exit(1); }
    console.error(`HomeFeed: ${edges.length} posts, e.g. @${edges[0].node.author.handle}: ${JSON.stringify(edges[0].node.replies.edges[0].node.body)}`);
  ' "$body" || fail "unexpected HomeFeed answer: ${body:0:600}"
  trace_id=$(sed -n 's/^traceresponse: 00-\([0-9a-f]\{32\}\)-.*/\1/ip' "$headers_file")
  [ -n "$trace_id" ] || fail "the HomeFeed answer has no traceresponse header"

  local metrics
  metrics=$(curl -fsS --max-time 5 "http://127.0.0.1:$ADMIN_PORT/metrics") || fail "the gateway's admin port ($ADMIN_PORT) does not answer /metrics"
  grep -q '^crossfade_subgraph_requests_total{' <<<"$metrics" ||
    fail "the gateway's admin port ($ADMIN_PORT) serves no crossfade_subgraph_requests_total"
  log "the gateway's /metrics on its admin port counts the subgraph requests"

  # Kubernetes stops a pod with SIGTERM and kills it after the grace period: each service must exit 0 first.
  local pids=()
  for service in "${SERVICES[@]}"; do
    podman stop -t 10 "$PREFIX-$service" >/dev/null &
    pids+=($!)
  done
  wait "${pids[@]}"
  for service in "${SERVICES[@]}"; do
    local code
    code=$(podman inspect -f '{{.State.ExitCode}}' "$PREFIX-$service")
    [ "$code" = 0 ] || fail "$service did not stop cleanly on SIGTERM (exit code $code)"
  done
  log "all four stopped cleanly on SIGTERM"

  # Their spans were exported by each service's export thread (dist/otel/export-worker.js), flushed at the stop.
  for service in "${SERVICES[@]}"; do
    grep -q "^$service $trace_id\$" "$spans_file" || fail "no span of $service in the HomeFeed trace $trace_id reached the OTLP receiver"
  done
  log "the HomeFeed trace holds spans of all four, exported over OTLP"
}

main "$@"

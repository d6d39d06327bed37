#!/usr/bin/env bash
# Proves the README's set-up where CI cannot: on a fresh Debian root that has only Node.js and npm.
#
# A Debian bookworm minbase root is made with debootstrap (from the mirror this host uses), the
# host's node binary and npm are copied in, and nothing else: no MariaDB, nginx, Chromium, Docker
# or debootstrap. It runs as a container (its own network namespace and loopback, so its MariaDB
# and nginx do not meet this host's). Inside it, a clean copy of the committed tree (git archive
# HEAD, and ../shared if it is there) runs the README's commands:
#
#   npm ci && npm test -- --suites node,cli,spa,spa-browser
#
# so every package those suites need is installed by the project's own set-up, in that root. The
# Docker suite is left out: it needs its own Docker engine, and this machine's runc refuses the
# capabilities a privileged container (Docker in Docker) asks for. Its set-up (docker.io, dockerd,
# debootstrap, the base image) runs on the host instead, which starts without them too.
#
# Usage: scripts/fresh-machine-check.sh [--setup-only]    (as root, with a Docker engine)
#   --setup-only   stop after the set-up (the installs and MariaDB), run no suite
# Output: the whole log in .booking/fresh-machine/<time>.log; the last line is npm test's own
# `N passed, N failed` (or the failing step). Exit status: npm test's.
# Network: the container reaches the npm registry and the Debian mirror (set-up, like npm ci on any
# machine); its tests talk to its own loopback and its own containers only.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SUITE=bookworm
TEST_ARGS=(-- --suites node,cli,spa,spa-browser)
[[ "${1:-}" == "--setup-only" ]] && TEST_ARGS+=(--setup-only)

log() { printf '[fresh-machine] %s\n' "$*" >&2; }
die() { printf '[fresh-machine] error: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "debootstrap needs root: sudo $0"
node "$ROOT/scripts/setup.mjs" docker || die "no Docker engine: node scripts/setup.mjs docker"
command -v debootstrap >/dev/null || {
  DEBIAN_FRONTEND=noninteractive apt-get install -y debootstrap >&2 ||
    die "could not install debootstrap: apt-get update && apt-get install -y debootstrap"
}

NODE_BIN="$(readlink -f "$(command -v node)")"
NPM_DIR="$(readlink -f "$(dirname "$(readlink -f "$(command -v npm)")")/..")"
[[ -f "$NPM_DIR/bin/npm-cli.js" ]] || die "npm not found beside node (looked in $NPM_DIR)"
NODE_VERSION="$("$NODE_BIN" --version)"
NPM_VERSION="$("$NODE_BIN" "$NPM_DIR/bin/npm-cli.js" --version)"
TAG="$({ cat "${BASH_SOURCE[0]}"; printf '%s\n%s\n' "$NODE_VERSION" "$NPM_VERSION"; } | sha256sum | cut -c1-12)"
IMAGE="booking-fresh:$TAG"

MIRROR="$(awk '/^URIs:/ { print $2; exit } /^deb / { print $2; exit }' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null || true)"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"

if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
  WORK="$(mktemp -d /var/tmp/booking-fresh.XXXXXX)"
  trap 'rm -rf --one-file-system "$WORK"' EXIT
  log "debootstrap --variant=minbase $SUITE from $MIRROR (a few minutes)"
  debootstrap --variant=minbase "$SUITE" "$WORK/rootfs" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
    { tail -n 20 "$WORK/debootstrap.log" >&2; die "debootstrap failed"; }
  echo "deb $MIRROR $SUITE main" >"$WORK/rootfs/etc/apt/sources.list"
  # Node.js and npm, as a user who installed them from nodejs.org would have them; nothing else.
  install -m 0755 "$NODE_BIN" "$WORK/rootfs/usr/local/bin/node"
  mkdir -p "$WORK/rootfs/usr/local/lib/node_modules"
  cp -a "$NPM_DIR" "$WORK/rootfs/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$WORK/rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$WORK/rootfs/usr/local/bin/npx"
  # This network's trust settings, which any machine here needs to reach the npm registry: the
  # host's CA bundle, its local CAs (kept when a package reruns update-ca-certificates) and
  # npm's cafile. No other host configuration goes in.
  mkdir -p "$WORK/rootfs/etc/ssl/certs" "$WORK/rootfs/usr/local/share/ca-certificates" "$WORK/rootfs/usr/local/etc"
  [[ -r /etc/ssl/certs/ca-certificates.crt ]] && cp /etc/ssl/certs/ca-certificates.crt "$WORK/rootfs/etc/ssl/certs/"
  cp /usr/local/share/ca-certificates/*.crt "$WORK/rootfs/usr/local/share/ca-certificates/" 2>/dev/null || true
  echo 'cafile=/etc/ssl/certs/ca-certificates.crt' >"$WORK/rootfs/usr/local/etc/npmrc"
  rm -rf "$WORK/rootfs"/var/lib/apt/lists/* "$WORK/rootfs"/var/cache/apt/*.bin
  log "importing $IMAGE"
  tar --numeric-owner -C "$WORK/rootfs" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
    --change 'CMD ["/bin/bash"]' - "$IMAGE" >/dev/null
fi

OUT="$ROOT/.booking/fresh-machine"
mkdir -p "$OUT"
LOGFILE="$OUT/$(date -u +%Y%m%dT%H%M%SZ).log"
NAME="booking-fresh-check-$$"
cleanup_container() { docker rm -f "$NAME" >/dev/null 2>&1 || true; }
trap cleanup_container EXIT

log "running npm ci && npm test ${TEST_ARGS[*]} in a fresh $IMAGE (log: $LOGFILE)"
{
  echo "commit $(git -C "$ROOT" rev-parse HEAD), node $NODE_VERSION, npm $NPM_VERSION, image $IMAGE"
  echo "started $(date -u +%FT%TZ)"
} >"$LOGFILE"
# The tree as committed, in the layout CI uses: main/ with shared/ beside it.
STAGE="$(mktemp -d /var/tmp/booking-fresh-src.XXXXXX)"
mkdir -p "$STAGE/main"
git -C "$ROOT" archive HEAD | tar -x -C "$STAGE/main"
[[ -d "$ROOT/../shared" ]] && cp -a "$ROOT/../shared" "$STAGE/shared"
status=0
tar -C "$STAGE" -c . | docker run -i --name "$NAME" \
  "$IMAGE" bash -c "mkdir -p /work && tar -x -C /work && cd /work/main && npm ci --no-audit --no-fund && npm test ${TEST_ARGS[*]}" \
  >>"$LOGFILE" 2>&1 || status=$?
rm -rf --one-file-system "$STAGE"
echo "ended $(date -u +%FT%TZ), exit $status" >>"$LOGFILE"
grep -E '^[0-9]+ passed, [0-9]+ failed$' "$LOGFILE" | tail -n 1 || tail -n 5 "$LOGFILE"
exit "$status"

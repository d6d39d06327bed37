#!/usr/bin/env bash
# Builds the offline base image `booking-base:<tag>` from Debian packages only, for machines that
# can reach Debian's archive but no container registry. Contents: Debian bookworm minbase,
# nginx-light, mariadb-server, ca-certificates, tini, and the host's own Node.js binary (Debian's
# nodejs is too old for the booking node, and a registry image is exactly what we cannot fetch).
#
# Usage: docker/build-base-image.sh            build if missing; last stdout line is the image ref
#        docker/build-base-image.sh --print-ref print the image ref it would build, build nothing
#        docker/build-base-image.sh --force     rebuild even if the image exists
# Env:   BOOKING_DEBIAN_MIRROR  override the mirror (default: the first one in /etc/apt/sources.list*)
#        BOOKING_NODE_BIN       Node.js binary to copy in (default: `command -v node`)
# Progress goes to stderr so callers can take the ref from stdout.
set -euo pipefail

SUITE=bookworm
PACKAGES=(nginx-light mariadb-server mariadb-client ca-certificates tini)
SCRIPT_PATH="$(readlink -f "${BASH_SOURCE[0]}")"

log() { printf '[base-image] %s\n' "$*" >&2; }
die() { printf '[base-image] error: %s\n' "$*" >&2; exit 1; }

# run_logged LOG CMD...: runs CMD with its output in LOG and, every few seconds, shows the latest
# line of LOG (debootstrap and apt are quiet for minutes otherwise). On failure: the log's tail.
run_logged() {
  local logfile="$1" pid last="" line status
  shift
  "$@" >"$logfile" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 5
    line="$(tail -n 1 "$logfile" 2>/dev/null | cut -c1-100 || true)"
    if [[ -n "$line" && "$line" != "$last" ]]; then
      log "  $((SECONDS - START))s: $line"
      last="$line"
    fi
  done
  status=0
  wait "$pid" || status=$?
  if [[ $status -ne 0 ]]; then
    tail -n 30 "$logfile" >&2
    return "$status"
  fi
}

NODE_BIN="${BOOKING_NODE_BIN:-$(command -v node || true)}"
[[ -n "$NODE_BIN" && -x "$NODE_BIN" ]] || die "no node binary found (install Node.js 20+ or set BOOKING_NODE_BIN)"
NODE_BIN="$(readlink -f "$NODE_BIN")"
NODE_VERSION="$("$NODE_BIN" --version)"
ARCH="$(dpkg --print-architecture)"

# The tag changes whenever this script, the Node.js version or the architecture does, so a stale
# image is never reused and an unchanged one is never rebuilt.
TAG="$({ cat "$SCRIPT_PATH"; printf '%s\n%s\n' "$NODE_VERSION" "$ARCH"; } | sha256sum | cut -c1-12)"
IMAGE="booking-base:$TAG"

if [[ "${1:-}" == "--print-ref" ]]; then
  echo "$IMAGE"
  exit 0
fi
FORCE=0
[[ "${1:-}" == "--force" ]] && FORCE=1

command -v docker >/dev/null || die "docker CLI missing: apt-get install -y docker.io"
docker info >/dev/null 2>&1 || die "the Docker engine does not answer (start dockerd first)"

if [[ $FORCE -eq 0 ]] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  log "$IMAGE already exists, nothing to do (--force rebuilds it)"
  echo "$IMAGE"
  exit 0
fi

[[ $(id -u) -eq 0 ]] || die "debootstrap and chroot need root: run as root (sudo $0)"
if ! command -v debootstrap >/dev/null; then
  log "installing debootstrap"
  { DEBIAN_FRONTEND=noninteractive apt-get install -y debootstrap >&2 ||
    { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y debootstrap >&2; }; } ||
    die "could not install debootstrap: run apt-get update && apt-get install -y debootstrap"
fi

# The mirror the host already uses: reachable here by definition, unlike any default we could pick.
find_mirror() {
  local f line
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [[ -r "$f" ]] || continue
    if [[ "$f" == *.sources ]]; then
      # deb822: take URIs from a stanza whose Suites mention bookworm.
      awk -v suite="$SUITE" '
        /^[[:space:]]*$/ { if (uri != "" && ok) { print uri; exit } uri=""; ok=0; next }
        /^URIs:/ { uri=$2 }
        /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) ok=1 }
        END { if (uri != "" && ok) print uri }' "$f"
    else
      while read -r line; do
        # shellcheck disable=SC2086
        set -- $line
        [[ "${1:-}" == "deb" ]] || continue
        shift
        [[ "${1:-}" == \[* ]] && while [[ "$1" != *\] ]]; do shift; done && shift
        [[ "${2:-}" == "$SUITE" ]] && echo "$1"
      done <"$f"
    fi
  done | grep -v -e security -e nodesource | head -n1
}
MIRROR="${BOOKING_DEBIAN_MIRROR:-$(find_mirror || true)}"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"

WORK="$(mktemp -d /var/tmp/booking-base.XXXXXX)"
ROOTFS="$WORK/rootfs"
cleanup() {
  # Unmount before deleting: rm -rf through a live /proc or /dev bind would be a disaster.
  for m in dev/pts dev proc sys; do
    mountpoint -q "$ROOTFS/$m" 2>/dev/null && umount -l "$ROOTFS/$m" || true
  done
  rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT

START=$SECONDS
log "building $IMAGE (Debian $SUITE from $MIRROR, Node.js $NODE_VERSION from $NODE_BIN)"
log "debootstrap --variant=minbase $SUITE (a few minutes)"
run_logged "$WORK/debootstrap.log" debootstrap --variant=minbase --arch="$ARCH" "$SUITE" "$ROOTFS" "$MIRROR" ||
  die "debootstrap failed"
log "debootstrap done after $((SECONDS - START))s"

# Daemons must not start inside the build chroot; the container entrypoints start them.
printf '#!/bin/sh\nexit 101\n' >"$ROOTFS/usr/sbin/policy-rc.d"
chmod +x "$ROOTFS/usr/sbin/policy-rc.d"
cat >"$ROOTFS/etc/apt/apt.conf.d/90booking" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Retries "3";
EOF
# Keep the image small: no docs, man pages or translations.
cat >"$ROOTFS/etc/dpkg/dpkg.cfg.d/90booking-nodoc" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
echo "deb $MIRROR $SUITE main" >"$ROOTFS/etc/apt/sources.list"
cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
mount -t proc proc "$ROOTFS/proc"
mount --bind /dev "$ROOTFS/dev"

log "apt-get install ${PACKAGES[*]}"
run_logged "$WORK/apt.log" chroot "$ROOTFS" env DEBIAN_FRONTEND=noninteractive LC_ALL=C bash -c \
  "apt-get update && apt-get install -y ${PACKAGES[*]}" ||
  die "apt-get install in the chroot failed"
log "packages installed after $((SECONDS - START))s"

umount "$ROOTFS/dev" "$ROOTFS/proc"
chroot "$ROOTFS" apt-get clean
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*.bin "$ROOTFS"/var/log/*.log \
  "$ROOTFS"/var/log/apt/* "$ROOTFS/usr/sbin/policy-rc.d" "$ROOTFS"/tmp/*
# The package's datadir holds a database initialised at build time with this machine's hostname;
# the MySQL entrypoint initialises its own on first start instead.
rm -rf "$ROOTFS"/var/lib/mysql/*
: >"$ROOTFS/etc/resolv.conf"
echo booking >"$ROOTFS/etc/hostname"

install -m 0755 "$NODE_BIN" "$ROOTFS/usr/local/bin/node"
chroot "$ROOTFS" /usr/local/bin/node --version >/dev/null || die "the copied node binary does not run in the image"

log "importing into Docker"
tar --numeric-owner -C "$ROOTFS" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change "LABEL booking.base=$TAG booking.node-version=$NODE_VERSION" \
  --change 'CMD ["/bin/bash"]' \
  - "$IMAGE" >/dev/null
# A stable alias for people typing commands by hand; tools use the content-addressed tag.
docker tag "$IMAGE" "booking-base:$SUITE"
log "built $IMAGE in $((SECONDS - START))s ($(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%d MB", $1/1e6}'))"
echo "$IMAGE"

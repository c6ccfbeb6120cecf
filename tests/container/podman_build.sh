#!/usr/bin/env bash
# tests/container/podman_build.sh - build docker/Dockerfile with podman on a
# Debian 12 machine that has no Docker engine and no reachable registry.
#
#   bash tests/container/podman_build.sh IMAGE [PODMAN BUILD ARGS...]
#   export CONTAINERS_CONF=/var/tmp/container-work/containers.conf   (podman by hand)
#
# What it does, each step skipped when already done:
#   1. installs podman and friends from Debian (bash .ci/deps container);
#   2. writes $WORKDIR/containers.conf with what podman needs on these
#      machines (below), and uses it (CONTAINERS_CONF);
#   3. makes the base image debian:bookworm-slim when podman has none: a
#      `debootstrap --variant=minbase` of bookworm from this machine's Debian
#      mirror, trimmed as the official slim image is, imported and tagged, and
#      saved to $WORKDIR so that the next machine state loads it in seconds;
#   4. podman build --pull=never --format docker -f docker/Dockerfile, the
#      context being the repository.
#
# The settings of step 2, and why:
#   default_ulimits nofile  podman asks for 1048576 open files, above this
#                           machine's hard limit, and root lacks CAP_SYS_RESOURCE
#                           ("setrlimit RLIMIT_NOFILE: Operation not permitted")
#   default_ulimits nproc   podman caps its own process limit at 32768: a
#                           container cannot ask for more
#   runtime = "runc"        crun refuses the hybrid cgroup v1/v2 layout here
#   cgroup_manager, events_logger   no systemd and no journald here
# --pull=never: a registry lookup can only fail. --format docker: podman's
# default OCI format has no HEALTHCHECK and would drop ours.
#
# Environment (all optional):
#   WORKDIR         containers.conf, the saved base image, debootstrap's cache
#                   (default /var/tmp/container-work)
#   MIRROR          Debian mirror for debootstrap (default: this machine's, from
#                   its apt sources)
#   NETWORK         network of the RUN steps (default host)
#   STORAGE_DRIVER, STORAGE_ROOT   another podman store (--storage-driver;
#                   --root $STORAGE_ROOT/root --runroot $STORAGE_ROOT/run)
# Exit status: 0 built, 1 failed (the step is named on stderr).
set -euo pipefail

[ $# -ge 1 ] || {
    sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}
image=$1
shift
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
workdir=${WORKDIR:-/var/tmp/container-work}
network=${NETWORK:-host}
base=docker.io/library/debian:bookworm-slim
base_tar=$workdir/debian-bookworm-slim.tar

note() { printf '[podman_build %3ds] %s\n' "$SECONDS" "$*" >&2; }
fail() {
    note "FAILED: $*"
    exit 1
}

podman_cmd=(podman)
[ -n "${STORAGE_DRIVER:-}" ] && podman_cmd+=(--storage-driver "$STORAGE_DRIVER")
[ -n "${STORAGE_ROOT:-}" ] &&
    podman_cmd+=(--root "$STORAGE_ROOT/root" --runroot "$STORAGE_ROOT/run")
pm() { "${podman_cmd[@]}" "$@"; }

# ------------------------------------------------------------------ 1. tools
bash "$repo/.ci/deps" container || fail "installing podman (bash .ci/deps container)"

# ------------------------------------------------------------------ 2. config
mkdir -p "$workdir"
nofile=$(ulimit -Hn)
[ "$nofile" = unlimited ] && nofile=1048576
nproc=$(ulimit -Hu)
if [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; then nproc=32768; fi
conf=$workdir/containers.conf
cat >"$conf.tmp" <<EOF
# written by pcapchart's tests/container/podman_build.sh
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
mv "$conf.tmp" "$conf"
export CONTAINERS_CONF=$conf

# ------------------------------------------------------------------ 3. base image
debian_mirror() {
    local m=
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        m=$(awk '$1 == "URIs:" && $2 !~ /security/ { print $2; exit }' \
            /etc/apt/sources.list.d/debian.sources)
    fi
    if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
        m=$(awk '$1 == "deb" && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list)
    fi
    echo "${m:-http://deb.debian.org/debian}"
}

# A minbase bookworm in $1, shaped like the official slim image: no docs but
# the copyright files, no man pages or locales, no apt lists or caches, the
# container's runtime files (/dev, /proc, resolv.conf, ...) left to podman.
make_rootfs() {
    local root=$1 mirror
    mirror=${MIRROR:-$(debian_mirror)}
    note "debootstrap --variant=minbase bookworm from $mirror (a few minutes)"
    mkdir -p "$workdir/debootstrap-cache"
    if ! debootstrap --variant=minbase --cache-dir="$workdir/debootstrap-cache" \
        bookworm "$root" "$mirror" >"$workdir/debootstrap.log" 2>&1; then
        tail -20 "$workdir/debootstrap.log" >&2
        return 1
    fi
    # the image's apt reads the same sources as this machine
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
        rm -f "$root/etc/apt/sources.list"
    fi
    # no service starts inside a build
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
    chmod 0755 "$root/usr/sbin/policy-rc.d"
    cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
    echo 'Acquire::Languages "none";' >"$root/etc/apt/apt.conf.d/docker-no-languages"
    # packages installed later leave their docs out too
    {
        for d in doc man groff info lintian linda locale; do
            echo "path-exclude /usr/share/$d/*"
        done
        echo "path-include /usr/share/doc/*/copyright"
    } >"$root/etc/dpkg/dpkg.cfg.d/docker"
    find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete || true
    find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete || true
    for d in man groff info lintian locale; do rm -rf "${root:?}/usr/share/$d/"*; done
    rm -rf "${root:?}"/var/lib/apt/lists/* "${root:?}"/var/cache/apt/*.bin \
        "${root:?}"/var/cache/apt/archives/*.deb "${root:?}"/var/log/apt/* \
        "${root:?}"/var/log/*.log "${root:?}"/var/cache/debconf/*-old "${root:?}"/var/lib/dpkg/*-old
    rm -rf "${root:?}"/dev/* "${root:?}"/proc/* "${root:?}"/sys/* "${root:?}"/run/* "${root:?}"/tmp/*
    : >"$root/etc/resolv.conf"
    : >"$root/etc/hostname"
    : >"$root/etc/machine-id"
}

make_base() {
    local root
    if [ -s "$base_tar" ]; then
        note "loading the saved base image $base_tar"
        pm load -q -i "$base_tar" >&2 && pm image exists "$base" && return 0
        note "the saved base image does not load: making it again"
    fi
    root=$(mktemp -d "$workdir/rootfs.XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$root'" EXIT
    make_rootfs "$root" || return 1
    note "importing the root file system ($(du -sh "$root" | cut -f1)) as $base"
    tar --numeric-owner --xattrs -C "$root" -c . |
        pm import --change 'CMD ["bash"]' \
            --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            - "$base" >/dev/null || return 1
    rm -rf "$root"
    trap - EXIT
    pm tag "$base" docker.io/library/debian:12-slim
    pm save -o "$base_tar.tmp" "$base" >&2 && mv "$base_tar.tmp" "$base_tar"
}

# one maker at a time: two builds started together wait for the one base image
exec 9>"$workdir/base.lock"
flock 9
if pm image exists "$base"; then
    note "base image $base present"
else
    make_base || fail "making the base image $base (log: $workdir/debootstrap.log)"
    note "base image ready: $(pm image inspect --format '{{.Size}} bytes' "$base")"
fi
flock -u 9

# ------------------------------------------------------------------ 4. build
note "podman build -t $image -f docker/Dockerfile $repo $*"
pm build --pull=never --format docker --network="$network" \
    -f "$repo/docker/Dockerfile" -t "$image" "$@" "$repo" >&2 || fail "podman build"
note "built $image: $(pm image inspect --format '{{.Size}} bytes' "$image")"

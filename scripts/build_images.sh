#!/usr/bin/env bash
# Build the local Docker images bgtasks needs. No image registry is reachable, so everything is
# built here: a static busybox base, a Debian + Python 3.11 base, the example tasks, the test tools.
#
# Each image carries the label org.bgtasks.build-hash, a hash of its build inputs (its folder under
# images/, the files taken from the host, pinned versions, the parent image's id). An image is built
# only when missing or when that hash changed; --force rebuilds every image.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

BUILD_DIR=$PWD/.build
HASH_LABEL=org.bgtasks.build-hash
DEBIAN_SUITE=bookworm
DEBIAN_MIRROR=${BGTASKS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
PIP_IN_IMAGES=25.3   # the pip that installs wheels inside image builds (run from its wheel)
BUSYBOX_BIN=/bin/busybox
PYTHON=${BGTASKS_PYTHON:-python3}   # a host Python 3.11: reads uv.lock, downloads wheels

# Debian's docker.io 20.10 ships no buildx; the classic builder works with any docker client.
export DOCKER_BUILDKIT=0

FORCE=false
case "${1:-}" in
    --force) FORCE=true ;;
    "") ;;
    *) die "usage: scripts/build_images.sh [--force]" ;;
esac

# Labels for one image: kind is base, example or test. Both booleans are always set, because a
# child image inherits its parent's labels.
labels_for() {
    local kind=$1
    local base=false example=false
    case $kind in
        base | test) base=true ;;
        example) example=true ;;
    esac
    printf '%s\n' "org.bgtasks.base=$base" "org.bgtasks.example=$example"
    if [ "$kind" = test ]; then echo org.bgtasks.test=true; fi
}

image_label() {  # NAME LABEL -> the label's value, empty when the image or the label is missing
    docker image inspect -f "{{index .Config.Labels \"$2\"}}" "$1" 2>/dev/null || true
}

image_id() {
    docker image inspect -f '{{.Id}}' "$1" 2>/dev/null || die "image $1 is missing"
}

# True when NAME exists with build hash HASH (and --force was not given); says so.
up_to_date() {
    local name=$1 hash=$2 current
    $FORCE && return 1
    current=$(image_label "$name" "$HASH_LABEL")
    if [ "$current" = "$hash" ]; then
        say "$name is up to date"
        return 0
    fi
    if [ -n "$current" ]; then say "$name: build inputs changed, rebuilding"; fi
    return 1
}

# After NAME was rebuilt, remove the image it replaced (OLD_ID), unless a container still uses it.
drop_replaced() {
    local name=$1 old_id=$2
    [ -n "$old_id" ] || return 0
    [ "$old_id" != "$(image_id "$name")" ] || return 0
    docker rmi "$old_id" >/dev/null 2>&1 || say "kept the previous $name ($old_id): still in use"
}

# A fresh, empty staging folder for one image's build context.
fresh_context() {
    local dir=$BUILD_DIR/context/$1
    rm -rf "$dir"
    mkdir -p "$dir"
    echo "$dir"
}

# docker build CONTEXT into NAME with KIND labels and build hash HASH; output goes to a log.
docker_build() {
    local name=$1 kind=$2 hash=$3 context=$4 log start label args=() old_id
    old_id=$(docker image inspect -f '{{.Id}}' "$name" 2>/dev/null || true)
    log=$BUILD_DIR/logs/build-${name//[\/:]/_}.log
    mkdir -p "$BUILD_DIR/logs"
    while read -r label; do args+=(--label "$label"); done < <(labels_for "$kind")
    say "building $name"
    start=$SECONDS
    if ! docker build --pull=false --force-rm "${args[@]}" --label "$HASH_LABEL=$hash" \
        --tag "$name" "$context" >"$log" 2>&1; then
        tail -n 5 "$log" >&2
        die "building $name failed (full log: $log)"
    fi
    # A multi-stage build leaves its earlier stages as untagged images: drop ours, nobody else's.
    docker image prune --force --filter label=org.bgtasks.build-stage=true >/dev/null
    drop_replaced "$name" "$old_id"
    say "built $name in $((SECONDS - start))s"
}

# The version of a package pinned in uv.lock.
locked_version() {
    "$PYTHON" - "$1" <<'PY'
import sys, tomllib
with open("uv.lock", "rb") as f:
    lock = tomllib.load(f)
versions = [p["version"] for p in lock.get("package", []) if p["name"] == sys.argv[1]]
if not versions:
    sys.exit(f"{sys.argv[1]} is not in uv.lock")
print(versions[0])
PY
}

build_busybox() {
    local name=bgtasks/busybox:1.35 hash ctx applet
    [ -x "$BUSYBOX_BIN" ] || die "$BUSYBOX_BIN is missing: install Debian's busybox-static"
    hash=$(content_hash images/busybox "$BUSYBOX_BIN" -- recipe=1)
    up_to_date "$name" "$hash" && return 0
    ctx=$(fresh_context busybox)
    cp -a images/busybox/. "$ctx/"
    mkdir -p "$ctx/rootfs"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,root,tmp}
    chmod 1777 "$ctx/rootfs/tmp"
    chmod 700 "$ctx/rootfs/root"
    cp "$BUSYBOX_BIN" "$ctx/rootfs/bin/busybox"
    # One symlink per applet at its usual place (/bin/sh, /usr/bin/env, ...).
    while read -r applet; do
        [ "$applet" = bin/busybox ] || ln -sf /bin/busybox "$ctx/rootfs/$applet"
    done < <("$BUSYBOX_BIN" --list-full)
    docker_build "$name" base "$hash" "$ctx"
}

build_python() {
    local name=bgtasks/python:3.11 hash rootfs include log start old_id
    hash=$(content_hash images/python -- "suite=$DEBIAN_SUITE" variant=minbase recipe=1)
    up_to_date "$name" "$hash" && return 0
    command -v debootstrap >/dev/null || die "debootstrap is missing: install Debian's debootstrap"
    old_id=$(docker image inspect -f '{{.Id}}' "$name" 2>/dev/null || true)
    rootfs=$BUILD_DIR/python-rootfs
    log=$BUILD_DIR/logs/build-bgtasks_python_3.11.log
    mkdir -p "$BUILD_DIR/logs"
    include=$(grep -v '^#' images/python/packages | paste -sd, -)
    say "building $name: debootstrap $DEBIAN_SUITE from $DEBIAN_MIRROR (about a minute)"
    start=$SECONDS
    as_root rm -rf "$rootfs"
    if ! as_root debootstrap --variant=minbase --include="$include" "$DEBIAN_SUITE" "$rootfs" \
        "$DEBIAN_MIRROR" >"$log" 2>&1; then
        tail -n 5 "$log" >&2
        die "debootstrap failed (full log: $log)"
    fi
    as_root images/python/slim.sh "$rootfs"
    local changes=() label
    while read -r label; do changes+=(--change "LABEL $label"); done < <(labels_for base)
    # shellcheck disable=SC2016  # $PATH is written literally into the image
    if ! as_root tar -C "$rootfs" --numeric-owner -cf - . | docker import \
        "${changes[@]}" --change "LABEL $HASH_LABEL=$hash" \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8 PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1' \
        --change 'CMD ["python3"]' \
        --message "Debian $DEBIAN_SUITE minbase + $include" - "$name" >>"$log" 2>&1; then
        tail -n 5 "$log" >&2
        die "docker import of $name failed (full log: $log)"
    fi
    as_root rm -rf "$rootfs"
    drop_replaced "$name" "$old_id"
    say "built $name in $((SECONDS - start))s"
}

build_example_hello() {
    local name=bgtasks/example-hello:1 hash ctx
    hash=$(content_hash images/example-hello -- "parent=$(image_id bgtasks/busybox:1.35)")
    up_to_date "$name" "$hash" && return 0
    ctx=$(fresh_context example-hello)
    cp -a images/example-hello/. "$ctx/"
    docker_build "$name" example "$hash" "$ctx"
}

build_test_tools() {
    local name=bgtasks/test-tools:1 hash ctx
    hash=$(content_hash images/test-tools -- "parent=$(image_id bgtasks/busybox:1.35)")
    up_to_date "$name" "$hash" && return 0
    ctx=$(fresh_context test-tools)
    cp -a images/test-tools/. "$ctx/"
    docker_build "$name" test "$hash" "$ctx"
}

build_example_csv_to_parquet() {
    local name=bgtasks/example-csv-to-parquet:1 hash ctx pyarrow pip_python log
    pyarrow=$(locked_version pyarrow) || die "cannot read the pyarrow version from uv.lock"
    hash=$(content_hash images/example-csv-to-parquet -- "parent=$(image_id bgtasks/python:3.11)" \
        "pyarrow=$pyarrow" "pip=$PIP_IN_IMAGES" "arch=$(uname -m)")
    up_to_date "$name" "$hash" && return 0
    ctx=$(fresh_context example-csv-to-parquet)
    cp -a images/example-csv-to-parquet/. "$ctx/"
    mkdir -p "$ctx/wheels"
    printf 'pyarrow==%s\n' "$pyarrow" >"$ctx/wheels/requirements.txt"
    # Wheels for the image's Python (Debian bookworm: CPython 3.11, glibc 2.36), fetched on the host.
    pip_python=$PYTHON
    if [ -x .tools/bin/python ]; then pip_python=.tools/bin/python; fi
    log=$BUILD_DIR/logs/wheels-example-csv-to-parquet.log
    say "downloading wheels for $name: pyarrow==$pyarrow pip==$PIP_IN_IMAGES"
    # pip does not widen --platform to older glibc tags by itself: name each one bookworm can run.
    local platforms=() glibc
    for glibc in $(seq 36 -1 17); do platforms+=(--platform "manylinux_2_${glibc}_$(uname -m)"); done
    if ! "$pip_python" -m pip download --quiet --disable-pip-version-check --only-binary=:all: \
        --python-version 3.11 --implementation cp --abi cp311 "${platforms[@]}" \
        --dest "$ctx/wheels" --requirement "$ctx/wheels/requirements.txt" "pip==$PIP_IN_IMAGES" \
        >"$log" 2>&1; then
        tail -n 5 "$log" >&2
        die "downloading wheels for $name failed (full log: $log)"
    fi
    docker_build "$name" example "$hash" "$ctx"
}

docker version -f '{{.Server.Version}}' >/dev/null 2>&1 \
    || die "Docker Engine does not answer (docker version): run scripts/setup.sh"

build_busybox
build_python
build_example_hello
build_test_tools
build_example_csv_to_parquet
rm -rf "$BUILD_DIR/context"

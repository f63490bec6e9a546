#!/usr/bin/env bash
# Set up everything `make run` needs on this machine, doing only what is missing:
# Debian packages, a running Docker Engine, the Python environment (.venv), the local images,
# and the bgtasks instance with its example tasks.
#
# Environment: BGTASKS_PYTHON (default python3, must be 3.11), DOCKER_HOST (an engine elsewhere:
# then no local dockerd is started), DAGSTER_HOME (default ./var), BGTASKS_DEBIAN_MIRROR.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

UV_VERSION=0.13.9
PYTHON=${BGTASKS_PYTHON:-python3}
DOCKERD_LOG=/var/log/dockerd.log
DOCKERD_WAIT_SECONDS=30
export DAGSTER_HOME=${DAGSTER_HOME:-$PWD/var}
started=$SECONDS

engine_answers() { docker version -f '{{.Server.Version}}' >/dev/null 2>&1; }

have_dockerd() { command -v dockerd >/dev/null || [ -x /usr/sbin/dockerd ]; }

python_is_311() {
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null
}

install_packages() {
    # gcc and expat.h build the C record parser (scripts/build_native.sh).
    local wanted=(busybox-static debootstrap gcc libexpat1-dev)
    # An engine that already answers is respected, whatever installed it (docker.io, docker-ce).
    if ! engine_answers && { ! have_dockerd || ! command -v docker >/dev/null; }; then
        wanted+=(docker.io)
    fi
    if ! command -v "$PYTHON" >/dev/null; then wanted+=(python3 python3-venv); fi
    ensure_packages "${wanted[@]}"
    # Debian's python3 has no ensurepip (so no `python3 -m venv`) without python3-venv.
    if ! "$PYTHON" -c 'import ensurepip' 2>/dev/null; then ensure_packages python3-venv; fi
    python_is_311 || die "$PYTHON is not Python 3.11 ($("$PYTHON" --version 2>&1)): set BGTASKS_PYTHON"
    # Debian's python3 has its headers (Python.h) in python3-dev; other builds ship them.
    if ! python_has_headers; then ensure_packages python3-dev; fi
}

python_has_headers() {
    "$PYTHON" -c 'import os, sys, sysconfig
sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' 2>/dev/null
}

start_docker_engine() {
    local err pid i
    if engine_answers; then
        say "Docker Engine $(docker version -f '{{.Server.Version}}') answers"
        return 0
    fi
    err=$(docker version 2>&1 >/dev/null | tail -n 1 || true)
    if [ -n "${DOCKER_HOST:-}" ]; then
        die "the Docker Engine at DOCKER_HOST=$DOCKER_HOST does not answer: $err"
    fi
    case $err in
        *"permission denied"*) die "the Docker Engine refuses you ($err): run as root or join the docker group" ;;
    esac
    have_dockerd || die "dockerd is not installed (Debian package docker.io)"
    # A dockerd that is still starting keeps its pid file; one that was killed leaves it behind.
    pid=$(cat /var/run/docker.pid 2>/dev/null || true)
    if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]; then
        say "dockerd (pid $pid) is running: waiting for it to answer"
    else
        say "starting dockerd in the background (log: $DOCKERD_LOG)"
        as_root rm -f /var/run/docker.pid
        # setsid: the engine outlives this script and the make that ran it.
        # shellcheck disable=SC2016  # $1 is expanded by the inner sh, as root
        as_root sh -c 'exec setsid -f dockerd >>"$1" 2>&1 </dev/null' sh "$DOCKERD_LOG"
    fi
    for ((i = 0; i < DOCKERD_WAIT_SECONDS * 5; i++)); do
        if engine_answers; then
            say "Docker Engine $(docker version -f '{{.Server.Version}}') answers after $((i / 5))s"
            return 0
        fi
        sleep 0.2
    done
    as_root tail -n 5 "$DOCKERD_LOG" >&2 || true
    die "dockerd did not answer within ${DOCKERD_WAIT_SECONDS}s (log: $DOCKERD_LOG)"
}

python_environment() {
    local stamp=.venv/.bgtasks-synced want have start
    if [ "$(.tools/bin/uv --version 2>/dev/null | cut -d' ' -f2)" != "$UV_VERSION" ]; then
        say "installing uv $UV_VERSION into .tools/"
        rm -rf .tools
        "$PYTHON" -m venv .tools || die "$PYTHON -m venv .tools failed"
        mkdir -p "$BGTASKS_LOG_DIR"
        .tools/bin/python -m pip install --disable-pip-version-check "uv==$UV_VERSION" \
            >"$BGTASKS_LOG_DIR/uv-install.log" 2>&1 \
            || die "pip install uv==$UV_VERSION failed (log: $BGTASKS_LOG_DIR/uv-install.log)"
    fi
    # .venv is current when uv.lock, pyproject.toml, uv and the interpreter are those of the last sync.
    want=$(content_hash uv.lock pyproject.toml -- "uv=$UV_VERSION" \
        "python=$("$PYTHON" -c 'import sys; print(sys.executable, sys.version)')")
    have=$(cat "$stamp" 2>/dev/null || true)
    if [ "$want" = "$have" ] && [ -x .venv/bin/python ]; then
        say ".venv is up to date with uv.lock"
        return 0
    fi
    say "creating .venv from uv.lock (uv sync --frozen)"
    start=$SECONDS
    UV_PYTHON_DOWNLOADS=never .tools/bin/uv sync --frozen --quiet --python "$(command -v "$PYTHON")" \
        || die "uv sync --frozen failed"
    echo "$want" >"$stamp"
    say "created .venv in $((SECONDS - start))s"
}

# `bgtasks init --examples` migrates the database and registers the example tasks. Until the CLI
# has that command, say so and go on; once it exists, its failure fails the set-up.
init_instance() {
    local out rc=0
    if [ ! -x .venv/bin/bgtasks ]; then
        say "skipping 'bgtasks init --examples': .venv/bin/bgtasks does not exist yet"
        return 0
    fi
    say "bgtasks init --examples (DAGSTER_HOME=$DAGSTER_HOME)"
    out=$(.venv/bin/bgtasks init --examples 2>&1) || rc=$?
    if [ "$rc" -ne 0 ] && grep -qE "No module named 'bgtasks\.cli'|cannot import name 'main' from 'bgtasks\.cli'|No such command '?init'?|invalid choice: 'init'" <<<"$out"; then
        say "skipping 'bgtasks init --examples': the command does not exist yet"
        return 0
    fi
    if [ -n "$out" ]; then printf '%s\n' "$out"; fi
    [ "$rc" -eq 0 ] || die "'bgtasks init --examples' failed with exit code $rc"
}

install_packages
start_docker_engine
python_environment
scripts/build_native.sh
scripts/build_images.sh
init_instance
say "ready in $((SECONDS - started))s"

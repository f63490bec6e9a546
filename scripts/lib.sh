# Helpers shared by the set-up scripts. Sourced, never run.
# shellcheck shell=bash

# The name shown before each message: the script that sourced this file.
BGTASKS_SCRIPT_NAME=${BGTASKS_SCRIPT_NAME:-$(basename "$0" .sh)}

BGTASKS_LOG_DIR=${BGTASKS_LOG_DIR:-$PWD/.build/logs}

say() { printf '%s: %s\n' "$BGTASKS_SCRIPT_NAME" "$*"; }

die() {
    printf '%s: error: %s\n' "$BGTASKS_SCRIPT_NAME" "$*" >&2
    exit 1
}

# Run a command as root: directly when we are root, else through sudo.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null; then
        sudo "$@"
    else
        die "'$*' needs root and sudo is not installed"
    fi
}

# Print those of the named Debian packages that are not installed.
missing_packages() {
    local pkg status
    for pkg in "$@"; do
        status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
        [ "$status" = installed ] || printf '%s\n' "$pkg"
    done
}

# Install the named Debian packages that are missing; do nothing when all are there.
# Extra apt-get options can be given in APT_INSTALL_OPTS (e.g. --no-install-recommends).
# apt's output goes to $BGTASKS_LOG_DIR/apt.log.
ensure_packages() {
    local missing log
    missing=$(missing_packages "$@")
    [ -n "$missing" ] || return 0
    # shellcheck disable=SC2086  # one package per word
    set -- $missing
    command -v apt-get >/dev/null || die "missing Debian packages ($*) and no apt-get to install them"
    say "installing Debian packages: $*"
    mkdir -p "$BGTASKS_LOG_DIR"
    log=$BGTASKS_LOG_DIR/apt.log
    # Try with the package lists we have; refresh them only when that fails (missing or stale lists).
    if ! apt_install "$@" >"$log" 2>&1; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >>"$log" 2>&1 \
            || die "apt-get update failed (see $log)"
        apt_install "$@" >>"$log" 2>&1 || die "apt-get install $* failed (see $log)"
    fi
}

apt_install() {
    # shellcheck disable=SC2086  # options are words
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q ${APT_INSTALL_OPTS:-} "$@"
}

# A content hash of files and directories (paths relative to the current directory), plus any
# extra strings given after "--". Stable across machines: names and contents, not times or owners.
content_hash() {
    local paths=() extras=()
    while [ $# -gt 0 ]; do
        if [ "$1" = -- ]; then shift; extras=("$@"); break; fi
        paths+=("$1"); shift
    done
    {
        if [ ${#paths[@]} -gt 0 ]; then
            find "${paths[@]}" -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
            find "${paths[@]}" -type f -perm -u+x -print0 | LC_ALL=C sort -z | tr '\0' '\n' | sed 's/^/exec /'
        fi
        if [ ${#extras[@]} -gt 0 ]; then printf '%s\n' "${extras[@]}"; fi
    } | sha256sum | cut -c1-16
}

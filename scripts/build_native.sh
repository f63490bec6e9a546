#!/usr/bin/env bash
# Compile the packages' C modules in place, next to their source, for the .venv's interpreter.
# Today one: the IAPD record parser (prebuilt_assets/sources/iapd/_records.c). It only needs the
# Python headers and expat.h (pyexpat hands it the expat library the interpreter already loaded).
# A module newer than its source is left as it is.
#
#   scripts/build_native.sh           compile what is missing or older than its source
#   scripts/build_native.sh --check   compile nothing; fail on any compiler warning (make lint)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

PYTHON=.venv/bin/python
SOURCES=(prebuilt_assets/sources/iapd/_records.c)

[ -x "$PYTHON" ] || die "$PYTHON does not exist: run scripts/setup.sh"
suffix=$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
include=$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
[ -f "$include/Python.h" ] || die "no Python.h in $include (Debian package python3-dev)"
if [ "${1:-}" = --check ]; then
    for source in "${SOURCES[@]}"; do
        ${CC:-gcc} -fsyntax-only -Wall -Wextra -Werror -I"$include" "$source" || die "$source has warnings"
    done
    exit 0
fi
for source in "${SOURCES[@]}"; do
    module=${source%.c}$suffix
    if [ "$module" -nt "$source" ]; then
        continue
    fi
    say "compiling $source"
    # -fno-strict-aliasing: as CPython's own extension modules are built.
    # Warnings are shown, not fatal: a newer compiler's new warning must not stop a set-up.
    ${CC:-gcc} -O2 -fPIC -shared -fno-strict-aliasing -Wall -Wextra \
        -I"$include" "$source" -o "$module.tmp" || die "compiling $source failed"
    mv "$module.tmp" "$module"
done

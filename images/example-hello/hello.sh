#!/bin/sh
# Example Background Task: log a few lines, then write one output file.
# Runs as any user (the platform uses uid 65534), with no network and no capabilities.
set -eu
out_dir=${BGTASKS_OUTPUT_DIR:-/bgtasks/output}
greeting=${GREETING:-hello}

echo "example-hello: starting as uid $(id -u) on $(hostname)"
echo "example-hello: greeting is '$greeting'"
if [ ! -d "$out_dir" ] || [ ! -w "$out_dir" ]; then
    echo "example-hello: $out_dir is missing or not writable" >&2
    exit 1
fi
printf '%s from a bgtasks Background Task at %s\n' "$greeting" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    >"$out_dir/hello.txt"
echo "example-hello: wrote $out_dir/hello.txt ($(wc -c <"$out_dir/hello.txt") bytes)"
echo "example-hello: done"

#!/bin/sh
# Runs examples/basic_durable_write on a new file and checks that the text
# reached the file and that a store granularity was reported.
set -eu
f=$(mktemp -u "${TMPDIR:-/tmp}/pmem2-example.XXXXXX")
trap 'rm -f "$f"' EXIT
# PMEM2_TEST_EMULATOR: the cross build's emulator command (empty natively).
out=$(${PMEM2_TEST_EMULATOR:-} "$1" "$f" 65536 "durable text")
echo "$out"
echo "$out" | grep -Eq '^store granularity: (BYTE|CACHE_LINE|PAGE)$'
[ "$(stat -c %s "$f")" -eq 65536 ]
grep -q "durable text" "$f"
echo "example ok"

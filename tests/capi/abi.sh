#!/bin/sh
# The ABI of the two shared libraries, as their version scripts pin it:
#   * libpmem2: exactly the functions LIBPMEM2_1.0 names, SONAME
#     libpmem2.so.1, and exactly the extensions LIBPMEM2_PMEM2_1.0 names
#     (include/libpmem2/persist_async.h);
#   * libminiasync: exactly the functions LIBMINIASYNC_1.0 names, SONAME
#     libminiasync.so.0, and exactly the extensions LIBMINIASYNC_PMEM2_1.0
#     names (include/libminiasync/wake.h);
#   * beyond those, only the private nodes (PMEM2_PRIVATE_1,
#     LIBMINIASYNC_PRIVATE_1: test seams and libpmem2's hook, never API),
#     each symbol of them one of that library's internal namespaces.
#   * libminiasync-vdm-dml (when given): exactly LIBMINIASYNC_VDM_DML_1.0
#     and its extensions LIBMINIASYNC_VDM_DML_PMEM2_1.0, SONAME
#     libminiasync-vdm-dml.so.0, private node LIBMINIASYNC_VDM_DML_PRIVATE_1
#     (test seams and libpmem2's identity check).
# Nothing else leaks: every defined dynamic symbol is one of these.
#   abi.sh <libpmem2.so.1> <libminiasync.so.0> <src dir> [<libminiasync-vdm-dml.so.0>]
# Exit 77 (skip) without nm/readelf/c++filt.
set -eu
lib=$1 malib=$2 src=$3 dmllib=${4:-}
for t in nm readelf c++filt; do
	command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/abi.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Defined dynamic symbols (not the version-name entries, type A) as
# "name@@VERSION", demangled.
exports() {
	nm -D --defined-only "$1" | awk '$2 != "A" {print $3}' | c++filt | sort -u
}
# The C names of one version node of a map.
public_names() {
	awk -v node="$2" '$1 == node {on = 1; next} on && /^}/ {exit}
		on && /^[ \t]+[a-z_0-9]+;/ {sub(/;/, ""); print $1}' "$1" | sort
}
fail=0
# Exactly the names node <node> of <map> lists are exported under it.
node_matches() {	# node_matches <lib> <map> <node>
	grep "@@$3\$" "$tmp/all" | sed "s/@@$3\$//" | sort >"$tmp/public" || true
	public_names "$2" "$3" >"$tmp/expected"
	if ! [ -s "$tmp/expected" ] || ! diff "$tmp/expected" "$tmp/public"; then
		echo "$1: $3 differs from $2 (< expected, > exported)"
		fail=1
	fi
	echo "ABI: $(wc -l <"$tmp/public") $3 functions"
}
# check <lib> <map> <public node> <private node> <private regex> <soname> [<extension node>]
check() {
	exports "$1" >"$tmp/all"
	grep -v "@@$3\$" "$tmp/all" >"$tmp/rest" || true
	if [ $# -ge 7 ]; then
		node_matches "$1" "$2" "$7"
		grep -v "@@$7\$" "$tmp/rest" >"$tmp/rest2" || true
		mv "$tmp/rest2" "$tmp/rest"
	fi
	node_matches "$1" "$2" "$3"
	if grep -v "@@$4\$" "$tmp/rest"; then
		echo "$1: the symbols above are exported outside $3 and $4"
		fail=1
	fi
	if sed "s/@@$4\$//" "$tmp/rest" | grep -Ev "$5"; then
		echo "$1: the $4 symbols above are not internal seams"
		fail=1
	fi
	readelf -d "$1" | grep -q "SONAME.*\[$6\]" || { echo "$1: SONAME is not $6"; fail=1; }
	echo "ABI: $(wc -l <"$tmp/rest") $4 symbols, SONAME $6"
}
check "$lib" "$src/libpmem2.map" LIBPMEM2_1.0 PMEM2_PRIVATE_1 \
	'^pmem2::(memops|os|durable)::' libpmem2.so.1 LIBPMEM2_PMEM2_1.0
check "$malib" "$src/miniasync/libminiasync.map" LIBMINIASYNC_1.0 LIBMINIASYNC_PRIVATE_1 \
	'^(pmem2::masync::|miniasync_private_)' libminiasync.so.0 LIBMINIASYNC_PMEM2_1.0
if [ -n "$dmllib" ]; then
	check "$dmllib" "$src/vdm_dml/libminiasync-vdm-dml.map" LIBMINIASYNC_VDM_DML_1.0 \
		LIBMINIASYNC_VDM_DML_PRIVATE_1 '^(pmem2::vdm_dml::|miniasync_vdm_dml_private_)' libminiasync-vdm-dml.so.0 \
		LIBMINIASYNC_VDM_DML_PMEM2_1.0
fi
exit $fail

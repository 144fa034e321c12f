#!/usr/bin/env bash
# The layout tests/README.md promises: every source file under src/ and
# include/ has a test, found by its path (F_test.cpp in the matching test
# folder) or named in the README's table; every row of the table names
# files that exist; every test suite and test name is CamelCase.
#   layout.sh <source dir>
set -uo pipefail
cd "$1" || exit 2
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || { echo "SKIP: not a git checkout (the file list comes from git)"; exit 77; }
fail=0
table=$(sed -n '/^## Sources tested elsewhere/,$p' tests/README.md |
	sed -n 's/^| `\([^`]*\)` | `\([^`]*\)` |$/\1 \2/p')

test_dir() {
	case "$1" in
	include/pmem2) echo tests/cpp ;;
	include | include/libpmem2 | include/libminiasync | src/capi) echo tests/capi ;;
	src/*) echo "tests/${1#src/}" ;;
	esac
}

for f in $(git ls-files src include | grep -E '\.(c|cpp|h|hpp)$'); do
	d=$(dirname "$f") b=$(basename "$f")
	direct="$(test_dir "$d")/${b%.*}_test.cpp"
	listed=$(awk -v s="$f" '$1 == s { print $2 }' <<<"$table")
	if [ -e "$direct" ]; then
		[ -z "$listed" ] || { echo "$f: has $direct, but tests/README.md also lists it"; fail=1; }
	elif [ -z "$listed" ]; then
		echo "$f: no $direct and no row in tests/README.md"
		fail=1
	fi
done

while read -r src test; do
	[ -n "$src" ] || continue
	[ -e "$src" ] || { echo "tests/README.md: $src does not exist"; fail=1; }
	[ -e "$test" ] || { echo "tests/README.md: $test (for $src) does not exist"; fail=1; }
done <<<"$table"

# TEST(Suite, Name), TEST_F, TEST_P, and INSTANTIATE_TEST_SUITE_P(Prefix, Suite, ...)
bad=$(git ls-files tests | grep -E '\.(cpp|hpp)$' | xargs grep -nE \
	'^\s*(TEST|TEST_F|TEST_P|INSTANTIATE_TEST_SUITE_P)\(\s*[A-Za-z0-9_]+\s*,\s*[A-Za-z0-9_]+' |
	grep -vE '\(\s*[A-Z][A-Za-z0-9]*\s*,\s*[A-Z][A-Za-z0-9]*\s*[,)]')
[ -z "$bad" ] || { echo "not CamelCase:"; echo "$bad"; fail=1; }

[ $fail -eq 0 ] && echo "layout: every source file has its test; names are CamelCase"
exit $fail

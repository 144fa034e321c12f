#!/usr/bin/env bash
# The man pages cover the installed API, and render cleanly.
#   man_test.sh BUILD_DIR             installs the build into a scratch
#                                     prefix (`cmake --install`), checks it
#   man_test.sh --installed PREFIX    checks what is installed in PREFIX
#                                     (an unpacked package, say)
# The checks:
#  1. every symbol the installed libraries export (nm -D, public version
#     nodes: no *_PRIVATE_* node, no C++ name) has a section-3 page, its
#     own or a link to the page of its family;
#  2. every section-3 page names at least one exported symbol, or a macro,
#     type or inline function the installed headers declare;
#  3. the NAME line of every page and the link pages agree (a link points
#     at a page that lists its name; every listed name is installed);
#  4. `mandoc -T lint -W warning` and `groff -ww -man -z` say nothing
#     about any page.
# Prints each failure by name, then exits 1. CMAKE names the cmake to
# install with (default: the one on PATH).
set -uo pipefail
[ $# -ge 1 ] || { echo "usage: man_test.sh BUILD_DIR | --installed PREFIX" >&2; exit 2; }
for t in nm mandoc groff perl; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not installed (scripts/deps installs it)"; exit 77; }
done
if [ "$1" = --installed ]; then
	prefix=${2:?usage: man_test.sh --installed PREFIX}
else
	prefix=$(mktemp -d)
	trap 'rm -rf "$prefix"' EXIT
	log=$("${CMAKE:-cmake}" --install "$1" --prefix "$prefix" 2>&1) ||
		{ echo "$log"; echo "FAIL: cmake --install $1"; exit 1; }
fi
mandir=$prefix/share/man
[ -d "$mandir/man3" ] || { echo "FAIL: nothing installed under share/man/man3"; exit 1; }
fail=0

# 1. Exported symbols, "library symbol" per line.
exports=$(
	for so in libpmem2.so.1 libminiasync.so.0 libminiasync-vdm-dml.so.0; do
		lib=$(find "$prefix" -name "$so" | head -n 1)
		if [ -z "$lib" ]; then
			[ "$so" = libminiasync-vdm-dml.so.0 ] && continue	# built on x86-64 only
			echo "FAIL: $so is not installed" >&2
			continue
		fi
		nm -D --defined-only --with-symbol-versions "$lib" |
			awk -v so="$so" '$2 != "A" && $3 !~ /^_Z/ {
				split($3, v, "@"); ver = v[length(v)]
				if (ver !~ /_PRIVATE_/) print so, v[1] }'
	done | sort -u)
[ -n "$exports" ] || { echo "FAIL: no exported symbol found"; exit 1; }

# Section-3 names: every file of man3, page or link.
covered=$(find "$mandir/man3" -name '*.3' -printf '%f\n' | sed 's/\.3$//' | sort -u)
missing=$(awk 'NR == FNR { c[$1] = 1; next } !($2 in c)' <(echo "$covered") <(echo "$exports"))
for so in $(awk '{ print $1 }' <<<"$exports" | sort -u); do
	echo "man: $so exports $(grep -c "^$so " <<<"$exports") public symbols"
done
if [ -n "$missing" ]; then
	echo "FAIL: $(wc -l <<<"$missing") exported symbols have no man page:"
	awk '{ print "  " $1 ": " $2 }' <<<"$missing"
	fail=1
fi

# The NAME line of a built page: "name, name - summary" -> one name a line.
page_names() {
	awk '/^\.SH/ { in_name = ($2 == "NAME" || $2 == "\"NAME\""); next }
		in_name && !/^\./ { print; exit }' "$1" |
		sed -e 's/ \\\?- .*//' -e 's/\\&//g' | tr ',' '\n' | tr -d ' '
}

# 2. Each section-3 page names something real. The headers' words, without
# their comments, stand for what they declare.
declared=$(find "$prefix/include" -type f -exec cat {} + |
	perl -0pe 's{/\*.*?\*/}{}gs; s{//[^\n]*}{}g' | grep -oE '[A-Za-z_][A-Za-z0-9_]*' | sort -u)
exported_names=$(awk '{ print $2 }' <<<"$exports" | sort -u)
pages=0 links=0
for f in "$mandir"/man*/*; do
	[ -f "$f" ] || continue
	rel=${f#"$mandir"/}
	if head -n 1 "$f" | grep -q '^\.so '; then
		links=$((links + 1))
		target=$(head -n 1 "$f" | cut -d' ' -f2)
		name=$(basename "$f"); name=${name%.*}
		if [ ! -f "$mandir/$target" ] || head -n 1 "$mandir/$target" | grep -q '^\.so '; then
			echo "FAIL: $rel links to $target, which is not an installed page"; fail=1
		elif ! grep -qxF "$name" <<<"$(page_names "$mandir/$target")"; then
			echo "FAIL: $rel links to $target, whose NAME line does not list $name"; fail=1
		fi
		continue
	fi
	pages=$((pages + 1))
	section=${rel%%/*}; section=${section#man}
	names=$(page_names "$f")
	[ -n "$names" ] || { echo "FAIL: $rel has no NAME line"; fail=1; continue; }
	for n in $names; do
		[ -f "$mandir/man$section/$n.$section" ] ||
			{ echo "FAIL: $rel lists $n, but man$section/$n.$section is not installed"; fail=1; }
	done
	if [ "$section" = 3 ] &&
		! grep -qxF -f <(echo "$names") <(printf '%s\n%s\n' "$exported_names" "$declared"); then
		echo "FAIL: $rel names nothing exported or declared in the headers: $(echo $names)"
		fail=1
	fi
done
echo "man: $pages pages and $links links installed"

# 4. Lint: relative to the man root, as man(1) reads them.
lint=$(cd "$mandir" && for f in man*/*; do
	head -n 1 "$f" | grep -q '^\.so ' && continue
	mandoc -T lint -W warning "$f" 2>&1
	groff -ww -man -z "$f" 2>&1 | sed "s|^|$f: |"
done)
if [ -n "$lint" ]; then
	echo "FAIL: mandoc -T lint -W warning / groff -ww -man -z:"
	sed 's/^/  /' <<<"$lint"
	fail=1
fi

[ $fail -eq 0 ] && echo "man: every exported symbol has a page; every page renders without a warning"
exit $fail

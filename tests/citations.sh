#!/usr/bin/env bash
# Every reference to docs/DIFFERENCES.md resolves: a code citation
# "DIFFERENCES.md A14" (or a list "A19-A23", "A24, A25") names an entry
# heading "### A14 — ...", so does an id in a man page's DIFFERENCES FROM
# PMDK section, a Markdown link [A14](DIFFERENCES.md#anchor) in
# docs/ points at the heading's anchor, and no citation is left in a form
# that points outside the repository ("spec 9.3", "gap B6", "libpmem2.md §6").
# Paths named in the docs exist.
#   citations.sh <source dir>
set -uo pipefail
cd "$1" || exit 2
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || { echo "SKIP: not a git checkout (the file list comes from git)"; exit 77; }
fail=0
diffs=docs/DIFFERENCES.md
ids=$(sed -n 's/^### \([A-DS][0-9.]*\) — .*/\1/p' "$diffs")
# GitHub's anchor of a heading: lower case, punctuation but - and _ dropped,
# spaces turned into hyphens.
anchors=$(sed -n 's/^### //p' "$diffs" | tr 'A-Z' 'a-z' | sed 's/[^a-z0-9_ -]//g; s/ /-/g')
code=$(git ls-files src include tools tests bench examples | grep -vE '^tests/fuzz/corpus/|^tests/citations\.sh$')

cited=$(grep -ohE 'DIFFERENCES\.md [A-DS][0-9.]*[0-9]((-|, )[A-D][0-9]+)*' $code | sed 's/^DIFFERENCES\.md //' |
	tr ',-' '  ' | tr -s ' ' '\n' | sort -u)
n=0
for id in $cited; do
	n=$((n + 1))
	grep -qx "$id" <<<"$ids" || { echo "cited but no entry: DIFFERENCES.md $id"; fail=1; }
done

# Man pages (docs/man/*.scd) cite entries by id in their DIFFERENCES FROM
# PMDK section ("see A28 in docs/DIFFERENCES.md").
man_cited=$(for f in $(git ls-files 'docs/man/*.scd'); do
	awk '/^# / { in_diff = ($0 == "# DIFFERENCES FROM PMDK"); next } in_diff' "$f"
done | grep -ohE '\b[A-DS][0-9]+(\.[0-9]+)?\b' | sort -u)
for id in $man_cited; do
	n=$((n + 1))
	grep -qx "$id" <<<"$ids" || { echo "a man page cites an entry that does not exist: DIFFERENCES.md $id"; fail=1; }
done

links=$(grep -ohE '\(DIFFERENCES\.md#[^)]*\)' docs/*.md README.md | sed 's/^(DIFFERENCES\.md#//; s/)$//' | sort -u)
for a in $links; do
	n=$((n + 1))
	grep -qxF "$a" <<<"$anchors" || { echo "link to a missing anchor: DIFFERENCES.md#$a"; fail=1; }
done
[ "$n" -gt 50 ] || { echo "only $n citations found: the patterns no longer match the code"; fail=1; }

man=$(git ls-files 'docs/man/*.scd')
stale=$({
	grep -niE '\bspec [0-9]|\bgaps? [A-D][0-9]' $code docs/*.md README.md $man
	grep -nE '\b(libpmem2|miniasync|pmem2_async|dsa|gaps)\.md|§' $code docs/*.md README.md $man
} | grep -v '^docs/DIFFERENCES.md:')
# Paths the docs name in backquotes exist (placeholders such as src/X/ and
# brace or glob patterns aside).
for p in $(grep -ohE '`(src|tests|include|tools|bench|examples|scripts|docs)/[A-Za-z0-9_./-]*`' docs/*.md README.md tests/README.md |
	tr -d '`' | sort -u); do
	case "$p" in */X/*) continue ;; esac
	n=$((n + 1))
	[ -e "$p" ] || { echo "docs name a path that does not exist: $p"; fail=1; }
done

[ -z "$stale" ] || { echo "citations of documents outside the repository:"; echo "$stale"; fail=1; }

[ $fail -eq 0 ] && echo "citations: $n references (DIFFERENCES.md entries and paths), all resolve"
exit $fail

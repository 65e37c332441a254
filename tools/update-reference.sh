#!/bin/sh
# update-reference.sh CLVSIM README - replace the generated key reference in README
# (between the BEGIN and END markers) with the output of 'CLVSIM check --reference'.
set -eu
bin=$1
readme=$2
tmp=$(mktemp "${readme}.XXXXXX")
trap 'rm -f "$tmp" "$tmp.ref"' EXIT INT TERM
"$bin" check --reference > "$tmp.ref"
awk -v ref="$tmp.ref" '
    /<!-- BEGIN GENERATED REFERENCE/ { print; while ((getline line < ref) > 0) print line; skip = 1; next }
    /<!-- END GENERATED REFERENCE/ { skip = 0 }
    !skip { print }
' "$readme" > "$tmp"
grep -q '<!-- END GENERATED REFERENCE' "$tmp" || { echo "update-reference: markers missing in $readme" >&2; exit 1; }
chmod 644 "$tmp"
mv "$tmp" "$readme"
echo "updated $readme"

#!/bin/sh
# Glue: build a deterministic gzip'ed newc initramfs.
# usage: mkinitramfs.sh OUTPUT SRC:DST [SRC:DST...]
#   DST is an absolute path inside the image; SRC may contain ':' (split at the last one).
# Fixed layout, modes, owners (0:0) and mtimes (0) and a sorted file list make
# the image byte-identical across builds for identical inputs.
set -eu
[ $# -ge 1 ] || { echo "usage: $0 OUTPUT SRC:DST..." >&2; exit 2; }
out=$1
shift
stage=$(mktemp -d "${TMPDIR:-/tmp}/tv-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT INT TERM

for d in bin sbin usr/bin usr/sbin dev proc sys tmp etc root; do
  mkdir -p "$stage/$d"
done
for pair in "$@"; do
  src=${pair%:*}
  dst=${pair##*:}
  case $pair in *:/*) ;; *) echo "mkinitramfs: bad entry '$pair' (want SRC:/DST)" >&2; exit 2 ;; esac
  [ -f "$src" ] || { echo "mkinitramfs: missing input file $src" >&2; exit 1; }
  mkdir -p "$stage$(dirname "$dst")"
  cp -L "$src" "$stage$dst"
done

find "$stage" -type d -exec chmod 0755 {} +
chmod 1777 "$stage/tmp"
find "$stage" -type f -perm /111 -exec chmod 0755 {} +
find "$stage" -type f ! -perm /111 -exec chmod 0644 {} +
find "$stage" -exec touch -h -d @0 {} +

mkdir -p "$(dirname "$out")"
(cd "$stage" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
  cpio -o -H newc -R 0:0 --reproducible --quiet) | gzip -9n >"$out.tmp"
mv "$out.tmp" "$out"

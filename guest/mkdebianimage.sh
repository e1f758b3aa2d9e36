#!/usr/bin/env bash
# mkdebianimage.sh IMAGE [SIZE]: a Debian 12 (bookworm) root file system with
# systemd as a raw ext4 image (label "debian12", no partition table), for
# `tvrun --disk IMAGE,if=virtio --append 'root=/dev/vda rw console=ttyS0'`.
#
# Thin glue around mmdebstrap (Debian's packages from the mirror, the only
# network use) and mkfs.ext4 -d (fills the file system from a directory: no
# mount, no loop device). Idempotent: an existing IMAGE is left alone. As root
# mmdebstrap works in a chroot; otherwise it tries --mode=unshare (needs
# unprivileged user namespaces and newuidmap/newgidmap).
#
# A TEST image: root has an EMPTY password and logs in on the serial console
# (ttyS0) and tty1 without one. Never put it on a network.
#
# Environment: MIRROR (default http://deb.debian.org/debian), SUITE (bookworm).
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 IMAGE [SIZE (mkfs.ext4 syntax, default 1G)]" >&2
  exit 2
fi
IMAGE="$1"
SIZE="${2:-1G}"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
SUITE="${SUITE:-bookworm}"

if [ -s "$IMAGE" ]; then
  echo "mkdebianimage: $IMAGE exists; not rebuilding (delete it to rebuild)" >&2
  exit 0
fi
for tool in mmdebstrap mkfs.ext4; do
  command -v "$tool" >/dev/null || { echo "mkdebianimage: $tool missing (./thinvisor setup installs it)" >&2; exit 1; }
done
mode=root
[ "$(id -u)" -eq 0 ] || mode=unshare

mkdir -p "$(dirname "$IMAGE")"
PART="$(cd "$(dirname "$IMAGE")" && pwd)/.$(basename "$IMAGE").part"
rm -f "$PART"
trap 'rm -f "$PART"' EXIT

# The last hook: the tree, without what mmdebstrap mounted on it (/proc,
# /sys, /dev/pts: tar --one-file-system keeps only their empty mount points),
# into a staging directory, and the file system from that.
export PART SIZE
MAKE_IMAGE='set -e; stage="$(mktemp -d)"; trap "rm -rf \"\$stage\"" EXIT
tar -C "$1" --one-file-system -cf - . | tar -C "$stage" -xpf -
truncate -s "$SIZE" "$PART"
mkfs.ext4 -q -F -L debian12 -d "$stage" "$PART"'

# minbase (Essential packages: login, util-linux's agetty, ...) plus systemd as
# init and udev; the hooks run outside the chroot with the root directory as
# $1, the last one makes the image from it (inside mmdebstrap's namespace in
# unshare mode, so files are owned by root in the image). Target /dev/null:
# mmdebstrap keeps no other output.
mmdebstrap --mode="$mode" --variant=minbase \
  --include=systemd-sysv,udev,kmod,procps,iproute2 \
  --customize-hook='chroot "$1" passwd -q -d root' \
  --customize-hook='echo debian12 > "$1/etc/hostname"' \
  --customize-hook='printf "127.0.0.1\tlocalhost\n127.0.1.1\tdebian12\n" > "$1/etc/hosts"' \
  --customize-hook='printf "LABEL=debian12 / ext4 rw,errors=remount-ro 0 1\n" > "$1/etc/fstab"' \
  --customize-hook="$MAKE_IMAGE" \
  "$SUITE" /dev/null "$MIRROR"
mv "$PART" "$IMAGE"
trap - EXIT
echo "mkdebianimage: built $IMAGE ($(du -h --apparent-size "$IMAGE" | cut -f1) sparse, $(du -h "$IMAGE" | cut -f1) used)" >&2

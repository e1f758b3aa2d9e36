#!/bin/sh
# Glue: the initramfs for the disk-I/O system test (tests/system/dma_test.cpp):
# the default initramfs with a second gzip'ed cpio appended (Linux unpacks
# concatenated archives as one) that carries the guest kernel's own modules
# for an AHCI disk and a filesystem, and /bin/tv-disk-drivers, which loads
# them in dependency order. The default initramfs stays without them: it must
# stay small (the VMM moves a large initrd at start-up).
# usage: mkdiskinitramfs.sh OUTPUT BASE_INITRAMFS KERNEL_RELEASE MODULE...
#   MODULE: a module file name without .ko as modules.dep spells it (ahci,
#   crc-t10dif); its dependencies from modules.dep come along, loaded first.
set -eu
[ $# -ge 4 ] || { echo "usage: $0 OUTPUT BASE_INITRAMFS KERNEL_RELEASE MODULE..." >&2; exit 2; }
out=$1 base=$2 kver=$3
shift 3
moddir=/lib/modules/$kver
dep=$moddir/modules.dep
[ -f "$dep" ] || { echo "mkdiskinitramfs: $dep not found (linux-image-$kver)" >&2; exit 1; }
here=$(dirname "$0")
stage=$(mktemp -d "${TMPDIR:-/tmp}/tv-diskinitramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT INT TERM

# Load order: each module after its dependencies. modules.dep lists a
# module's dependencies so that loading them from the last to the first works
# (what modprobe does); each path is taken once.
order=
add() {
  case " $order " in *" $1 "*) return ;; esac
  order="$order $1"
}
for m in "$@"; do
  line=$(grep -E "^([^:]*/)?$m\.ko(\.[a-z]+)?:" "$dep") ||
    { echo "mkdiskinitramfs: module $m not in $dep" >&2; exit 1; }
  path=${line%%:*}
  for d in $(echo "${line#*:}" | tr ' ' '\n' | sed '/^$/d' | tac); do add "$d"; done
  add "$path"
done

loader=$stage/tv-disk-drivers
pairs="$loader:/bin/tv-disk-drivers"
{
  echo '#!/bin/sh'
  echo "# Loads the disk and filesystem modules of $kver (guest/mkdiskinitramfs.sh)."
  for p in $order; do
    case $p in *.ko) ;; *) echo "mkdiskinitramfs: $p is compressed; busybox insmod wants a plain .ko" >&2; exit 1 ;; esac
    f=$(basename "$p")
    pairs="$pairs $moddir/$p:/lib/modules/disk/$f"
    echo "insmod /lib/modules/disk/$f || exit 1"
  done
} >"$loader"
chmod 0755 "$loader"

# shellcheck disable=SC2086 # the pairs hold no spaces
"$here/mkinitramfs.sh" "$stage/extra.cpio.gz" $pairs
mkdir -p "$(dirname "$out")"
cat "$base" "$stage/extra.cpio.gz" >"$out.tmp"
mv "$out.tmp" "$out"

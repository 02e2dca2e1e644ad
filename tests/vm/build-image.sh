#!/usr/bin/env bash
# Build (or reuse) the Debian bookworm guest used by the VM suite.
#
# The image is cached outside the repo, keyed by a hash of this recipe: an unchanged recipe is
# never rebuilt. Prints the cache directory (holding image.raw, vmlinuz, initrd.img) on stdout.
set -euo pipefail

recipe_hash=$(sha256sum "$0" | cut -c1-16)
cache_root=${CGTUI_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cgtui-vm}
out="$cache_root/bookworm-$recipe_hash"
if [ -f "$out/ready" ]; then
    echo "$out"
    exit 0
fi

for tool in debootstrap mkfs.ext4; do
    command -v "$tool" >/dev/null || { echo "build-image: $tool is missing (apt-get install debootstrap e2fsprogs)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "build-image: debootstrap needs root" >&2; exit 1; }

mirror=${CGTUI_VM_MIRROR:-http://deb.debian.org/debian}
work=$(mktemp -d "${TMPDIR:-/tmp}/cgtui-vm-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"

echo "build-image: debootstrap bookworm into $root (about 70 s)" >&2
debootstrap --variant=minbase \
    --include=systemd,systemd-sysv,dbus,dbus-user-session,libpam-systemd,linux-image-amd64,tmux,procps,util-linux,attr,kmod,jq,ncurses-term,man-db \
    bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
    tail -30 "$work/debootstrap.log" >&2
    exit 1
}

echo cgtui-vm >"$root/etc/hostname"
cat >"$root/etc/fstab" <<'FSTAB'
/dev/vda  /      ext4  defaults,noatime  0 1
host      /host  9p    trans=virtio,version=9p2000.L,msize=262144,nofail,x-systemd.device-timeout=20s  0 0
FSTAB
mkdir -p "$root/host"
printf '9p\n9pnet_virtio\n' >"$root/etc/modules-load.d/9p.conf"

# alice (uid 1000) lingers, so user@1000.service runs from boot; bob (uid 1001) does not.
chroot "$root" useradd --create-home --uid 1000 --shell /bin/bash alice
chroot "$root" useradd --create-home --uid 1001 --shell /bin/bash bob
mkdir -p "$root/var/lib/systemd/linger"
touch "$root/var/lib/systemd/linger/alice"
chroot "$root" passwd --delete root >/dev/null

# The harness: runs /host/harness.sh once the system is up, then powers off.
cat >"$root/etc/systemd/system/cgtui-harness.service" <<'UNIT'
[Unit]
Description=cgtui VM test harness
After=systemd-user-sessions.service systemd-logind.service dbus.service
Wants=systemd-logind.service
RequiresMountsFor=/host

[Service]
Type=oneshot
ExecStart=/bin/bash /host/harness.sh
ExecStopPost=/bin/systemctl --no-block poweroff
StandardOutput=journal+console
StandardError=journal+console
TimeoutStartSec=infinity

[Install]
WantedBy=multi-user.target
UNIT
ln -s /etc/systemd/system/cgtui-harness.service "$root/etc/systemd/system/multi-user.target.wants/cgtui-harness.service"
# Nothing else needs the console; a getty there would only add noise to the log.
ln -sf /dev/null "$root/etc/systemd/system/serial-getty@ttyS0.service"
ln -sf /dev/null "$root/etc/systemd/system/getty@tty1.service"

chroot "$root" apt-get clean
rm -rf "$root/var/lib/apt/lists/"*

kernel=$(ls "$root"/boot/vmlinuz-* | sort -V | tail -1)
initrd=$(ls "$root"/boot/initrd.img-* | sort -V | tail -1)
mkdir -p "$out"
cp "$kernel" "$out/vmlinuz"
cp "$initrd" "$out/initrd.img"
# stdout is the cache directory only (mkfs says "Creating regular file" there).
mkfs.ext4 -q -F -L root -d "$root" "$out/image.raw" 2G >&2
touch "$out/ready"
echo "build-image: done" >&2
echo "$out"

#!/usr/bin/env bash
# The VM suite: boots a Debian bookworm guest (systemd 252, pure cgroup v2 with nsdelegate, alice
# with a delegated user@1000.service) under qemu, runs every scenario in tests/vm/scenarios
# inside it, and prints `N passed, N failed` last.
#
#   tests/vm/run.sh [NAME-SUBSTRING...]     run all scenarios, or those whose name matches
#
# A scenario is NN-name.sh (run in the guest as root; exit 0 = pass) plus an optional
# NN-name.expected: lines that must all appear in its output.
#
# Environment: CGTUI_SKIP_VM=1 skips the suite (the only way to skip it); CGTUI_VM_ACCEL=kvm
# uses KVM where it works (default tcg); CGTUI_VM_TIMEOUT (s, default 900) bounds the boot;
# CGTUI_VM_CACHE is where images are kept.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
vm="$repo/tests/vm"

if [ "${CGTUI_SKIP_VM:-}" = 1 ]; then
    echo "VM suite skipped: CGTUI_SKIP_VM=1"
    exit 0
fi
missing=()
[ "$(id -u)" = 0 ] || missing+=("root (debootstrap and the image need it)")
command -v qemu-system-x86_64 >/dev/null || missing+=("qemu-system-x86_64 (apt-get install qemu-system-x86)")
command -v debootstrap >/dev/null || missing+=("debootstrap (apt-get install debootstrap)")
if [ ${#missing[@]} -gt 0 ]; then
    echo "VM suite cannot run here; missing: ${missing[*]}" >&2
    echo "Set CGTUI_SKIP_VM=1 to skip it on purpose." >&2
    exit 1
fi

image=$("$vm/build-image.sh")
echo "image: $image"
(cd "$repo" && cargo build --release --locked --quiet)
# The refresh benchmark runs inside the guest too (scenario 08), next to systemd-cgtop.
bench=$(cd "$repo" && cargo bench --locked --bench refresh --no-run --message-format=json 2>/dev/null |
    grep '"kind":\["bench"\]' | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1)
[ -x "$bench" ] || { echo "cannot build the refresh benchmark" >&2; exit 1; }

logs="$repo/target/vm-logs"
rm -rf "$logs"
mkdir -p "$logs"
share=$(mktemp -d "${TMPDIR:-/tmp}/cgtui-vm-share.XXXXXX")
disk=$(mktemp "${TMPDIR:-/tmp}/cgtui-vm-disk.XXXXXX")
trap 'rm -rf "$share" "$disk" "$disk.part"' EXIT
mkdir -p "$share/bin" "$share/scenarios" "$share/out"
cp "$repo/target/release/cgtui" "$share/bin/"
cp "$bench" "$share/bin/refresh-bench"
cp "$vm/harness.sh" "$vm/lib.sh" "$repo/tests/stress/churn.sh" "$share/"
selected=0
for script in "$vm"/scenarios/*.sh; do
    name=$(basename "$script" .sh)
    if [ $# -gt 0 ]; then
        match=0
        for pattern in "$@"; do [[ $name == *"$pattern"* ]] && match=1; done
        [ $match = 1 ] || continue
    fi
    cp "$script" "$share/scenarios/"
    selected=$((selected + 1))
done
[ $selected -gt 0 ] || { echo "no scenario matches: $*" >&2; exit 2; }
chmod -R a+rX "$share"
chmod 1777 "$share/out"
cp --sparse=always "$image/image.raw" "$disk"
# A second, 4 MiB disk with one partition (vdb1 in the guest): io.max must refuse partitions.
disk2="$disk.part"
truncate -s 4M "$disk2"
printf '\x00\x00\x00\x00\x83\x00\x00\x00\x00\x08\x00\x00\x00\x10\x00\x00' |
    dd of="$disk2" bs=1 seek=446 conv=notrunc status=none
printf '\x55\xaa' | dd of="$disk2" bs=1 seek=510 conv=notrunc status=none

accel=${CGTUI_VM_ACCEL:-tcg}
[ "$accel" = tcg ] && accel="tcg,thread=multi"
echo "booting the guest ($accel) with $selected scenario(s); console: $logs/console.log"
start=$(date +%s)
set +e
timeout --kill-after=10 "${CGTUI_VM_TIMEOUT:-900}" qemu-system-x86_64 \
    -accel "$accel" -cpu max -smp 2 -m 2048 -nographic -no-reboot \
    -kernel "$image/vmlinuz" -initrd "$image/initrd.img" \
    -append "root=/dev/vda rw console=ttyS0 quiet systemd.show_status=0" \
    -drive "file=$disk,format=raw,if=virtio" \
    -drive "file=$disk2,format=raw,if=virtio" \
    -virtfs "local,path=$share,mount_tag=host,security_model=none,id=host" \
    -nic none </dev/null >"$logs/console.log" 2>&1
qemu_status=$?
set -e
echo "guest ran for $(($(date +%s) - start)) s (qemu exit $qemu_status)"
cp -r "$share/out/." "$logs/" 2>/dev/null || true
[ -f "$logs/guest-info.txt" ] && sed 's/^/  /' "$logs/guest-info.txt"

passed=0
failed=0
for script in "$share"/scenarios/*.sh; do
    name=$(basename "$script" .sh)
    log="$logs/$name.log"
    problems=()
    if [ ! -f "$logs/$name.rc" ]; then
        problems+=("did not run (see $logs/console.log)")
    elif [ "$(cat "$logs/$name.rc")" != 0 ]; then
        problems+=("exit code $(cat "$logs/$name.rc")")
    fi
    expected="$vm/scenarios/$name.expected"
    if [ -f "$expected" ] && [ -f "$log" ]; then
        while IFS= read -r line; do
            [ -z "$line" ] || grep -qxF -- "$line" "$log" || problems+=("missing expected line: $line")
        done <"$expected"
    fi
    if [ ${#problems[@]} = 0 ]; then
        passed=$((passed + 1))
        echo "PASS $name"
    else
        failed=$((failed + 1))
        echo "FAIL $name: ${problems[*]}"
        [ -f "$log" ] && sed 's/^/    | /' "$log"
    fi
done
echo "$passed passed, $failed failed"
[ $failed = 0 ]

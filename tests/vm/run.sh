#!/usr/bin/env bash
# The VM suite: boots a Debian bookworm guest (systemd 252, pure cgroup v2 with nsdelegate, alice
# with a delegated user@1000.service) under qemu, runs every scenario in tests/vm/scenarios
# inside it, and prints `N passed, N failed` last.
#
#   tests/vm/run.sh [NAME-SUBSTRING...]     run all scenarios, or those whose name matches
#
# A scenario is NN-name.sh (run in the guest as root; exit 0 = pass) plus an optional
# NN-name.expected: lines that must all appear in its output. Its `# timeout: SECONDS` line is
# its budget (measured need with a wide margin; default 180).
#
# Environment: CGTUI_SKIP_VM=1 skips the suite (the only way to skip it); CGTUI_VM_ACCEL=kvm
# uses KVM where it works (default tcg); CGTUI_VM_BOOT_TIMEOUT (s, default 600) bounds the boot
# up to alice's user manager; CGTUI_VM_TIMEOUT (s) is the suite's total budget, boot included
# (default: the boot's and the selected scenarios' budgets added up, at most 1500);
# CGTUI_VM_SCENARIO_TIMEOUT (s) replaces every scenario's own budget;
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
command -v debugfs >/dev/null || missing+=("debugfs (apt-get install e2fsprogs)")
if [ ${#missing[@]} -gt 0 ]; then
    echo "VM suite cannot run here; missing: ${missing[*]}" >&2
    echo "Set CGTUI_SKIP_VM=1 to skip it on purpose." >&2
    exit 1
fi

default_budget=180
boot_budget=${CGTUI_VM_BOOT_TIMEOUT:-600}
budget_of() {
    local b
    b=$(sed -n 's/^# timeout: \([0-9]*\)$/\1/p' "$1" | head -1)
    echo "${b:-$default_budget}"
}
scripts=()
for script in "$vm"/scenarios/*.sh; do
    name=$(basename "$script" .sh)
    if [ $# -gt 0 ]; then
        match=0
        for pattern in "$@"; do [[ $name == *"$pattern"* ]] && match=1; done
        [ $match = 1 ] || continue
    fi
    scripts+=("$script")
done
[ ${#scripts[@]} -gt 0 ] || { echo "no scenario matches: $*" >&2; exit 2; }
suite_budget=$boot_budget
for script in "${scripts[@]}"; do
    suite_budget=$((suite_budget + ${CGTUI_VM_SCENARIO_TIMEOUT:-$(budget_of "$script")}))
done
[ -z "${CGTUI_VM_SCENARIO_TIMEOUT:-}" ] && [ "$suite_budget" -gt 1500 ] && suite_budget=1500
suite_budget=${CGTUI_VM_TIMEOUT:-$suite_budget}

image=$("$vm/build-image.sh")
echo "image: $image"
(cd "$repo" && cargo build --release --locked --quiet)
# The Debian package of that binary, installed and removed by scenario 10.
deb=$(cd "$repo" && packaging/deb.sh 2>/dev/null | tail -1)
[ -f "$repo/$deb" ] || { echo "cannot build the Debian package (packaging/deb.sh)" >&2; exit 1; }
# The refresh, left-open and history (recorder) benchmarks run inside the guest too (scenario 08), next to
# systemd-cgtop; built (a whole bench-profile build) only when 08 runs.
benches=()
if printf '%s\n' "${scripts[@]}" | grep -q '/08-[^/]*$'; then
    built=$(cd "$repo" && cargo bench --locked --bench refresh --bench left_open --bench history --no-run \
        --message-format=json 2>/dev/null | grep '"kind":\["bench"\]')
    for name in refresh left_open history; do
        exe=$(printf '%s\n' "$built" | grep "\"name\":\"$name\"" | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1)
        [ -x "$exe" ] || { echo "cannot build the $name benchmark" >&2; exit 1; }
        benches+=("${name//_/-}-bench:$exe")
    done
fi

logs="$repo/target/vm-logs"
rm -rf "$logs"
mkdir -p "$logs"
share=$(mktemp -d "${TMPDIR:-/tmp}/cgtui-vm-share.XXXXXX")
disk=$(mktemp "${TMPDIR:-/tmp}/cgtui-vm-disk.XXXXXX")
trap 'rm -rf "$share" "$disk" "$disk.part"' EXIT
mkdir -p "$share/scenarios" "$share/out"
cp "$vm/harness.sh" "$vm/lib.sh" "$repo/tests/stress/churn.sh" "$repo/assets/cgtui-record.service" "$share/"
cp "${scripts[@]}" "$share/scenarios/"
cp "$repo/$deb" "$share/cgtui.deb"
cat >"$share/suite.conf" <<CONF
SUITE_BUDGET=$suite_budget
BOOT_BUDGET=$boot_budget
DEFAULT_BUDGET=$default_budget
CONF
# Passed to the scenarios: a longer benchmark (08), and a budget for every scenario instead of
# their own (for such a run).
for var in CGTUI_BENCH_CGROUPS CGTUI_BENCH_RUNS CGTUI_VM_BENCH_REFRESHES \
    CGTUI_VM_LEFT_OPEN_CGROUPS CGTUI_VM_LEFT_OPEN_INTERVALS CGTUI_VM_LEFT_OPEN_VIEWS CGTUI_VM_LEFT_OPEN_SECONDS \
    CGTUI_VM_SCENARIO_TIMEOUT; do
    [ -n "${!var:-}" ] && printf 'export %s=%q\n' "$var" "${!var}" >>"$share/suite.conf"
done
chmod -R a+rX "$share"
chmod 1777 "$share/out"
cp --sparse=always "$image/image.raw" "$disk"
# The binaries go into the guest's own disk: run from 9p, each start fetched the 40 MB binary's
# pages from the host, 2-8 times slower under TCG than from the disk.
binaries=(cgtui:"$repo/target/release/cgtui" "${benches[@]}")
# Scenarios that say `# needs: prometheus` get Debian's prometheus binary (unpacked on the host
# by tests/tools/prometheus.sh: no package install in the image, no service at boot).
if grep -q '^# needs: prometheus' "${scripts[@]}"; then
    prometheus_bin=$("$repo/tests/tools/prometheus.sh") || { echo "cannot get Debian's prometheus package" >&2; exit 1; }
    binaries+=(prometheus:"$prometheus_bin/prometheus")
fi
{
    echo "mkdir /opt/cgtui"
    echo "mkdir /opt/cgtui/bin"
    for binary in "${binaries[@]}"; do echo "write ${binary#*:} /opt/cgtui/bin/${binary%%:*}"; done
} | debugfs -w -f - "$disk" >"$logs/debugfs.log" 2>&1
for binary in "${binaries[@]}"; do
    size=$(debugfs -R "stat /opt/cgtui/bin/${binary%%:*}" "$disk" 2>/dev/null | sed -n 's/.*Size: \([0-9]*\).*/\1/p' | head -1)
    [ "$size" = "$(stat -c %s "${binary#*:}")" ] || { cat "$logs/debugfs.log" >&2; echo "cannot write ${binary%%:*} into the guest's disk" >&2; exit 1; }
done
# A second, 4 MiB disk with one partition (vdb1 in the guest): io.max must refuse partitions.
disk2="$disk.part"
truncate -s 4M "$disk2"
printf '\x00\x00\x00\x00\x83\x00\x00\x00\x00\x08\x00\x00\x00\x10\x00\x00' |
    dd of="$disk2" bs=1 seek=446 conv=notrunc status=none
printf '\x55\xaa' | dd of="$disk2" bs=1 seek=510 conv=notrunc status=none

accel=${CGTUI_VM_ACCEL:-tcg}
[ "$accel" = tcg ] && accel="tcg,thread=multi"
echo "booting the guest ($accel) with ${#scripts[@]} scenario(s), budget $suite_budget s (boot $boot_budget s);" \
    "console: $logs/console.log"
start=$(date +%s)
# systemd.show_status=auto: quiet, unless a unit fails or a start job is slow (then the console
# says which).
qemu-system-x86_64 \
    -accel "$accel" -cpu max -smp 2 -m 2048 -nographic -no-reboot \
    -kernel "$image/vmlinuz" -initrd "$image/initrd.img" \
    -append "root=/dev/vda rw console=ttyS0 quiet systemd.show_status=auto" \
    -drive "file=$disk,format=raw,if=virtio" \
    -drive "file=$disk2,format=raw,if=virtio" \
    -virtfs "local,path=$share,mount_tag=host,security_model=none,id=host" \
    -nic none </dev/null >"$logs/console.log" 2>&1 &
qemu=$!
# The guest enforces the budgets itself; this watchdog catches a boot that never reaches the
# harness and a guest that hangs, and says where it was.
console_tail() {
    tail -n 15 "$logs/console.log" | tr -d '\r' | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/^/    console| /'
}
timed_out=
while kill -0 $qemu 2>/dev/null; do
    elapsed=$(($(date +%s) - start))
    if [ ! -s "$share/out/progress" ] && [ $elapsed -gt $((boot_budget + 30)) ]; then
        timed_out="TIMEOUT boot after $elapsed s: the guest did not start the harness (boot budget $boot_budget s); last console lines:"
    elif [ $elapsed -gt $((suite_budget + 60)) ]; then
        where=$(cat "$share/out/progress" 2>/dev/null)
        current=$(sed -n 's/^scenario \([^ ]*\) (budget.*/\1/p' <<<"$where")
        [ -n "$current" ] && where="$where, in step: $(cat "$share/out/$current.step" 2>/dev/null)"
        timed_out="TIMEOUT suite after $elapsed s (budget $suite_budget s): the guest was at: $where; last console lines:"
    fi
    if [ -n "$timed_out" ]; then
        kill $qemu 2>/dev/null
        for _ in $(seq 1 20); do kill -0 $qemu 2>/dev/null || break; sleep 0.5; done
        kill -9 $qemu 2>/dev/null || true
        break
    fi
    sleep 1
done
set +e
wait $qemu
qemu_status=$?
set -e
echo "guest ran for $(($(date +%s) - start)) s (qemu exit $qemu_status)"
cp -r "$share/out/." "$logs/" 2>/dev/null || true
[ -f "$logs/guest-info.txt" ] && sed 's/^/  /' "$logs/guest-info.txt"
[ -f "$logs/boot-wait.txt" ] && sed 's/^/  /' "$logs/boot-wait.txt"
if [ -n "$timed_out" ]; then
    echo "$timed_out"
    console_tail
fi

passed=0
failed=0
for script in "$share"/scenarios/*.sh; do
    name=$(basename "$script" .sh)
    log="$logs/$name.log"
    problems=()
    took=
    if [ -f "$logs/$name.time" ]; then
        read -r ms limit <"$logs/$name.time"
        took=" ($((ms / 1000)) s of $limit s)"
    fi
    if [ -f "$logs/$name.timeout" ]; then
        echo "TIMEOUT $name $(cat "$logs/$name.timeout")"
        problems+=("timed out")
    elif [ ! -f "$logs/$name.rc" ] && [ -f "$logs/$name.step" ]; then
        problems+=("did not finish; last step: $(cat "$logs/$name.step") (see $logs/console.log)")
    elif [ ! -f "$logs/$name.rc" ]; then
        problems+=("did not run (see $logs/console.log)")
    elif [ "$(cat "$logs/$name.rc")" = budget ]; then
        problems+=("$(head -1 "$log")")
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
        echo "PASS $name$took"
    else
        failed=$((failed + 1))
        echo "FAIL $name$took: ${problems[*]}"
        [ -f "$log" ] && sed 's/^/    | /' "$log"
    fi
done
echo "$passed passed, $failed failed"
[ $failed = 0 ]

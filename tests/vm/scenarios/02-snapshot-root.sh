# Scenario: root takes a JSON snapshot of the whole host, with all controllers enabled.
# Measured: 8 s idle, 11-32 s on a busy 2-CPU host (docs/src/testing.md, Budgets); budget with a wide margin:
# timeout: 120
. /host/lib.sh

step "enable IO accounting for systemd-journald.service"
# Turn on IO accounting for a service, so systemd enables the io controller down to it.
systemctl set-property --runtime systemd-journald.service IOAccounting=yes || fail "cannot enable IO accounting"
dd if=/dev/vda of=/dev/null bs=1M count=20 iflag=direct status=none
cat /sys/fs/cgroup/cgroup.subtree_control

step "snapshot --count 2"
cgtui snapshot --json --count 2 --interval 0.5 >/tmp/snap.json || fail "snapshot exited with $?"
[ "$(wc -l </tmp/snap.json)" = 2 ] || fail "expected 2 JSON documents"
last=$(tail -1 /tmp/snap.json)
first=$(head -1 /tmp/snap.json)

step "check the snapshot"
svc='.cgroups[] | select(.path == "/system.slice/systemd-journald.service")'
jq -e "$svc" <<<"$last" >/dev/null || fail "systemd-journald.service is not in the snapshot"
jq -e "$svc | .memory.current > 0 and (.memory.max != null) and (.memory.events.oom_kill != null)" <<<"$last" >/dev/null \
    || fail "memory fields missing: $(jq -c "$svc | .memory" <<<"$last")"
check "memory present for a system service" yes
jq -e "$svc | (.io.devices | type == \"array\") and (.io.read_bps != null)" <<<"$last" >/dev/null \
    || fail "io fields missing: $(jq -c "$svc | .io" <<<"$last")"
check "io present for a system service" yes
jq -e "$svc | .pids.current >= 1 and .pids.max != null" <<<"$last" >/dev/null \
    || fail "pids fields missing: $(jq -c "$svc | .pids" <<<"$last")"
check "pids present for a system service" yes
jq -e "$svc | .cpu.pressure.some.avg10 != null and .memory.pressure.some.avg10 != null and .io.pressure.some.avg10 != null" <<<"$last" >/dev/null \
    || fail "PSI missing: $(jq -c "$svc | .cpu.pressure" <<<"$last")"
check "PSI present" yes
jq -e "$svc | .cpu.pct == null" <<<"$first" >/dev/null || fail "rates must be null in the first iteration"
jq -e "$svc | .cpu.pct != null" <<<"$last" >/dev/null || fail "rates must be filled in the second iteration"
check "rates null then filled" yes
jq -e '.mount_options.nsdelegate == true and .mount_options.memory_recursiveprot == true' <<<"$last" >/dev/null \
    || fail "mount options: $(jq -c .mount_options <<<"$last")"
check "nsdelegate seen" yes
# The root cgroup has no memory.current, and says so.
jq -e '.cgroups[0].missing.memory | test("root cgroup has no memory.current")' <<<"$last" >/dev/null \
    || fail "root's missing.memory: $(jq -c '.cgroups[0].missing' <<<"$last")"
check "root explains missing memory" yes
# What the memory is made of (memory.stat) and the working set, which the hybrid host lacks.
jq -e "$svc | .memory.stat.anon != null and .memory.stat.inactive_file != null and .memory.working_set > 0 and .memory.working_set <= .memory.current" <<<"$last" >/dev/null \
    || fail "memory.stat or working set: $(jq -c "$svc | {current: .memory.current, working_set: .memory.working_set, stat: .memory.stat}" <<<"$last")"
check "memory broken down with a working set" yes

step "the exposition carries the working set and memory.stat by kind"
cgtui snapshot --format openmetrics --root system.slice/systemd-journald.service >/tmp/snap.om || fail "openmetrics snapshot exited with $?"
grep -q '^cgroup_memory_working_set_bytes{cgroup="/system.slice/systemd-journald.service"' /tmp/snap.om \
    || fail "no working set series: $(grep -c . /tmp/snap.om) lines"
grep -q '^cgroup_memory_stat_bytes{.*kind="anon"' /tmp/snap.om || fail "no memory.stat series by kind"
check "working set and memory.stat exported" yes
step "a busy loop under cpu.max 10000 100000 shows throttling"
# CPU throttling needs the cpu controller and a quota, which the hybrid host lacks.
grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control || echo +cpu >/sys/fs/cgroup/cgroup.subtree_control
mkdir -p /sys/fs/cgroup/cgtui-throttle
echo "10000 100000" >/sys/fs/cgroup/cgtui-throttle/cpu.max
sh -c 'echo $$ >/sys/fs/cgroup/cgtui-throttle/cgroup.procs; while :; do :; done' &
busy=$!
sleep 1
cgtui snapshot --json --count 2 --interval 1 --root cgtui-throttle >/tmp/throttle.json || fail "snapshot of the throttled cgroup exited with $?"
kill "$busy"; wait "$busy" 2>/dev/null || true
rmdir /sys/fs/cgroup/cgtui-throttle
throttled=$(tail -1 /tmp/throttle.json | jq -c '.cgroups[0].cpu | {pct, throttled_pct, nr_throttled, max}')
echo "throttled cgroup: $throttled"
jq -e '.throttled_pct > 50 and .nr_throttled > 0 and .pct <= 15' <<<"$throttled" >/dev/null \
    || fail "throttling not shown (or CPU above the 10 % quota): $throttled"
check "throttling shown within the quota" yes
jq -c "$svc | {path, memory: .memory.current, io: .io.read_bps, pids: .pids.current, psi: .cpu.pressure.some}" <<<"$last"
exit 0

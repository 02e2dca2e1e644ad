# Scenario: predictions against the real kernel, as root, as alice inside her delegated
# playground, as bob against alice's cgroups, and from inside a cgroup namespace (nsdelegate).
# The rows are queued by `expect` and run by `run_matrix` (lib.sh): one shell per actor.
# Measured with 41 rows: 28 s idle, 40-108 s on a busy 2-CPU host (docs/src/testing.md, Budgets); with 84 rows
# 87 s beside a parallel cargo build; budget with a wide margin:
# timeout: 480
. /host/lib.sh

step "build alice's playground and tree"
made=$(as_alice cgtui delegate --json) || fail "no playground: $made"
P=$(jq -r .cgroup <<<"$made")
placeholder=$(jq -r .pid <<<"$made")
F=/sys/fs/cgroup$P
as_alice mkdir -p "$F/leaf" "$F/c0/c01" "$F/c1/c11" "$F/ns" || fail "cannot build alice's tree"
echo "$placeholder" >"$F/leaf/cgroup.procs" || fail "cannot move the placeholder"
as_alice sh -c "echo '+memory +pids' > $F/cgroup.subtree_control" || fail "cannot enable controllers in the playground"
# alice's processes, one in c0/c01 and one in c1/c11 (root moves them in: alice could not move
# them out of the harness's cgroup herself, which is the containment rule at work).
setpriv --reuid=alice --regid=alice --init-groups sleep 300 &
A01=$!
setpriv --reuid=alice --regid=alice --init-groups sleep 300 &
A11=$!
echo "$A01" >"$F/c0/c01/cgroup.procs" || fail "cannot place alice's first sleeper"
echo "$A11" >"$F/c1/c11/cgroup.procs" || fail "cannot place alice's second sleeper"
# bob's own process, in system.slice (the harness's cgroup).
setpriv --reuid=bob --regid=bob --init-groups sleep 300 &
BOB=$!
# A cgroup alice owns outside her delegation: dst writable, common ancestor is not.
mkdir -p /sys/fs/cgroup/system.slice/alicebox
chown alice /sys/fs/cgroup/system.slice/alicebox /sys/fs/cgroup/system.slice/alicebox/cgroup.procs
step "start cgtui-matrix.service"
# A system service with cpu, io and memory, for root's rows.
systemd-run --quiet --unit=cgtui-matrix.service -p CPUWeight=100 -p IOAccounting=yes -p MemoryAccounting=yes sleep 300 \
    || fail "cannot start cgtui-matrix.service"
S=/system.slice/cgtui-matrix.service
wait_for 30 test -e /sys/fs/cgroup$S/io.max -a -e /sys/fs/cgroup$S/cpu.max
VDB1=$(cat /sys/class/block/vdb1/dev 2>/dev/null) || fail "no partition vdb1 (the suite attaches one)"
VDA=$(cat /sys/class/block/vda/dev)
NS_ROOT=$P/ns
export NS_ROOT

step "build root's tree for threaded mode and value edges"
# /cgtui-thr passes cpu, memory and pids on. tr holds a process and an empty child kid; busy has
# a populated domain child d and an empty child e; x holds the process the rows move around.
TG=/cgtui-thr
T=/sys/fs/cgroup$TG
mkdir -p "$T/tr/kid" "$T/busy/d" "$T/busy/e" "$T/x" || fail "cannot build $T"
echo "+cpu +memory +pids" >"$T/cgroup.subtree_control" || fail "cannot enable cpu memory pids in $T"
sleep 300 &
TS=$!
sleep 300 &
DS=$!
sleep 300 &
XS=$!
echo "$TS" >"$T/tr/cgroup.procs" && echo "$DS" >"$T/busy/d/cgroup.procs" && echo "$XS" >"$T/x/cgroup.procs" \
    || fail "cannot place root's sleepers"

# --- alice in her playground -----------------------------------------------------------------
expect alice allowed ok -- mkdir "$P/c2"
expect alice EACCES permission -- mkdir /user.slice/alice-was-here
expect alice allowed ok -- move "$A01" "$P/c1/c11"
expect alice allowed ok -- move "$A01" "$P/c0/c01"
expect alice EACCES migration-containment -- move "$A01" /system.slice/alicebox
expect alice allowed ok -- set "$P/c0" memory.max 64M
expect alice EACCES permission -- set /user.slice/user-1000.slice/user@1000.service memory.max 1G
expect alice EBUSY not-empty -- rmdir "$P/c0"
expect alice EBUSY not-empty -- rmdir "$P/c0/c01"
expect alice ENOENT controller-unavailable -- set "$P/c0/c01" cgroup.subtree_control +memory
expect alice allowed ok -- set "$P/c1" cgroup.subtree_control +memory
expect alice EBUSY no-internal-process -- set "$P/c1/c11" cgroup.subtree_control +memory
expect alice EBUSY controller-in-use-by-child -- set "$P" cgroup.subtree_control -memory
expect alice EBUSY no-internal-process -- move "$A01" "$P/c1"
expect alice EINVAL invalid-value -- set "$P/c0" cgroup.subtree_control +nosuch
expect alice ENOENT controller-unavailable -- set "$P/c0" cgroup.subtree_control +io
expect alice ENOENT controller-not-enabled -- set "$P/c0/c01" io.max "$VDA rbps=1048576"
expect alice allowed ok -- set "$P/c2" cgroup.max.descendants 0
expect alice EAGAIN descendant-limit -- mkdir "$P/c2/deeper"
expect alice ESRCH no-such-process -- move 4194000 "$P/c2"
expect alice EOPNOTSUPP threaded-topology -- set "$P/c0/c01" cgroup.type threaded
expect alice EINVAL invalid-value -- set "$P/c0" memory.high lots
expect alice ENOENT no-such-cgroup -- rmdir "$P/nope"
# No write bit on a file without a write handler, even in her own subtree.
expect alice EACCES permission -- set "$P/c0" cgroup.events 1
expect alice allowed ok -- rmdir "$P/c2"

# --- bob against alice's cgroups -------------------------------------------------------------
expect bob EACCES permission -- mkdir "$P/bob"
expect bob EACCES permission -- set "$P/c0" memory.max 1M
expect bob EACCES permission -- move "$BOB" "$P/c1/c11"
expect bob EACCES permission -- rmdir "$P/leaf"

# --- root on a system service ----------------------------------------------------------------
expect root ENODEV no-such-device -- set "$S" io.max "$VDB1 rbps=1048576"
expect root ERANGE invalid-value -- set "$S" io.max "$VDA rbps=0"
# Major 4095 has no driver; 9:N (md) or 7:N (loop) would be created on demand by the probe.
expect root ENODEV no-such-device -- set "$S" io.max "4095:0 rbps=1048576"
expect root EINVAL invalid-value -- set "$S" cpu.max "500 100000"
expect root ERANGE invalid-value -- set "$S" cpu.weight 0
expect root allowed ok -- set "$S" io.max "$VDA rbps=1048576"
expect root EBUSY not-empty -- rmdir "$S"
expect root allowed ok -- set "$S" memory.max 300M

# --- root: controller names, tokens and numbers as each handler parses them ---------------------
# v1-only subsystems are inhibited on v2 (cgrp_dfl_inhibit_ss_mask): not a name there, EINVAL.
expect root EINVAL invalid-value -- set "$TG/x" cgroup.subtree_control +net_cls
expect root EINVAL invalid-value -- set "$TG/x" cgroup.subtree_control +net_prio
expect root EINVAL invalid-value -- set "$TG/x" cgroup.subtree_control +devices
expect root EINVAL invalid-value -- set "$TG/x" cgroup.subtree_control +freezer
expect root EINVAL invalid-value -- set "$TG/x" cgroup.subtree_control -cpuacct
# perf_event is implicit on v2: a name, never in cgroup.controllers.
expect root ENOENT controller-unavailable -- set "$TG/x" cgroup.subtree_control +perf_event
expect root allowed ok -- set "$TG/x" cgroup.subtree_control -perf_event
# A later token overrides an earlier one; x holds a process.
expect root allowed ok -- set "$TG/x" cgroup.subtree_control "+memory -memory"
expect root EBUSY no-internal-process -- set "$TG/x" cgroup.subtree_control "-memory +memory"
expect root allowed ok -- set "$TG/x" cgroup.subtree_control ""
expect root EINVAL invalid-value -- set "$TG/x" cgroup.subtree_control "+cpu pids"
# kstrto*(…, 0): a base from the prefix, an optional +.
expect root allowed ok -- set "$TG/x" cgroup.max.depth 0x1
expect root allowed ok -- set "$TG/x" cpu.weight 0x64
expect root allowed ok -- set "$TG/x" pids.max 010
expect root allowed ok -- set "$TG/x" memory.oom.group +1
expect root EINVAL invalid-value -- set "$TG/x" cgroup.max.depth 0x
# Each handler's own errno for a number out of range.
expect root EINVAL invalid-value -- set "$TG/x" memory.oom.group 2
expect root EINVAL invalid-value -- set "$TG/x" cpu.weight -1
expect root ERANGE invalid-value -- set "$TG/x" cpu.weight 10001
expect root ERANGE invalid-value -- set "$TG/x" cpu.weight.nice 20
expect root allowed ok -- set "$TG/x" pids.max 4194304
expect root EINVAL invalid-value -- set "$TG/x" pids.max 4194305
expect root ERANGE invalid-value -- set "$TG/x" cgroup.max.depth 99999999999
expect root ERANGE invalid-value -- set "$TG/x" cgroup.freeze 2
expect root EINVAL invalid-value -- set "$TG/x" cpu.max "max 999"
# kthreadd is never migrated (no_cgroup_migration), not even by root.
expect root EINVAL invalid-value -- move 2 "$TG/x"
# A misspelt file does not exist.
expect root ENOENT invalid-value -- set "$TG/x" memory.maxx 1G
# A file with no write handler: root opens it by capability, and the write is EINVAL.
expect root EINVAL invalid-value -- set "$TG/x" cgroup.controllers +cpu
# A write of zero bytes returns at once, whatever the file.
expect root allowed ok -- set "$TG/x" memory.max ""

# --- root: threaded-mode transitions (cgroup_vet_subtree_control_enable, cgroup_can_be_thread_root,
# cgroup_migrate_vet_dst, cgroup_enable_threaded) -------------------------------------------------
# Threaded controllers alone on a populated cgroup that can be a thread root: allowed, tr becomes one.
expect root allowed ok -- set "$TG/tr" cgroup.subtree_control "+cpu +pids"
# A domain controller in a thread root.
expect root EOPNOTSUPP threaded-topology -- set "$TG/tr" cgroup.subtree_control +memory
# kid is now "domain invalid": no processes, no controllers.
expect root EOPNOTSUPP threaded-topology -- move "$XS" "$TG/tr/kid"
expect root EOPNOTSUPP threaded-topology -- set "$TG/tr/kid" cgroup.subtree_control +cpu
# Threaded controllers on an empty cgroup with a populated domain child: allowed (it has no tasks).
expect root allowed ok -- set "$TG/busy" cgroup.subtree_control "+cpu +pids"
# ...but it cannot become a thread root, so it may not take processes.
expect root EBUSY no-internal-process -- move "$XS" "$TG/busy"
# Its empty child cannot become threaded: busy cannot be a thread root.
expect root EOPNOTSUPP threaded-topology -- set "$TG/busy/e" cgroup.type threaded
expect root allowed ok -- set "$TG/tr/kid" cgroup.type threaded
expect root allowed ok -- set "$TG/tr/kid" cgroup.type threaded
expect root EINVAL invalid-value -- set "$TG/tr" cgroup.type domain
expect root ENOENT controller-unavailable -- set "$TG/tr/kid" cgroup.subtree_control +memory
expect root allowed ok -- move "$XS" "$TG/tr/kid"
expect root EOPNOTSUPP threaded-topology -- set "$TG/tr/kid" cgroup.kill 1
expect root allowed ok -- mkdir "$TG/tr/kid/sub"
expect root allowed ok -- set "$TG/tr/kid/sub" cgroup.type threaded
expect root EOPNOTSUPP threaded-topology -- set "$TG/tr" cgroup.subtree_control +memory

# --- alice inside a cgroup namespace rooted at $P/ns -----------------------------------------
expect ns EPERM nsdelegate-root-file -- set "$P/ns" cgroup.max.descendants 5
expect ns EPERM nsdelegate-root-file -- set "$P/ns" cgroup.kill 1
expect ns allowed ok -- mkdir "$P/ns/inside"
expect ns allowed ok -- set "$P/ns" cgroup.subtree_control +pids
expect ns ENOENT namespace-scope -- move "$A11" "$P/ns/inside"

run_matrix
echo "rows: $ROWS, disagreements: $DIFFS"
check "prediction rows" "$ROWS"
[ "$ROWS" -ge 87 ] || fail "fewer than 87 rows"
[ "$DIFFS" = 0 ] || fail "$DIFFS of $ROWS predictions disagree with the kernel"
check "predictions agree with the kernel" yes

step "clean up"
as_alice cgtui delegate --stop "$(jq -r .unit <<<"$made")" >/dev/null
systemctl stop cgtui-matrix.service
kill "$TS" "$DS" "$XS" 2>/dev/null
wait "$TS" "$DS" "$XS" 2>/dev/null
for dir in tr/kid/sub tr/kid tr busy/d busy/e busy x ""; do
    wait_for 10 rmdir "$T/$dir" 2>/dev/null || echo "could not remove $T/$dir"
done
exit 0

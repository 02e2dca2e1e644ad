# Scenario (measurement): refresh cost against systemd-cgtop with all controllers, in one run.
# 1. The refresh benchmark (built on the host, written into the guest's disk) on N cgroups:
#    cgtui's TUI refresh, a full refresh, the open/read/close floors and systemd-cgtop on the
#    same tree, as ratios.
# 2. With CGTUI_VM_BENCH_REFRESHES=N: `cgtui snapshot` against systemd-cgtop over the whole
#    host, N refreshes each (README's figure: 10; with fewer, cgtui's start and first pass
#    weigh more and the ratio is not comparable).
# Prints figures; fails only if a tool fails (timings are not asserted: they are the
# performance issue's targets, recorded in README).
# The suite runs part 1 on 1,000 cgroups with one run per reader after the warm-up: it checks
# that the benchmark and the comparison work in the guest, and its figures are rough (a busy
# host moves them). README's figures come from the full measurement:
# CGTUI_BENCH_CGROUPS=2000 CGTUI_BENCH_RUNS=3 CGTUI_VM_BENCH_REFRESHES=10 \
#     CGTUI_VM_SCENARIO_TIMEOUT=2400 tests/vm/run.sh 08
# Measured: 100 s at load 3 (on 2,000 cgroups: 140 s idle, 170-570 s busy, systemd-cgtop's
# 10 refreshes half of it); budget with a wide margin:
# timeout: 900
. /host/lib.sh
echo "+cpu +io +memory +pids" >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
step "refresh benchmark on ${CGTUI_BENCH_CGROUPS:-1000} cgroups"
CGTUI_BENCH_CGROUPS=${CGTUI_BENCH_CGROUPS:-1000} CGTUI_BENCH_RUNS=${CGTUI_BENCH_RUNS:-1} "$BIN/refresh-bench" >/tmp/bench.out 2>&1 ||
    { cat /tmp/bench.out; fail "the refresh benchmark failed"; }
cat /tmp/bench.out
grep -q "systemd-cgtop .* per refresh" /tmp/bench.out && check "compared with systemd-cgtop" yes
grep -q "files kept open" /tmp/bench.out && check "same-data floor" yes

K=${CGTUI_VM_BENCH_REFRESHES:-}
if [ -z "$K" ]; then
    echo "whole-host comparison with systemd-cgtop: not run (CGTUI_VM_BENCH_REFRESHES unset)"
    exit 0
fi
step "make 2,000 cgroups for the whole-host comparison"
B=/sys/fs/cgroup/cgtui-bench
mkdir -p $B
echo "+cpu +io +memory +pids" >$B/cgroup.subtree_control || fail "cannot enable controllers"
# One mkdir (parents first) and one rmdir: 2,000 processes took minutes under TCG.
mkdir $B/p{0..44}.slice $B/p{0..44}.slice/c{0..43}.scope || fail "cannot make the cgroups"
count=$(find $B -type d | wc -l)
echo "cgroups: $count (plus the rest of the host)"
TIMEFORMAT='%3U %3S'
cpu() { { time "$@" >/dev/null 2>&1; } 2>&1 | awk '{printf "%.3f", $1 + $2}'; }
step "cgtui snapshot, $K refreshes"
snap=$(cpu cgtui snapshot --count $K --interval 0.1)
step "systemd-cgtop, $K refreshes"
cgtop=$(cpu systemd-cgtop -b -n $K -d 0.1 --depth=100)
echo "CPU seconds for $K refreshes of the whole host: cgtui snapshot $snap, systemd-cgtop $cgtop"
awk -v a="$snap" -v b="$cgtop" 'BEGIN { printf "cgtui snapshot / systemd-cgtop: %.2fx\n", a / b }'
step "remove the cgroups"
find $B -mindepth 1 -depth -type d -print0 | xargs -0 rmdir
rmdir $B
exit 0

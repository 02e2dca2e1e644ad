# Scenario (measurement): refresh cost against systemd-cgtop with all controllers, in one run.
# 1. The refresh benchmark (built on the host, shared over 9p) on a tree of 2,000 cgroups:
#    cgtui's TUI refresh, a full refresh, the open/read/close floors and systemd-cgtop on the
#    same tree, as ratios.
# 2. `cgtui snapshot` against systemd-cgtop over the whole host.
# Prints figures; fails only if a tool fails (timings are not asserted: they are the
# performance issue's targets, recorded in README).
# timeout: 420
. /host/lib.sh
echo "+cpu +io +memory +pids" >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
CGTUI_BENCH_CGROUPS=2000 CGTUI_BENCH_RUNS=3 /host/bin/refresh-bench >/tmp/bench.out 2>&1 ||
    { cat /tmp/bench.out; fail "the refresh benchmark failed"; }
cat /tmp/bench.out
grep -q "systemd-cgtop .* per refresh" /tmp/bench.out && check "compared with systemd-cgtop" yes
grep -q "files kept open" /tmp/bench.out && check "same-data floor" yes

B=/sys/fs/cgroup/cgtui-bench
K=10
mkdir -p $B
echo "+cpu +io +memory +pids" >$B/cgroup.subtree_control || fail "cannot enable controllers"
for i in $(seq 0 44); do
    mkdir $B/p$i.slice
    (cd $B/p$i.slice && mkdir $(seq -f 'c%g.scope' 0 43))
done
count=$(find $B -type d | wc -l)
echo "cgroups: $count (plus the rest of the host)"
TIMEFORMAT='%3U %3S'
cpu() { { time "$@" >/dev/null 2>&1; } 2>&1 | awk '{printf "%.3f", $1 + $2}'; }
snap=$(cpu cgtui snapshot --count $K --interval 0.1)
cgtop=$(cpu systemd-cgtop -b -n $K -d 0.1 --depth=100)
echo "CPU seconds for $K refreshes of the whole host: cgtui snapshot $snap, systemd-cgtop $cgtop"
awk -v a="$snap" -v b="$cgtop" 'BEGIN { printf "cgtui snapshot / systemd-cgtop: %.2fx\n", a / b }'
for d in $(find $B -mindepth 1 -type d | sort -r); do rmdir $d; done
rmdir $B
exit 0

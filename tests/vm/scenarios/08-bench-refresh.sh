# Scenario (measurement): refresh cost against systemd-cgtop, on 2,000
# cgroups with all controllers, in one run. Prints figures and ratios; fails only if a tool
# fails (the targets are tracked in the performance issue, not asserted here).
. /host/lib.sh
B=/sys/fs/cgroup/cgtui-bench
K=10
mkdir -p $B
echo "+cpu +io +memory +pids" >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
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
awk -v a="$snap" -v b="$cgtop" 'BEGIN { printf "cgtui / systemd-cgtop: %.2fx\n", a / b }'
check "measured" yes
for d in $(find $B -mindepth 1 -type d | sort -r); do rmdir $d; done
rmdir $B
exit 0

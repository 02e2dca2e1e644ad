# Scenario: a minute of churn (thousands of cgroups created and removed a second, processes
# moved and killed) under cgtui running live, with `snapshot` in a loop, on a host with all
# controllers. Afterwards: cgtui still runs, its tree equals the disk, its inotify watches are
# back to the baseline, and its RSS is flat: within 10 % or 1 MiB (tables keep the capacity of
# the most cgroups alive at once, which rises with the churn's random peaks; a leak of 30 bytes
# per cgroup made would exceed it).
# Measured: 64 s idle, 65-91 s on a busy 2-CPU host (docs/src/testing.md, Budgets); budget with a wide margin:
# timeout: 300
. /host/lib.sh
export TERM=xterm-256color
S=churn
B=/sys/fs/cgroup/cgtui-churn
mkdir -p $B
# Inotify watches of a process: only an inotify descriptor's fdinfo has `inotify wd:` lines.
# (One grep, not two processes per descriptor: under TCG that loop took seconds.)
watches() {
    cat /proc/"$1"/fdinfo/* 2>/dev/null | grep -c '^inotify wd:'
}
rss() { awk '/VmRSS/ {print $2}' /proc/$1/status; }

step "start the TUI on /cgtui-churn"
tmux -L $S new-session -d -s $S -x 150 -y 45 "cgtui --root /cgtui-churn --interval 1"
pane_wait root $S " 1 cgroup " 60000 >/dev/null || fail "cgtui did not start"
# The pane's own process: another cgtui (one an earlier scenario left) must not stand in for it.
pid=$(tmux -L $S display-message -p -t $S '#{pane_pid}')
[ "$(cat /proc/"$pid"/comm 2>/dev/null)" = cgtui ] || fail "the pane runs $(cat /proc/"$pid"/comm 2>/dev/null), not cgtui"
base=$(watches $pid)
echo "baseline watches: $base"

step "60 s of churn with snapshot in a loop"
(
    end=$((SECONDS + 60))
    runs=0
    while [ $SECONDS -lt $end ]; do
        cgtui snapshot --json --count 2 --interval 0.5 --root /cgtui-churn >/dev/null || { echo "SNAPSHOT FAILED"; exit 1; }
        runs=$((runs + 1))
    done
    echo "snapshot runs: $runs"
) &
loop=$!
bash /host/churn.sh $B 60 &
churn=$!
sleep 15
warm=$(rss $pid)
wait $churn || fail "churn failed"
wait $loop || fail "a snapshot run failed during the churn"

step "compare with the disk"
kill -0 $pid 2>/dev/null || fail "cgtui died during the churn"
check "cgtui survived the churn" yes
on_disk=$(find $B -type d | wc -l)
# The header counts as a person would: "1 cgroup", "2 cgroups".
unit=cgroups; [ "$on_disk" = 1 ] && unit=cgroup
pane_wait root $S " $on_disk $unit " 60000 >/dev/null || fail "the tree does not match the disk ($on_disk cgroups)"
check "tree equals the disk" yes
step "wait for the watches to return to the baseline"
at_baseline() { [ "$(watches $pid)" = "$base" ]; }
wait_for 30 at_baseline
now=$(watches $pid)
echo "watches after: $now"
[ "$now" = "$base" ] || fail "inotify watches: $now, baseline $base"
check "watches back to baseline" yes
end=$(rss $pid)
echo "RSS: $warm KiB warm, $end KiB after"
slack=$((warm / 10 > 1024 ? warm / 10 : 1024))
[ "$end" -le $((warm + slack)) ] || fail "RSS grew from $warm to $end KiB"
check "RSS flat" yes
step "quit with q"
tmux -L $S send-keys -t $S q
ms_now
asked=$REPLY
gone() { ! kill -0 "$1" 2>/dev/null; }
if ! wait_for 30 gone $pid; then
    echo "the screen when q did not quit:"
    tmux -L $S capture-pane -p -t $S
    echo "its threads:"
    for t in /proc/$pid/task/*; do echo "$(cat $t/comm) $(cut -d' ' -f3 $t/stat) $(cat $t/wchan 2>/dev/null)"; done
    fail "cgtui did not quit within 30 s"
fi
ms_now
echo "cgtui quit $((REPLY - asked)) ms after q"
rmdir $B
exit 0

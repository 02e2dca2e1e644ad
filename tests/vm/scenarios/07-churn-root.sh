# Scenario: a minute of churn (thousands of cgroups created and removed a second, processes
# moved and killed) under cgtui running live, with `snapshot` in a loop, on a host with all
# controllers. Afterwards: cgtui still runs, its tree equals the disk, its inotify watches are
# back to the baseline, and its RSS is flat: within 10 % or 1 MiB (tables keep the capacity of
# the most cgroups alive at once, which rises with the churn's random peaks; a leak of 30 bytes
# per cgroup made would exceed it).
. /host/lib.sh
export TERM=xterm-256color
S=churn
B=/sys/fs/cgroup/cgtui-churn
mkdir -p $B
watches() {
    local pid=$1 n=0 fd
    for fd in /proc/$pid/fd/*; do
        if readlink "$fd" | grep -q inotify; then
            n=$((n + $(grep -c '^inotify wd:' /proc/$pid/fdinfo/${fd##*/})))
        fi
    done
    echo $n
}
rss() { awk '/VmRSS/ {print $2}' /proc/$1/status; }

tmux -L $S new-session -d -s $S -x 150 -y 45 "cgtui --root /cgtui-churn --interval 1"
pane_wait root $S " 1 cgroups " 20000 >/dev/null || fail "cgtui did not start"
pid=$(pgrep -x cgtui | head -1)
base=$(watches $pid)
echo "baseline watches: $base"

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

kill -0 $pid 2>/dev/null || fail "cgtui died during the churn"
check "cgtui survived the churn" yes
on_disk=$(find $B -type d | wc -l)
pane_wait root $S " $on_disk cgroups " 10000 >/dev/null || fail "the tree does not match the disk ($on_disk cgroups)"
check "tree equals the disk" yes
for _ in $(seq 1 50); do [ "$(watches $pid)" = "$base" ] && break; sleep 0.2; done
now=$(watches $pid)
echo "watches after: $now"
[ "$now" = "$base" ] || fail "inotify watches: $now, baseline $base"
check "watches back to baseline" yes
end=$(rss $pid)
echo "RSS: $warm KiB warm, $end KiB after"
slack=$((warm / 10 > 1024 ? warm / 10 : 1024))
[ "$end" -le $((warm + slack)) ] || fail "RSS grew from $warm to $end KiB"
check "RSS flat" yes
tmux -L $S send-keys -t $S q
sleep 1
kill -0 $pid 2>/dev/null && fail "cgtui did not quit"
rmdir $B
exit 0

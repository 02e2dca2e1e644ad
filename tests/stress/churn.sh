#!/usr/bin/env bash
# Churn a cgroup subtree: create and remove nested cgroups as fast as possible (aiming at
# 1,000 a second), move processes between them, and start and kill short-lived processes in
# them. Stops by itself after SECONDS and leaves BASE as it found it.
#
#   tests/stress/churn.sh BASE SECONDS
set -u
base=$1
seconds=$2
[ -d "$base" ] || { echo "churn: $base is not a directory" >&2; exit 2; }
end=$((SECONDS + seconds))
created=0 removed=0 moved=0 spawned=0

# Two long-lived processes that are moved around.
sleep $((seconds + 30)) &
mover1=$!
sleep $((seconds + 30)) &
mover2=$!
mkdir -p "$base/home"
echo $mover1 >"$base/home/cgroup.procs"
echo $mover2 >"$base/home/cgroup.procs"

round=0
while [ $SECONDS -lt $end ]; do
    round=$((round + 1))
    for i in 0 1 2 3 4; do
        top="$base/r$i"
        # 1 + 10 + 300 cgroups over three levels in one mkdir, parents first.
        mkdir "$top" "$top"/c{0..9} "$top"/c{0..9}/g{0..29} 2>/dev/null && created=$((created + 311))
        echo $mover1 >"$top/c$((round % 10))/g$i/cgroup.procs" 2>/dev/null && moved=$((moved + 1))
        echo $mover2 >"$top/c$i/g$((round % 10))/cgroup.procs" 2>/dev/null && moved=$((moved + 1))
        # A short-lived process inside (one per round): killed, or left to exit, then reaped.
        if [ $i = 0 ]; then
            sleep 0.01 &
            short=$!
            echo $short >"$top/c$i/g$i/cgroup.procs" 2>/dev/null && spawned=$((spawned + 1))
            [ $((round % 2)) = 0 ] && kill $short 2>/dev/null
            wait $short 2>/dev/null
        fi
        echo $mover1 >"$base/home/cgroup.procs" 2>/dev/null
        echo $mover2 >"$base/home/cgroup.procs" 2>/dev/null
        # Children first, in one rmdir.
        rmdir "$top"/c{0..9}/g{0..29} "$top"/c{0..9} "$top" 2>/dev/null && removed=$((removed + 311))
    done
done
# Anything left behind by a failed round.
rmdir "$base"/r*/c*/g* "$base"/r*/c* "$base"/r* 2>/dev/null
kill $mover1 $mover2 2>/dev/null
wait 2>/dev/null
rmdir "$base/home" 2>/dev/null
echo "churn: $seconds s, created $created, removed $removed, moved $moved, spawned $spawned ($(((created + removed) / seconds)) mkdir+rmdir/s)"

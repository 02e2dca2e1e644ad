#!/bin/bash
# Runs inside the guest as root (cgtui-harness.service), from the 9p share mounted at /host:
# waits for alice's user manager, runs every scenario within its budget and the suite's, and
# leaves each one's output, exit code, time and (on a timeout) last step in /host/out for the
# host to judge. The unit powers the guest off afterwards.
export PATH=/opt/cgtui/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
out=/host/out
mkdir -p "$out"
# From run.sh: SUITE_BUDGET (s since the guest booted, for everything), BOOT_BUDGET (s since
# boot for alice's user manager to be up), DEFAULT_BUDGET (s for a scenario without `# timeout:`).
. /host/suite.conf
# Kept for syncing the logs and powering off.
reserve=20

uptime_s() {
    local up
    read -r up _ </proc/uptime
    REPLY=${up%.*}
}
ms_now() {
    local us=${EPOCHREALTIME/[.,]/}
    REPLY=$((us / 1000))
}
# Where the harness is, for the host to print if the guest runs out of time.
progress() {
    printf '%s\n' "$*" >"$out/progress"
    echo "cgtui-harness: $*" >/dev/console
}

uptime_s
progress "started ${REPLY} s after boot; waiting for user@1000.service and its bus"
until systemctl is-active --quiet user@1000.service && [ -S /run/user/1000/bus ]; do
    uptime_s
    if [ "$REPLY" -ge "$BOOT_BUDGET" ]; then
        {
            echo "boot wait: user@1000.service is $(systemctl is-active user@1000.service)" \
                "$REPLY s after boot (budget $BOOT_BUDGET s); /run/user/1000/bus exists: $([ -S /run/user/1000/bus ] && echo yes || echo no)"
            systemctl list-jobs --no-pager
        } >"$out/boot-wait.txt" 2>&1
        progress "$(head -1 "$out/boot-wait.txt")"
        break
    fi
    sleep 0.5
done
uptime_s
ready=$REPLY

{
    echo "kernel: $(uname -r)"
    echo "systemd: $(systemctl --version | head -1)"
    echo "mount: $(grep ' - cgroup2 ' /proc/self/mountinfo)"
    echo "root subtree_control: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
    echo "user@1000.service: $(systemctl is-active user@1000.service) $ready s after boot"
    # Where the boot's time went: kernel and initrd, then the slowest units to start.
    echo "boot: systemd started $(systemctl show -p UserspaceTimestampMonotonic --value |
        awk '{ printf "%.1f", $1 / 1e6 }') s after the kernel"
    systemctl show '*' -p Id -p InactiveExitTimestampMonotonic -p ActiveEnterTimestampMonotonic |
        awk 'BEGIN { RS = ""; FS = "\n" }
             { for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
               s = v["InactiveExitTimestampMonotonic"]; e = v["ActiveEnterTimestampMonotonic"]
               if (s > 0 && e > s) printf "%.1f %s\n", (e - s) / 1e6, v["Id"] }' |
        sort -rn | head -8 | awk '{ printf "%s%s %s s", (NR > 1 ? ", " : "slowest units: "), $2, $1 } END { print "" }'
} >"$out/guest-info.txt" 2>&1

for script in /host/scenarios/*.sh; do
    name=$(basename "$script" .sh)
    # A scenario states its budget with a `# timeout: SECONDS` line.
    budget=$(sed -n 's/^# timeout: \([0-9]*\)$/\1/p' "$script" | head -1)
    budget=${CGTUI_VM_SCENARIO_TIMEOUT:-${budget:-$DEFAULT_BUDGET}}
    uptime_s
    left=$((SUITE_BUDGET - reserve - REPLY))
    if [ "$left" -lt 10 ]; then
        echo "not run: the suite's budget of $SUITE_BUDGET s was used up ($REPLY s after boot)" >"$out/$name.log"
        echo "budget" >"$out/$name.rc"
        continue
    fi
    limit=$budget
    [ "$left" -lt "$limit" ] && limit=$left
    step_file=$out/$name.step
    : >"$step_file"
    chmod 666 "$step_file"
    progress "scenario $name (budget $limit s, $REPLY s after boot)"
    ms_now
    start=$REPLY
    CGTUI_STEP_FILE=$step_file CGTUI_SCENARIO_START_MS=$start \
        timeout --kill-after=10 "$limit" bash "$script" </dev/null >"$out/$name.log" 2>&1
    rc=$?
    ms_now
    elapsed_ms=$((REPLY - start))
    if [ $rc = 124 ] || { [ $rc = 137 ] && [ $elapsed_ms -ge $((limit * 1000)) ]; }; then
        where=$(cat "$step_file" 2>/dev/null)
        echo "after $((elapsed_ms / 1000)) s in step: ${where:-(none recorded)}" >"$out/$name.timeout"
        echo "TIMEOUT $(cat "$out/$name.timeout")" >>"$out/$name.log"
    fi
    # What the scenario left running here (tmux servers, sleepers, a cgtui that outlived its
    # terminal) would load the next ones, or be mistaken for theirs: said, then killed.
    read -r own <"/proc/self/cgroup"
    leftovers=$(cat "/sys/fs/cgroup${own#0::}/cgroup.procs")
    for pid in $leftovers; do
        [ "$pid" = $$ ] && continue
        kill -0 "$pid" 2>/dev/null || continue
        echo "left running after the scenario: $pid $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-120)" >>"$out/$name.log"
        kill -9 "$pid" 2>/dev/null
    done
    echo $rc >"$out/$name.rc"
    echo "$elapsed_ms $limit" >"$out/$name.time"
    echo "duration: $elapsed_ms ms" >>"$out/$name.log"
    progress "scenario $name exited $rc after $((elapsed_ms / 1000)) s"
done
uptime_s
progress "done $REPLY s after boot"
sync

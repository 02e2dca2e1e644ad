#!/bin/bash
# Runs inside the guest as root (cgtui-harness.service), from the 9p share mounted at /host:
# waits for alice's user manager, runs every scenario, and leaves each one's output and exit
# code in /host/out for the host to judge. The unit powers the guest off afterwards.
export PATH=/host/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
out=/host/out
mkdir -p "$out"

for _ in $(seq 1 240); do
    if systemctl is-active --quiet user@1000.service && [ -S /run/user/1000/bus ]; then
        break
    fi
    sleep 0.25
done

{
    echo "kernel: $(uname -r)"
    echo "systemd: $(systemctl --version | head -1)"
    echo "mount: $(grep ' - cgroup2 ' /proc/self/mountinfo)"
    echo "root subtree_control: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
    echo "user@1000.service: $(systemctl is-active user@1000.service)"
} >"$out/guest-info.txt" 2>&1

for script in /host/scenarios/*.sh; do
    name=$(basename "$script" .sh)
    echo "cgtui-harness: scenario $name" >/dev/console
    start=$(date +%s%3N)
    # A scenario may ask for more time with a `# timeout: SECONDS` line.
    limit=$(sed -n 's/^# timeout: \([0-9]*\)$/\1/p' "$script" | head -1)
    timeout --kill-after=5 "${limit:-180}" bash "$script" >"$out/$name.log" 2>&1
    echo $? >"$out/$name.rc"
    echo "duration: $(($(date +%s%3N) - start)) ms" >>"$out/$name.log"
done
sync

# Scenario: root sets memory.max of a service from the TUI's keys; the file holds the value.
# Measured: 6 s idle, 9-16 s on a busy 2-CPU host (docs/src/testing.md, Budgets); budget with a wide margin:
# timeout: 90
. /host/lib.sh
S=edit
export TERM=xterm-256color
step "start cgtui-target.service"
systemd-run --quiet --unit=cgtui-target.service -p MemoryAccounting=yes sleep 600 || fail "cannot start the target"
svc=/system.slice/cgtui-target.service
wait_for 30 test -e /sys/fs/cgroup$svc/memory.max

step "start the TUI"
tmux -L $S new-session -d -s $S -x 150 -y 45 "TERM=xterm-256color cgtui --root $svc --interval 1"
pane_wait root $S "cgtui-target.service" 60000 >/dev/null || fail "the TUI never showed the service"
nap 1
step "e, Enter, 256M"
tmux -L $S send-keys -t $S e
pane_wait root $S "limits of" 30000 >/dev/null || fail "e did not open the limits form"
tmux -L $S send-keys -t $S Enter
pane_wait root $S "memory.max of" 30000 >/dev/null || fail "Enter did not open memory.max"
tmux -L $S send-keys -t $S C-u 256M Enter
# Every write asks first, the limits form's too.
pane_wait root $S "set: confirm" 30000 >/dev/null || fail "Enter did not ask to confirm"
tmux -L $S send-keys -t $S y
step "wait for memory.max to hold 256M"
memory_max_is_256m() { [ "$(cat /sys/fs/cgroup$svc/memory.max)" = 268435456 ]; }
wait_for 30 memory_max_is_256m
pane_capture root $S
[ "$(cat /sys/fs/cgroup$svc/memory.max)" = 268435456 ] || fail "memory.max holds $(cat /sys/fs/cgroup$svc/memory.max)"
check "memory.max set through keys" yes
[ "$(systemctl show -p MemoryMax --value cgtui-target.service)" = 268435456 ] || fail "not through systemd"
check "the TUI went through systemd" yes
tmux -L $S send-keys -t $S q
tmux -L $S kill-server 2>/dev/null
systemctl stop cgtui-target.service
exit 0

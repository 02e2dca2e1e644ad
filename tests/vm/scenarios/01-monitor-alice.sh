# Scenario: alice watches her tree live. cgtui runs in tmux, in a scope of alice's own.
# Measured: 7 s idle, 12-24 s on a busy 2-CPU host (docs/src/testing.md, Budgets); budget with a wide margin:
# timeout: 120
. /host/lib.sh
S=mon
# Root drives alice's tmux server through its socket (one process; as_alice costs a runuser).
pane_keys() {
    tmux -S /tmp/tmux-1000/$S send-keys -t $S "$@"
}

# The tmux server lives in a transient scope under alice's user manager, so cgtui (its child)
# runs in alice's delegated subtree, as it would from her login shell.
step "start tmux in alice's scope cgtui-mon.scope"
as_alice systemd-run --user --scope --quiet --unit=cgtui-mon.scope \
    tmux -L $S new-session -d -s $S -x 150 -y 50 bash --norc --noprofile || fail "cannot start tmux as alice"
step "start cgtui as alice and wait for its tree"
pane_keys 'cgtui --interval 60; echo CGTUI-EXIT=$?' Enter
pane_wait alice $S "user@1000.service" 60000 >/dev/null || fail "the tree never showed user@1000.service"
nap 0.5
screen=$(pane_capture alice $S)
echo "$screen"

step "check the tree and the selection"
for name in user.slice user-1000.slice user@1000.service; do
    grep -qF " $name" <<<"$screen" || fail "the tree does not show $name"
    check "tree shows $name" yes
done

pid=$(pgrep -u alice -x cgtui | head -1)
[ -n "$pid" ] || fail "no cgtui process of alice"
own=$(sed -n 's/^0:://p' "/proc/$pid/cgroup")
echo "cgtui runs in $own"
grep -qF "cgtui-mon.scope ◂ cgtui" <<<"$screen" || fail "cgtui's own row is not marked"
# The details pane's first line is the selected cgroup's path.
grep -qxF "$own" <<<"$(sed 's/ *$//; s/  .*$//' <<<"$screen")" || fail "the selection does not start on $own"
check "selection starts on own cgroup" yes

# A new scope: with a 60 s poll interval, only inotify can make its row appear within 2 s.
# The 2 s count from the moment its cgroup exists: systemd-run's own start (runuser, D-Bus to
# alice's manager) is not cgtui's latency and takes seconds on a busy host.
probe=probe-$RANDOM.scope
step "start $probe and wait for its cgroup"
as_alice systemd-run --user --scope --quiet --unit=$probe sleep 30 &
wait_for 60 test -d "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/$probe" ||
    fail "systemd-run did not create $probe within 60 s"
step "wait for $probe's row"
ms=$(pane_wait alice $S "$probe" 2000) || fail "the new scope $probe did not appear within 2 s of its cgroup"
echo "new scope row $ms ms after its cgroup appeared"
check "new scope appears within 2 s" yes

step "help on ?"
pane_keys '?'
pane_wait alice $S "cgtui help" 30000 >/dev/null || fail "? did not show help"
check "help on ?" yes
step "quit with q"
pane_keys x
pane_keys q
pane_wait alice $S "CGTUI-EXIT=0" 30000 >/dev/null || fail "q did not exit cleanly"
alt=$(tmux -S /tmp/tmux-1000/$S display-message -p -t $S '#{alternate_on}')
[ "$alt" = 0 ] || fail "the alternate screen is still on after q"
as_alice stty -a </dev/null >/dev/null 2>&1 || true
check "q restores the terminal" yes
tmux -S /tmp/tmux-1000/$S kill-server
kill %1 2>/dev/null
exit 0

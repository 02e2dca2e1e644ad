# Scenario: alice watches her tree live. cgtui runs in tmux, in a scope of alice's own.
. /host/lib.sh
S=mon

# The tmux server lives in a transient scope under alice's user manager, so cgtui (its child)
# runs in alice's delegated subtree, as it would from her login shell.
as_alice systemd-run --user --scope --quiet --unit=cgtui-mon.scope \
    tmux -L $S new-session -d -s $S -x 150 -y 50 bash --norc --noprofile || fail "cannot start tmux as alice"
as_alice tmux -L $S send-keys -t $S 'cgtui --interval 60; echo CGTUI-EXIT=$?' Enter
pane_wait alice $S "user@1000.service" 20000 >/dev/null || fail "the tree never showed user@1000.service"
sleep 0.5
screen=$(pane_capture alice $S)
echo "$screen"

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
probe=probe-$RANDOM.scope
as_alice systemd-run --user --scope --quiet --unit=$probe sleep 30 &
ms=$(pane_wait alice $S "$probe" 2000) || fail "the new scope $probe did not appear within 2 s"
echo "new scope row after $ms ms"
check "new scope appears within 2 s" yes

as_alice tmux -L $S send-keys -t $S '?'
pane_wait alice $S "cgtui help" 3000 >/dev/null || fail "? did not show help"
check "help on ?" yes
as_alice tmux -L $S send-keys -t $S x
as_alice tmux -L $S send-keys -t $S q
pane_wait alice $S "CGTUI-EXIT=0" 5000 >/dev/null || fail "q did not exit cleanly"
alt=$(as_alice tmux -L $S display-message -p -t $S '#{alternate_on}')
[ "$alt" = 0 ] || fail "the alternate screen is still on after q"
as_alice stty -a </dev/null >/dev/null 2>&1 || true
check "q restores the terminal" yes
as_alice tmux -L $S kill-server
kill %1 2>/dev/null
exit 0

# Scenario: alice makes a delegated playground without root and uses it end to end.
# Measured: 10 s idle, 16-47 s on a busy 2-CPU host (docs/src/testing.md, Budgets); budget with a wide margin:
# timeout: 150
. /host/lib.sh

step "cgtui delegate"
made=$(as_alice cgtui delegate --json) || fail "cgtui delegate failed: $made"
echo "$made"
scope=$(jq -r .cgroup <<<"$made")
unit=$(jq -r .unit <<<"$made")
pid=$(jq -r .pid <<<"$made")
dir=/sys/fs/cgroup$scope
[ -d "$dir" ] || fail "no directory $dir"
[[ $scope == /user.slice/user-1000.slice/user@1000.service/* ]] || fail "not under alice's user manager: $scope"
[ "$(stat -c %U "$dir")" = alice ] || fail "alice does not own $dir"
[ "$(stat -c %U "$dir/cgroup.subtree_control")" = alice ] || fail "alice does not own its subtree_control"
check "playground owned by alice" yes

step "enable memory with the placeholder inside"
# The placeholder sits in the scope itself: enabling memory there breaks no-internal-process.
out=$(as_alice cgtui set "$scope" cgroup.subtree_control +memory --json); code=$?
echo "$out"
[ $code = 1 ] || fail "enabling memory with a process inside should fail"
jq -e '.errno == "EBUSY" and .rule == "no-internal-process"' <<<"$out" >/dev/null || fail "expected EBUSY no-internal-process"
check "EBUSY no-internal-process in the playground" yes

step "move the placeholder to a leaf"
as_alice cgtui mkdir "$scope/leaf" --json | jq -e '.result == "ok"' >/dev/null || fail "mkdir leaf"
out=$(as_alice cgtui move "$pid" "$scope/leaf" --json)
echo "$out"
jq -e --arg to "$scope/leaf" '.result == "ok" and .after == $to' <<<"$out" >/dev/null || fail "moving the placeholder"
check "placeholder moved to a leaf" yes

step "enable memory and pids"
out=$(as_alice cgtui set "$scope" cgroup.subtree_control "+memory +pids" --json)
echo "$out"
jq -e '.result == "ok" and .via == "fs" and (.warnings | length) == 0' <<<"$out" >/dev/null || fail "enable memory pids"
check "controllers enabled inside" yes

step "memory.max in a child"
as_alice cgtui mkdir "$scope/c0" --json | jq -e '.result == "ok"' >/dev/null || fail "mkdir c0"
out=$(as_alice cgtui set "$scope/c0" memory.max 64M --json)
echo "$out"
jq -e '.result == "ok" and .via == "fs" and .after == "67108864"' <<<"$out" >/dev/null || fail "memory.max in c0"
[ "$(cat "$dir/c0/memory.max")" = 67108864 ] || fail "the file does not hold 64M"
check "memory.max set in a child" yes

step "move within the playground"
# Moving between two cgroups of her own subtree works (containment is satisfied)...
as_alice cgtui move "$pid" "$scope/c0" --json | jq -e '.result == "ok"' >/dev/null || fail "move within the playground"
check "move within own subtree" yes

step "stop the playground"
as_alice cgtui delegate --stop "$unit" || fail "stopping the playground"
wait_for 30 test ! -d "$dir"
[ ! -d "$dir" ] || fail "$dir is still there after stopping"
check "playground stopped" yes
exit 0

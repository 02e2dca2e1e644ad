# Scenario: as root, MemoryMax of a real system service goes through systemd's D-Bus API.
# Measured: 5 s idle, 7-19 s on a busy 2-CPU host (docs/src/testing.md, Budgets); budget with a wide margin:
# timeout: 90
. /host/lib.sh
svc=/system.slice/systemd-journald.service

step "set memory.max through systemd"
out=$(cgtui set $svc memory.max 300M --json) || fail "set failed: $out"
echo "$out"
jq -e '.result == "ok" and .via == "systemd" and .after == "314572800"' <<<"$out" >/dev/null || fail "not applied via systemd"
check "routed through systemd" yes
[ "$(systemctl show -p MemoryMax --value systemd-journald.service)" = 314572800 ] || fail "systemctl show disagrees"
check "systemctl show agrees" yes

step "forced raw write"
# A forced raw write is allowed but warns about the single-writer rule.
out=$(cgtui set $svc memory.high 400M --via fs --json)
echo "$out"
jq -e '.result == "ok" and .via == "fs" and (.warnings[0] | test("systemd-managed"))' <<<"$out" >/dev/null || fail "raw write warning"
check "raw write warns" yes

step "undo twice"
# Undo goes back through systemd.
out=$(cgtui undo --json)
echo "$out"
out=$(cgtui undo --json)
echo "$out"
jq -e '.via == "systemd" and .file == "memory.max"' <<<"$out" >/dev/null || fail "undo of the systemd change"
[ "$(systemctl show -p MemoryMax --value systemd-journald.service)" = infinity ] || fail "MemoryMax not restored: $(systemctl show -p MemoryMax --value systemd-journald.service)"
check "undo restores via systemd" yes

step "persist"
# Persisting writes a drop-in.
out=$(cgtui set $svc pids.max 4000 --persist --json)
echo "$out"
ls /etc/systemd/system.control/systemd-journald.service.d/ | grep -q TasksMax || fail "no persistent drop-in"
check "persist writes a drop-in" yes
exit 0

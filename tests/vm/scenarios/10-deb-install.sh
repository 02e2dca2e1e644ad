# Scenario: the Debian package (packaging/deb.sh, built by run.sh) installs with dpkg -i, its
# binary, man page and bash completion work, and dpkg -r leaves nothing of it behind.
# Measured: 99 s under TCG on this 2-CPU machine busy with other builds (load 10); budget with a wide margin:
# timeout: 240
. /host/lib.sh

step "dpkg -i"
before=$(find /usr /etc -xdev | sort)
dpkg -i /host/cgtui.deb >/tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; fail "dpkg -i failed"; }
check "dpkg -i" yes
files=$(dpkg -L cgtui)
echo "$files"

step "cgtui --version"
version=$(/usr/bin/cgtui --version) || fail "cgtui --version failed"
[[ $version == "cgtui "* ]] || fail "cgtui --version printed: $version"
check "cgtui --version" yes

step "man cgtui"
MANPAGER=cat MANWIDTH=100 man cgtui >/tmp/man.txt 2>/tmp/man.err || { cat /tmp/man.err; fail "man cgtui failed"; }
grep -q "resolve-names" /tmp/man.txt && grep -q "^FILES" /tmp/man.txt || { head -40 /tmp/man.txt; fail "man cgtui is not cgtui's page"; }
MANPAGER=cat man cgtui-snapshot >/dev/null 2>&1 || fail "man cgtui-snapshot failed"
check "man cgtui" yes

step "bash completion from the package"
got=$(bash --norc -c 'source /usr/share/bash-completion/completions/cgtui; COMP_WORDS=(cgtui sn); COMP_CWORD=1; _cgtui cgtui sn cgtui; echo "${COMPREPLY[@]}"')
[ "$got" = snapshot ] || fail "bash completion of 'cgtui sn' gave: $got"
check "bash completion" yes

step "the packaged binary monitors"
/usr/bin/cgtui snapshot --json | jq -e '.cgroups | length > 5' >/dev/null || fail "snapshot from the package failed"

step "dpkg -r"
dpkg -r cgtui >/tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; fail "dpkg -r failed"; }
status=$(dpkg-query -W -f='${Status}' cgtui 2>/dev/null || true)
[[ $status != *" installed" ]] || fail "still installed: $status"
after=$(find /usr /etc -xdev | sort)
left=$(comm -13 <(echo "$before") <(echo "$after") | grep -v '^/var/cache/man' || true)
[ -z "$left" ] || fail "left behind: $left"
command -v cgtui >/dev/null && [ "$(command -v cgtui)" = /usr/bin/cgtui ] && fail "/usr/bin/cgtui remains"
check "dpkg -r leaves nothing" yes
exit 0

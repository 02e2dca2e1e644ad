# Helpers for VM scenarios (sourced by each scenario inside the guest, as root).

ALICE_ENV=(XDG_RUNTIME_DIR=/run/user/1000 DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus
    HOME=/home/alice USER=alice LOGNAME=alice PATH=/host/bin:/usr/bin:/bin TERM=xterm-256color LANG=C.UTF-8)

# Run a command as alice, with her user manager's bus.
as_alice() {
    runuser -u alice -- env "${ALICE_ENV[@]}" "$@"
}

# Run a command as bob (no lingering user manager).
as_bob() {
    runuser -u bob -- env HOME=/home/bob USER=bob PATH=/host/bin:/usr/bin:/bin TERM=xterm-256color LANG=C.UTF-8 "$@"
}

fail() {
    echo "FAIL: $*"
    exit 1
}

# A fact the .expected file can require: `CHECK name: value`.
check() {
    echo "CHECK $1: $2"
}

# Milliseconds since the epoch.
now_ms() {
    date +%s%3N
}

# pane_wait USER SOCKET TEXT TIMEOUT_MS: wait until tmux pane shows TEXT; prints elapsed ms.
pane_wait() {
    local user=$1 socket=$2 text=$3 limit=$4 start
    start=$(now_ms)
    while true; do
        if pane_capture "$user" "$socket" | grep -qF -- "$text"; then
            echo $(($(now_ms) - start))
            return 0
        fi
        if [ $(($(now_ms) - start)) -gt "$limit" ]; then
            echo "timeout waiting ${limit} ms for: $text" >&2
            pane_capture "$user" "$socket" >&2
            return 1
        fi
        sleep 0.05
    done
}

pane_capture() {
    local user=$1 socket=$2
    if [ "$user" = alice ]; then
        as_alice tmux -L "$socket" capture-pane -p -t "$socket"
    else
        tmux -L "$socket" capture-pane -p -t "$socket"
    fi
}

# --- prediction accuracy rows -------------------------------------------------------------
ROWS=0
DIFFS=0

# Run a command as ACTOR: root, alice, bob, or ns (alice inside a user + cgroup namespace
# rooted at $NS_ROOT, a cgroup below her playground, so that nsdelegate applies).
run_as() {
    local actor=$1
    shift
    case $actor in
        root) "$@" ;;
        alice) as_alice "$@" ;;
        bob) as_bob "$@" ;;
        ns) sh -c 'echo $$ > "/sys/fs/cgroup$0/cgroup.procs" && exec setpriv --reuid=alice --regid=alice --init-groups \
                env HOME=/home/alice PATH=/host/bin:/usr/bin:/bin unshare --user --map-root-user --cgroup "$@"' "$NS_ROOT" "$@" ;;
    esac
}

# expect ACTOR ERRNO|allowed RULE -- cgtui-operation...
# Predicts with `cgtui check`, then really performs the operation (a set unchecked and written
# directly, so the kernel judges the raw value) and compares the verdicts and errnos.
expect() {
    local actor=$1 want=$2 rule=$3
    shift 4
    local check done predicted prule kernel
    check=$(run_as "$actor" cgtui check "$@" --json 2>&1)
    if [ "$1" = set ]; then
        done=$(run_as "$actor" cgtui "$@" --via fs --unchecked --json 2>&1)
    else
        done=$(run_as "$actor" cgtui "$@" --json 2>&1)
    fi
    predicted=$(jq -r '.errno // "allowed"' <<<"$check" 2>/dev/null || echo "not-json")
    prule=$(jq -r '.rule' <<<"$check" 2>/dev/null || echo "?")
    kernel=$(jq -r 'if .result == "ok" then "allowed" else (.errno // "refused-before-kernel") end' <<<"$done" 2>/dev/null || echo "not-json")
    ROWS=$((ROWS + 1))
    if [ "$predicted" = "$kernel" ] && [ "$predicted" = "$want" ] && [ "$prule" = "$rule" ]; then
        printf 'ok   %-6s %-9s %-26s %s\n' "$actor" "$predicted" "$prule" "$*"
    else
        DIFFS=$((DIFFS + 1))
        printf 'DIFF %-6s %s\n     predicted %s [%s], kernel %s, expected %s [%s]\n     check: %s\n     done:  %s\n' \
            "$actor" "$*" "$predicted" "$prule" "$kernel" "$want" "$rule" "$check" "$done"
    fi
}

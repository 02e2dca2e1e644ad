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

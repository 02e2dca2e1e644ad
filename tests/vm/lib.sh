# shellcheck shell=bash
# Helpers for VM scenarios (sourced by each scenario inside the guest, as root).

# The binaries run.sh wrote into the guest's disk: started from 9p, every page of a 40 MB
# binary is fetched from the host on first touch, which made each cgtui start 2-8x slower.
BIN=/opt/cgtui/bin
ALICE_ENV=(XDG_RUNTIME_DIR=/run/user/1000 DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus
    HOME=/home/alice USER=alice LOGNAME=alice "PATH=$BIN:/usr/bin:/bin" TERM=xterm-256color LANG=C.UTF-8)

# Run a command as alice, with her user manager's bus.
as_alice() {
    runuser -u alice -- env "${ALICE_ENV[@]}" "$@"
}

# Run a command as bob (no lingering user manager).
as_bob() {
    runuser -u bob -- env HOME=/home/bob USER=bob PATH=$BIN:/usr/bin:/bin TERM=xterm-256color LANG=C.UTF-8 "$@"
}

fail() {
    echo "FAIL: $*"
    exit 1
}

# A fact the .expected file can require: `CHECK name: value`.
check() {
    echo "CHECK $1: $2"
}

# Milliseconds since the epoch, in REPLY (no subshell: under TCG every fork costs ~0.1 s).
ms_now() {
    local us=${EPOCHREALTIME/[.,]/}
    REPLY=$((us / 1000))
}

# Milliseconds since the epoch.
now_ms() {
    ms_now
    echo "$REPLY"
}

# step TEXT: what the scenario is doing now. Logged with the seconds since the scenario began,
# and kept in the harness's step file, which it prints if the scenario runs out of time.
step() {
    ms_now
    printf -- '-- %6.1f s  %s\n' "$(((REPLY - ${CGTUI_SCENARIO_START_MS:-$REPLY}) / 100))e-1" "$*"
    [ -n "${CGTUI_STEP_FILE:-}" ] && printf '%s\n' "$*" >"$CGTUI_STEP_FILE" 2>/dev/null
    return 0
}

# nap SECONDS: sleep without starting a process.
nap() {
    [ -n "${NAP_FD:-}" ] || exec {NAP_FD}<> <(:)
    read -r -t "$1" -u "$NAP_FD" || true
}

# wait_for SECONDS COMMAND...: poll COMMAND until it succeeds; false after SECONDS.
wait_for() {
    local limit=$(($1 * 1000)) start
    shift
    ms_now
    start=$REPLY
    until "$@"; do
        ms_now
        [ $((REPLY - start)) -lt "$limit" ] || return 1
        nap 0.1
    done
}

# pane_wait USER SOCKET TEXT TIMEOUT_MS: wait until tmux pane shows TEXT; prints elapsed ms.
pane_wait() {
    local user=$1 socket=$2 text=$3 limit=$4 start screen
    ms_now
    start=$REPLY
    while true; do
        screen=$(pane_capture "$user" "$socket")
        if [[ $screen == *"$text"* ]]; then
            ms_now
            echo $((REPLY - start))
            return 0
        fi
        ms_now
        if [ $((REPLY - start)) -gt "$limit" ]; then
            echo "timeout waiting ${limit} ms for: $text" >&2
            printf '%s\n' "$screen" >&2
            return 1
        fi
        nap 0.05
    done
}

# Root reads alice's panes through her server's socket: one process, no runuser.
pane_capture() {
    local user=$1 socket=$2
    if [ "$user" = alice ]; then
        tmux -S "/tmp/tmux-1000/$socket" capture-pane -p -t "$socket"
    else
        tmux -L "$socket" capture-pane -p -t "$socket"
    fi
}

# --- prediction accuracy rows -------------------------------------------------------------
# Each row is predicted with `cgtui check` and then really performed. Starting processes is
# what costs under TCG (runuser and jq about a second each, cgtui half a second), so rows are
# queued by `expect` and `run_matrix` runs each run of consecutive rows of one actor in one
# shell as that actor, then judges every row with one jq.
MATRIX_ACTORS=()
MATRIX_WANT=()
MATRIX_RULE=()
MATRIX_ARGS=()
MATRIX_SHOWN=()

# Run a command as ACTOR: root, alice, bob, or ns (alice inside a user + cgroup namespace
# rooted at $NS_ROOT, a cgroup below her playground, so that nsdelegate applies).
run_as() {
    local actor=$1
    shift
    case $actor in
        root) "$@" ;;
        alice) as_alice "$@" ;;
        bob) as_bob "$@" ;;
        ns) sh -c 'bin=$1 && shift && echo $$ > "/sys/fs/cgroup$0/cgroup.procs" && exec setpriv --reuid=alice --regid=alice \
                --init-groups env HOME=/home/alice PATH=$bin:/usr/bin:/bin unshare --user --map-root-user --cgroup "$@"' \
                "$NS_ROOT" "$BIN" "$@" ;;
    esac
}

# expect ACTOR ERRNO|allowed RULE -- cgtui-operation...
# Queues a row: `cgtui check OPERATION` must predict ERRNO (or allowed) and RULE, and the
# operation really performed (a set unchecked and written directly, so the kernel judges the
# raw value) must get the same verdict and errno.
expect() {
    local quoted
    MATRIX_ACTORS+=("$1")
    MATRIX_WANT+=("$2")
    MATRIX_RULE+=("$3")
    shift 4
    printf -v quoted '%q ' "$@"
    MATRIX_ARGS+=("$quoted")
    MATRIX_SHOWN+=("$*")
}

# Runs in the actor's shell: reads `INDEX<TAB>QUOTED-ARGS` rows, prints
# `INDEX<TAB>CHECK-OUTPUT<TAB>OPERATION-OUTPUT` (tabs and newlines in outputs made spaces).
matrix_batch() {
    local actor=$1 index quoted predicted performed
    while IFS=$'\t' read -r index quoted; do
        eval "set -- $quoted"
        step "row $((index + 1)) as $actor: $*" >&2
        predicted=$(cgtui check "$@" --json 2>&1 </dev/null)
        if [ "$1" = set ]; then
            performed=$(cgtui "$@" --via fs --unchecked --json 2>&1 </dev/null)
        else
            performed=$(cgtui "$@" --json 2>&1 </dev/null)
        fi
        printf '%s\t%s\t%s\n' "$index" "${predicted//[$'\t\n']/ }" "${performed//[$'\t\n']/ }"
    done
}

# Runs the queued rows, prints one line per row and sets ROWS and DIFFS.
run_matrix() {
    local dir i=0 j n=${#MATRIX_ACTORS[@]} actor index predicted prule kernel verdicts line
    local -A p_errno p_rule k_verdict outputs
    dir=$(mktemp -d /tmp/matrix.XXXXXX)
    chmod 755 "$dir"
    : >"$dir/results"
    while [ "$i" -lt "$n" ]; do
        actor=${MATRIX_ACTORS[i]}
        j=$i
        : >"$dir/batch"
        while [ "$j" -lt "$n" ] && [ "${MATRIX_ACTORS[j]}" = "$actor" ]; do
            printf '%s\t%s\n' "$j" "${MATRIX_ARGS[j]}" >>"$dir/batch"
            j=$((j + 1))
        done
        step "matrix rows $((i + 1))-$j of $n as $actor"
        # shellcheck disable=SC2016 # expanded by the actor's shell
        run_as "$actor" bash -c '. /host/lib.sh && matrix_batch "$0"' "$actor" <"$dir/batch" >>"$dir/results"
        i=$j
    done
    step "judging $n rows"
    # One jq for all rows: INDEX, predicted errno or allowed, predicted rule, kernel's verdict.
    verdicts=$(jq -R -r 'split("\t") | [.[0],
        ((.[1] // "" | fromjson? // null) | if type == "object" then (.errno // "allowed"), (.rule | tostring) else "not-json", "?" end),
        ((.[2] // "" | fromjson? // null) | if type == "object" then (if .result == "ok" then "allowed" else (.errno // "refused-before-kernel") end) else "not-json" end)
        ] | @tsv' "$dir/results") || fail "jq could not read the matrix results"
    while IFS=$'\t' read -r index predicted prule kernel; do
        [ -n "$index" ] || continue
        p_errno[$index]=$predicted
        p_rule[$index]=$prule
        k_verdict[$index]=$kernel
    done <<<"$verdicts"
    while IFS= read -r line; do
        [ -n "$line" ] || continue
        outputs[${line%%$'\t'*}]=${line#*$'\t'}
    done <"$dir/results"
    ROWS=0
    DIFFS=0
    for ((i = 0; i < n; i++)); do
        ROWS=$((ROWS + 1))
        predicted=${p_errno[$i]:-no-result}
        prule=${p_rule[$i]:-?}
        kernel=${k_verdict[$i]:-no-result}
        if [ "$predicted" = "$kernel" ] && [ "$predicted" = "${MATRIX_WANT[i]}" ] && [ "$prule" = "${MATRIX_RULE[i]}" ]; then
            printf 'ok   %-6s %-9s %-26s %s\n' "${MATRIX_ACTORS[i]}" "$predicted" "$prule" "${MATRIX_SHOWN[i]}"
        else
            DIFFS=$((DIFFS + 1))
            printf 'DIFF %-6s %s\n     predicted %s [%s], kernel %s, expected %s [%s]\n     check: %s\n     done:  %s\n' \
                "${MATRIX_ACTORS[i]}" "${MATRIX_SHOWN[i]}" "$predicted" "$prule" "$kernel" "${MATRIX_WANT[i]}" \
                "${MATRIX_RULE[i]}" "${outputs[$i]%%$'\t'*}" "${outputs[$i]#*$'\t'}"
        fi
    done
    rm -rf "$dir"
}

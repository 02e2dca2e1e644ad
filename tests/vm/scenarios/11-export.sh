# Scenario: a real Prometheus (Debian's, unpacked on the host by tests/tools/prometheus.sh)
# scrapes `cgtui export` every 2 s. Through its HTTP API: a service's memory matches what
# `systemctl show -p MemoryCurrent` says, and rate() of a busy service's CPU is about one CPU.
# needs: prometheus
# Measured: 80 s on a busy host (Prometheus up after 28 s under TCG); budget with a wide margin:
# timeout: 420
. /host/lib.sh
work=$(mktemp -d /tmp/cgtui-export.XXXXXX)

# GET PATH from 127.0.0.1:PORT with bash alone (the guest has no curl): the body on stdout.
http_get() {
    local port=$1 path=$2
    exec {fd}<>"/dev/tcp/127.0.0.1/$port" || return 1
    printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "$path" >&$fd
    sed '1,/^\r*$/d' <&$fd
    exec {fd}<&-
}

# An instant query's first value, or nothing.
query() {
    local q
    q=$(jq -rn --arg q "$1" '$q|@uri')
    http_get 9090 "/api/v1/query?query=$q" 2>/dev/null | jq -r '.data.result[0].value[1] // empty' 2>/dev/null
}

step "start a busy service and cgtui export"
systemd-run --quiet --unit=cgtui-busy.service -p CPUAccounting=yes /bin/sh -c 'while :; do :; done' ||
    fail "cannot start the busy service"
"$BIN/cgtui" export --listen 127.0.0.1:9659 >"$work/export.log" 2>&1 &
export_pid=$!
wait_for 30 grep -q "serving http://127.0.0.1:9659/metrics" "$work/export.log" ||
    fail "cgtui export did not start: $(cat "$work/export.log")"
http_get 9659 /metrics >"$work/metrics.txt" || fail "cannot scrape cgtui export"
# Workload labels follow the systemd ones.
grep -Eq '^cgroup_memory_usage_bytes\{cgroup="/system.slice/systemd-journald.service",unit="systemd-journald.service",slice="system.slice"(,workload_kind="service",workload_name="systemd-journald")?\} ' "$work/metrics.txt" ||
    fail "no memory series for systemd-journald.service: $(grep -m3 journald "$work/metrics.txt")"
check "exposition labels units" yes

step "start Prometheus"
cat >"$work/prometheus.yml" <<'YML'
global:
  scrape_interval: 2s
  scrape_timeout: 2s
scrape_configs:
  - job_name: cgtui
    static_configs:
      - targets: ['127.0.0.1:9659']
YML
"$BIN/prometheus" --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
    --web.listen-address=127.0.0.1:9090 >"$work/prometheus.log" 2>&1 &
prometheus_pid=$!
trap 'kill $prometheus_pid $export_pid 2>/dev/null; systemctl stop cgtui-busy.service 2>/dev/null' EXIT
up() { [ "$(query 'up{job="cgtui"}')" = 1 ]; }
wait_for 180 up || fail "Prometheus never scraped cgtui: $(tail -5 "$work/prometheus.log")"
check "Prometheus scrapes cgtui export" yes

step "let Prometheus gather 30 s of scrapes"
nap 30

step "compare a service's memory with systemd's"
# The busy service's memory stands still (a shell loop allocates nothing), so a scrape up to
# 2 s before systemd's read must agree closely; journald's moved by 2 MB within that window
# on a busy guest.
prom=$(query 'cgroup_memory_usage_bytes{unit="cgtui-busy.service"}')
systemd=$(systemctl show -p MemoryCurrent --value cgtui-busy.service)
echo "memory of cgtui-busy.service: Prometheus $prom, systemd $systemd"
[ -n "$prom" ] && [ -n "$systemd" ] || fail "no value (Prometheus: '$prom', systemd: '$systemd')"
awk -v s="$systemd" 'BEGIN { exit !(s > 0) }' || fail "systemd says the busy service holds no memory"
# Within 10 % or 256 KiB.
awk -v p="$prom" -v s="$systemd" 'BEGIN { d = p - s; if (d < 0) d = -d; exit !(d <= 262144 || d <= s / 10) }' ||
    fail "memory differs: Prometheus $prom, systemd $systemd"
check "memory matches systemctl show" yes

step "rate of the busy service's CPU"
rate=$(query 'rate(cgroup_cpu_usage_seconds_total{unit="cgtui-busy.service"}[20s])')
echo "rate(cgroup_cpu_usage_seconds_total{unit=\"cgtui-busy.service\"}[20s]) = $rate"
[ -n "$rate" ] || fail "no CPU rate for the busy service"
awk -v r="$rate" 'BEGIN { exit !(r >= 0.7 && r <= 1.2) }' || fail "busy service's CPU rate $rate is not about 1"
check "busy cgroup uses about one CPU" yes

step "PromQL from the manual (docs/src/export.md): top memory cgroups, OOM kills, throttling, PSI"
top=$(query 'topk(5, cgroup_memory_usage_bytes{cgroup!="/"})')
[ -n "$top" ] || fail "topk of memory is empty"
[ -n "$(query 'sum by (unit) (increase(cgroup_memory_events_total{event="oom_kill"}[1h]))')" ] ||
    fail "no OOM-kill counters"
[ -n "$(query 'rate(cgroup_pressure_cpu_waiting_seconds_total{unit="cgtui-busy.service"}[20s])')" ] ||
    fail "no CPU pressure for the busy service"
check "the manual's queries answer" yes
systemctl stop cgtui-busy.service
exit 0

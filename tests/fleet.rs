//! `cgtui snapshot --prometheus` against a real Prometheus (issue 28, item 3): Prometheus on
//! loopback scrapes two `cgtui export` processes, each serving its own tree (the fixture, and
//! a copy of it with one cgroup more and other values), as two instances. Each instance's
//! `snapshot --prometheus --json` must list exactly that tree's cgroups with the values a
//! local `snapshot --json` of the same tree reads (the fixture's files never change, so
//! "within one scrape" is equality), and the instance list must name both.
//!
//! Prometheus is Debian's package, unpacked by tests/tools/prometheus.sh
//! (/opt/cgtui-ci/prometheus; `PROMETHEUS` may point at another binary): without it the test
//! skips with a reason, except in CI (`CI=true`). Everything listens on 127.0.0.1 and every
//! process is stopped at the end, also when the test fails.

mod common;

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

/// `cgtui --fixture DIR export` on a port the kernel picks: the child and its address.
fn start_exporter(tree: &Path) -> (Child, String) {
    let fixture = tree.to_str().unwrap();
    let (child, serving) =
        common::start_export(&["--fixture", fixture, "export", "--listen", "127.0.0.1:0"]);
    let address = serving
        .strip_prefix("http://")
        .and_then(|rest| rest.strip_suffix("/metrics"))
        .unwrap_or_else(|| panic!("cgtui export serves {serving:?}"))
        .to_string();
    (child, address)
}

/// A TCP port free on loopback a moment ago (Prometheus cannot be asked to pick one).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a port on loopback")
        .port()
}

fn cgtui(args: &[&str]) -> Output {
    Command::new(common::binary())
        .args(args)
        .output()
        .expect("run cgtui")
}

fn json(output: &Output, what: &str) -> Value {
    assert!(
        output.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{what}: not JSON: {e}"))
}

/// The fixture with one cgroup more and other values: a second host.
fn second_tree(dir: &Path) -> PathBuf {
    let copy = dir.join("host-b");
    let status = Command::new("cp")
        .args(["-a"])
        .arg(common::fixture())
        .arg(&copy)
        .status()
        .expect("run cp");
    assert!(status.success(), "copy the fixture");
    let service = copy.join("system.slice/fxload.service");
    let status = Command::new("cp")
        .args(["-a"])
        .arg(&service)
        .arg(copy.join("system.slice/only-on-b.service"))
        .status()
        .expect("run cp");
    assert!(status.success(), "copy a cgroup");
    std::fs::write(service.join("memory.current"), "123456789\n").unwrap();
    std::fs::write(
        service.join("cpu.stat"),
        "usage_usec 987654321\nuser_usec 600000000\nsystem_usec 387654321\n\
         nr_periods 50\nnr_throttled 7\nthrottled_usec 4242\n",
    )
    .unwrap();
    copy
}

/// What the exporter's metrics carry of a cgroup in `snapshot --json`, by field.
fn carried(cgroup: &Value) -> BTreeMap<String, Value> {
    let mut fields = BTreeMap::new();
    let mut take = |name: &str, pointer: &str| {
        fields.insert(
            name.to_string(),
            cgroup.pointer(pointer).cloned().unwrap_or(Value::Null),
        );
    };
    for key in [
        "usage_usec",
        "user_usec",
        "system_usec",
        "nr_periods",
        "nr_throttled",
        "throttled_usec",
    ] {
        take(key, &format!("/cpu/{key}"));
    }
    for key in [
        "current",
        "swap_current",
        "max",
        "high",
        "low",
        "min",
        "limit",
        "limit_source",
        "events",
    ] {
        take(&format!("memory.{key}"), &format!("/memory/{key}"));
    }
    for key in ["current", "max", "events"] {
        take(&format!("pids.{key}"), &format!("/pids/{key}"));
    }
    for resource in ["cpu", "memory", "io"] {
        for line in ["some", "full"] {
            take(
                &format!("{resource}.pressure.{line}.total"),
                &format!("/{resource}/pressure/{line}/total"),
            );
        }
    }
    for key in [
        "name",
        "depth",
        "populated",
        "frozen",
        "nr_descendants",
        "nr_dying_descendants",
    ] {
        take(key, &format!("/{key}"));
    }
    // The user's name is the exporting host's (a fixture's .passwd), which a local snapshot
    // of a fixture does not look up: checked on its own below.
    let mut workload = cgroup["workload"].clone();
    if let Some(workload) = workload.as_object_mut() {
        workload.remove("user");
    }
    fields.insert("workload".into(), workload);
    // io.stat's line order is the kernel's; the metrics carry none.
    let mut devices: Vec<Value> = cgroup["io"]["devices"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            serde_json::json!({
                "device": d["device"], "name": d["name"], "rbytes": d["rbytes"],
                "wbytes": d["wbytes"], "rios": d["rios"], "wios": d["wios"],
            })
        })
        .collect();
    devices.sort_by_key(|d| d["device"].as_str().map(str::to_string));
    fields.insert("io.devices".into(), Value::from(devices));
    fields
}

fn by_path(document: &Value) -> BTreeMap<String, Value> {
    document["cgroups"]
        .as_array()
        .expect("cgroups is an array")
        .iter()
        .map(|c| (c["path"].as_str().unwrap().to_string(), c.clone()))
        .collect()
}

#[test]
fn snapshot_over_prometheus_equals_a_local_snapshot_per_instance() {
    let Some(prometheus) = common::prometheus_program("prometheus", "PROMETHEUS") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let trees = [common::fixture(), second_tree(dir.path())];
    let mut processes = common::Killed(Vec::new());
    let mut instances = Vec::new();
    for tree in &trees {
        let (child, address) = start_exporter(tree);
        processes.0.push(child);
        instances.push(address);
    }
    let port = free_port();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: cgtui\n    static_configs:\n      - targets: ['{}', '{}']\n",
            instances[0], instances[1]
        ),
    )
    .unwrap();
    let log = std::fs::File::create(dir.path().join("prometheus.log")).unwrap();
    let child = Command::new(&prometheus)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("start prometheus");
    processes.0.push(child);
    let url = format!("http://127.0.0.1:{port}");

    // Until each instance has two scrapes: its snapshot then has rates (`elapsed`).
    // Prometheus starts in about a second on an idle machine; CI machines are busy.
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut remote = Vec::new();
    for instance in &instances {
        let document = loop {
            let output = cgtui(&[
                "snapshot",
                "--prometheus",
                &url,
                "--instance",
                instance,
                "--json",
            ]);
            if output.status.success() {
                let document = json(&output, "snapshot --prometheus");
                if !document["elapsed"].is_null() {
                    break document;
                }
            }
            assert!(
                Instant::now() < deadline,
                "no two scrapes of {instance} within 180 s: {}; prometheus says: {}",
                String::from_utf8_lossy(&output.stderr),
                std::fs::read_to_string(dir.path().join("prometheus.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(500));
        };
        remote.push(document);
    }

    for ((tree, instance), document) in trees.iter().zip(&instances).zip(&remote) {
        assert_eq!(document["instance"], Value::from(instance.as_str()));
        assert_eq!(document["prometheus"], Value::from(url.as_str()));
        let local = json(
            &cgtui(&["--fixture", tree.to_str().unwrap(), "snapshot", "--json"]),
            "local snapshot",
        );
        let (local, remote) = (by_path(&local), by_path(document));
        assert_eq!(
            local.keys().collect::<Vec<_>>(),
            remote.keys().collect::<Vec<_>>(),
            "{instance}: the cgroups of its tree"
        );
        for (path, local_cgroup) in &local {
            let (want, got) = (carried(local_cgroup), carried(&remote[path]));
            for (field, value) in &want {
                assert_eq!(
                    &got[field], value,
                    "{instance} {path} {field}: Prometheus has {}, the tree {value}",
                    got[field]
                );
            }
            // Two scrapes of counters that do not move: rates known, and zero.
            assert_eq!(
                remote[path]["cpu"]["pct"],
                Value::from(0.0),
                "{path} cpu.pct"
            );
            // What the metrics do not carry is unknown, not made up.
            assert!(remote[path]["inode"].is_null(), "{path} inode");
        }
    }
    // User names are the exporting host's: the fixture's .passwd says uid 1000 is alice.
    let user = "/user.slice/user-1000.slice";
    assert_eq!(
        by_path(&remote[0])[user]["workload"]["user"],
        Value::from("alice")
    );
    // The two instances are two trees.
    let fxload = "/system.slice/fxload.service";
    assert_ne!(
        by_path(&remote[0])[fxload]["memory"]["current"],
        by_path(&remote[1])[fxload]["memory"]["current"]
    );
    assert!(by_path(&remote[1]).contains_key("/system.slice/only-on-b.service"));
    assert!(!by_path(&remote[0]).contains_key("/system.slice/only-on-b.service"));

    // --at: the last scrape at or before it, the same tree (the fixture does not change).
    let newest = remote[0]["timestamp"].as_f64().unwrap();
    let at = format!("{}", newest.floor() as i64);
    let earlier = json(
        &cgtui(&[
            "snapshot",
            "--prometheus",
            &url,
            "--instance",
            &instances[0],
            "--at",
            &at,
            "--json",
        ]),
        "snapshot --prometheus --at",
    );
    let earlier_time = earlier["timestamp"].as_f64().unwrap();
    assert!(
        earlier_time <= newest.floor() && earlier_time > newest - 60.0,
        "--at {at} gave the scrape of {earlier_time}"
    );
    assert_eq!(
        by_path(&earlier).keys().len(),
        by_path(&remote[0]).keys().len()
    );

    // The instance list: both, each with its number of cgroups.
    let list = json(
        &cgtui(&["snapshot", "--prometheus", &url, "--json"]),
        "the instance list",
    );
    let listed: BTreeMap<String, Value> = list["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["instance"].as_str().unwrap().to_string(), i.clone()))
        .collect();
    for (instance, document) in instances.iter().zip(&remote) {
        let summary = &listed[instance];
        assert_eq!(
            summary["cgroups"].as_u64(),
            Some(document["cgroups"].as_array().unwrap().len() as u64),
            "{instance} in the list: {summary}"
        );
        assert_eq!(summary["job"], Value::from("cgtui"));
        assert!(
            summary["memory_bytes"].as_u64().is_some_and(|m| m > 0),
            "{summary}"
        );
    }

    // A subtree and a depth ask for less.
    let subtree = json(
        &cgtui(&[
            "snapshot",
            "--prometheus",
            &url,
            "--instance",
            &instances[1],
            "--prefix",
            "/system.slice",
            "--max-depth",
            "0",
            "--json",
        ]),
        "snapshot --prefix",
    );
    let paths: Vec<&str> = subtree["cgroups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/system.slice"]);

    // An instance Prometheus does not have is named as such, with the ones it has.
    let missing = cgtui(&["snapshot", "--prometheus", &url, "--instance", "nowhere:1"]);
    let said = String::from_utf8_lossy(&missing.stderr);
    assert!(!missing.status.success());
    assert!(
        said.contains("nowhere:1") && said.contains(&instances[0]),
        "{said}"
    );

    tui_over_prometheus(&url, &instances, &trees[1]);
}

/// Type a filter: only the matching cgroups (and their ancestors) are listed.
fn filter(tui: &mut common::Pty, text: &str) {
    tui.send("/");
    tui.send(text);
    tui.send("\r");
}

/// Issue 28 item 2: the TUI over the same Prometheus. The instance picker lists both
/// instances; Enter opens the chosen one's tree (a cgroup only it has), `q` comes back.
/// Then a cgroup is created on the second host: the live tree shows it once scraped, and
/// `replay --prometheus` at a moment before shows the tree without it, then, stepped
/// forward scrape by scrape, with it.
fn tui_over_prometheus(url: &str, instances: &[String], second: &Path) {
    let fixture = common::fixture();
    let fixture = fixture.to_str().unwrap();
    let wait = Duration::from_secs(60);
    let mut tui = common::Pty::spawn(&["--fixture", fixture, "--prometheus", url], 160, 40);
    tui.wait_text("2 instances exporting cgtui's metrics", wait);
    for instance in instances {
        tui.wait_text(instance, wait);
    }
    // The picker lists them by name: go down to the second host's.
    let mut sorted = instances.to_vec();
    sorted.sort();
    let position = sorted.iter().position(|i| *i == instances[1]).unwrap();
    for _ in 0..position {
        tui.send("j");
    }
    tui.wait_text(&format!("> {}", instances[1]), wait);
    tui.send("\r");
    tui.wait_text(&format!("instance {}", instances[1]), wait);
    tui.wait_text("READ-ONLY", wait);
    // The header counts the exporting host's CPUs (cgtui_host_cpus), here this machine's.
    let cpus = cgtui::cgroup::sample::online_cpus().expect("online CPUs");
    let count = if cpus == 1 {
        "1 CPU ".to_string()
    } else {
        format!("{cpus} CPUs")
    };
    tui.wait_text(&count, wait);
    filter(&mut tui, "only-on-b");
    tui.wait_text("only-on-b.service", wait);
    // Back to the picker, then the first host's tree: it has no such cgroup.
    tui.send("q");
    tui.wait_text("2 instances exporting cgtui's metrics", wait);
    let position = sorted.iter().position(|i| *i == instances[0]).unwrap();
    tui.send("g");
    for _ in 0..position {
        tui.send("j");
    }
    tui.wait_text(&format!("> {}", instances[0]), wait);
    tui.send("\r");
    tui.wait_text(&format!("instance {}", instances[0]), wait);
    tui.wait_text("system.slice", wait);
    filter(&mut tui, "only-on-b");
    tui.wait_for("no only-on-b on the first host", wait, |screen| {
        screen.contains("only-on-b") && !screen.contains("only-on-b.service")
    });
    tui.send("q");
    tui.wait_text("2 instances exporting cgtui's metrics", wait);
    tui.send("q");
    assert!(tui.wait_exit(wait), "q in the picker quits");

    // A cgroup appears on the second host after `before`.
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    std::thread::sleep(Duration::from_millis(2500));
    let status = Command::new("cp")
        .args(["-a"])
        .arg(second.join("system.slice/fxload.service"))
        .arg(second.join("system.slice/late.service"))
        .status()
        .expect("run cp");
    assert!(status.success(), "make a cgroup");
    let mut live = common::Pty::spawn(
        &[
            "--fixture",
            fixture,
            "--prometheus",
            url,
            "--instance",
            &instances[1],
        ],
        160,
        40,
    );
    live.wait_text(&format!("instance {}", instances[1]), wait);
    filter(&mut live, "late");
    live.wait_text("late.service", wait);
    live.send("q");
    assert!(live.wait_exit(wait), "q with --instance quits");

    let at = format!("{before:.3}");
    let mut past = common::Pty::spawn(
        &[
            "--fixture",
            fixture,
            "replay",
            "--prometheus",
            url,
            "--instance",
            &instances[1],
            "--at",
            &at,
        ],
        160,
        40,
    );
    past.wait_text("REPLAY ", wait);
    past.wait_text("system.slice", wait);
    filter(&mut past, "late");
    // The moment shown is at or before --at, and the cgroup is not in it.
    let shown = past.wait_for("the replayed time", wait, |screen| {
        screen.contains("REPLAY 2")
    });
    let _ = shown;
    let screen = past.screen();
    let time = screen
        .split("REPLAY ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no time in the header:\n{screen}"))
        .to_string();
    let shown_ms = time_ms(&time);
    assert!(
        shown_ms <= (before * 1000.0).round() as i64,
        "{time} is after --at {at}"
    );
    assert!(
        !screen.contains("late.service"),
        "the past has no late.service:\n{screen}"
    );
    // One scrape forward at a time, until the cgroup appears (the scrapes are 1 s apart).
    let deadline = Instant::now() + wait;
    loop {
        past.send(".");
        std::thread::sleep(Duration::from_millis(300));
        if past.screen().contains("late.service") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "stepping forward never showed late.service:\n{}",
            past.screen()
        );
    }
    let screen = past.screen();
    assert!(screen.contains("REPLAY 2"), "{screen}");
    past.send("q");
    assert!(past.wait_exit(wait), "q quits replay");
}

/// `2026-12-01T03:12:00.123Z` as Unix milliseconds.
fn time_ms(text: &str) -> i64 {
    cgtui::time::parse_rfc3339(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn an_unreachable_or_wrong_url_is_a_clear_error() {
    let port = free_port();
    let refused = cgtui(&[
        "snapshot",
        "--prometheus",
        &format!("http://127.0.0.1:{port}"),
    ]);
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(said.contains("refused the connection"), "{said}");
    let bad = cgtui(&[
        "snapshot",
        "--prometheus",
        "127.0.0.1:9090",
        "--instance",
        "x",
    ]);
    let said = String::from_utf8_lossy(&bad.stderr);
    assert!(!bad.status.success());
    assert!(said.contains("http:// or https://"), "{said}");

    // The TUI and replay say so before the terminal is taken (no terminal here at all).
    let fixture = common::fixture();
    let fixture = fixture.to_str().unwrap();
    let url = format!("http://127.0.0.1:{port}");
    for args in [
        vec!["--fixture", fixture, "--prometheus", &url],
        vec![
            "--fixture",
            fixture,
            "--prometheus",
            &url,
            "--instance",
            "a:1",
        ],
        vec![
            "--fixture",
            fixture,
            "replay",
            "--prometheus",
            &url,
            "--instance",
            "a:1",
        ],
    ] {
        let refused = cgtui(&args);
        let said = String::from_utf8_lossy(&refused.stderr);
        assert!(!refused.status.success(), "{args:?}");
        assert!(said.contains("refused the connection"), "{args:?}: {said}");
    }
    let bad = cgtui(&["--prometheus", "localhost:9090"]);
    let said = String::from_utf8_lossy(&bad.stderr);
    assert!(!bad.status.success());
    assert!(said.contains("http:// or https://"), "{said}");
    let misplaced = cgtui(&["--prometheus", &url, "snapshot"]);
    let said = String::from_utf8_lossy(&misplaced.stderr);
    assert!(!misplaced.status.success());
    assert!(said.contains("take their own"), "{said}");
}

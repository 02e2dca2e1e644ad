//! Editing against the real kernel, through the CLI twins (`cgtui set/mkdir/rmdir/move --json`).
//! Each test makes its own cgroup and removes it; hugetlb is enabled at the mount root only for
//! as long as a test needs it, and only if it was not enabled already.

mod common;

use common::{LiveCgroup, RootController};
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

fn cgtui(state: &Path, args: &[&str]) -> (i32, Value) {
    let out = std::process::Command::new(common::binary())
        .args(args)
        .arg("--json")
        .env("XDG_STATE_HOME", state)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let value = serde_json::from_str(text.trim()).unwrap_or_else(|e| {
        panic!(
            "{args:?}: not JSON ({e}): {text}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), value)
}

fn rel(cg: &LiveCgroup, child: &str) -> String {
    format!("/{}", cg.relative.join(child).display())
        .trim_end_matches('/')
        .to_string()
}

#[test]
fn mkdir_move_rmdir_and_undo() {
    let cg = live_or_skip!("edit");
    let state = tempfile::tempdir().unwrap();
    let s = state.path();
    let leaf = rel(&cg, "leaf");

    let (code, out) = cgtui(s, &["mkdir", &leaf]);
    assert_eq!((code, out["result"].as_str()), (0, Some("ok")), "{out}");
    assert!(cg.child("leaf").is_dir());

    let mut sleeper = std::process::Command::new("sleep")
        .arg("60")
        .spawn()
        .unwrap();
    let pid = sleeper.id().to_string();
    let (code, out) = cgtui(s, &["move", &pid, &leaf]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["after"].as_str(), Some(leaf.as_str()));
    let procs = std::fs::read_to_string(cg.child("leaf/cgroup.procs")).unwrap();
    assert!(procs.lines().any(|l| l == pid));

    let (code, out) = cgtui(s, &["rmdir", &leaf]);
    assert_eq!(code, 1);
    assert_eq!(
        (out["errno"].as_str(), out["rule"].as_str()),
        (Some("EBUSY"), Some("not-empty")),
        "{out}"
    );

    // Undo the move: the process goes back where it came from.
    let (code, out) = cgtui(s, &["undo"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        !std::fs::read_to_string(cg.child("leaf/cgroup.procs"))
            .unwrap()
            .contains(&pid)
    );
    sleeper.kill().unwrap();
    sleeper.wait().unwrap();

    // The move is undone, so the next undo reverses the mkdir.
    let (code, out) = cgtui(s, &["undo"]);
    assert_eq!((code, out["op"].as_str()), (0, Some("rmdir")), "{out}");
    assert!(!cg.child("leaf").exists());

    let (code, out) = cgtui(s, &["move", "4294967295", &rel(&cg, "")]);
    assert_eq!(code, 1);
    assert_eq!(out["rule"].as_str(), Some("invalid-value"), "{out}");
    let (code, out) = cgtui(s, &["move", "4194000", &rel(&cg, "")]);
    assert_eq!(
        (code, out["errno"].as_str(), out["rule"].as_str()),
        (1, Some("ESRCH"), Some("no-such-process")),
        "{out}"
    );
}

#[test]
fn freeze_thaw_observed_in_cgroup_events_and_kill() {
    let cg = live_or_skip!("freeze");
    let state = tempfile::tempdir().unwrap();
    let s = state.path();
    std::fs::create_dir(cg.child("f")).unwrap();
    let mut sleeper = LiveCgroup::spawn_in(&cg.child("f"), &["sleep", "60"]);
    let f = rel(&cg, "f");
    let frozen = || {
        std::fs::read_to_string(cg.child("f/cgroup.events"))
            .unwrap()
            .lines()
            .any(|l| l == "frozen 1")
    };
    let wait = |want: bool| {
        let start = Instant::now();
        while frozen() != want {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "frozen never became {want}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    let (code, out) = cgtui(s, &["set", &f, "cgroup.freeze", "1"]);
    assert_eq!(code, 0, "{out}");
    wait(true);
    let (code, _) = cgtui(s, &["set", &f, "cgroup.freeze", "0"]);
    assert_eq!(code, 0);
    wait(false);

    let (code, out) = cgtui(s, &["set", &f, "cgroup.kill", "1"]);
    assert_eq!(code, 0, "{out}");
    let status = sleeper.wait().unwrap();
    assert!(!status.success(), "cgroup.kill must kill the process");
}

#[test]
fn hugetlb_controller_limits_and_no_internal_process() {
    // Declared first so it is dropped last, after the test cgroup that uses hugetlb.
    let _hugetlb = match RootController::enable("hugetlb") {
        Ok(guard) => guard,
        Err(reason) => {
            eprintln!("SKIPPED: {reason}");
            return;
        }
    };
    let cg = live_or_skip!("hugetlb");
    let state = tempfile::tempdir().unwrap();
    let s = state.path();
    let top = rel(&cg, "");
    std::fs::create_dir(cg.child("child")).unwrap();

    // +hugetlb in our (empty) cgroup's subtree_control gives the child hugetlb files.
    let (code, out) = cgtui(s, &["set", &top, "cgroup.subtree_control", "+hugetlb"]);
    assert_eq!(code, 0, "{out}");
    let child = rel(&cg, "child");
    let max_file = "hugetlb.2MB.max";
    if !cg.child("child").join(max_file).exists() {
        eprintln!("SKIPPED: this kernel has no 2 MB huge pages");
        return;
    }
    let (code, out) = cgtui(s, &["set", &child, max_file, "8M"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["after"].as_str(), Some("8388608"), "{out}");
    assert_eq!(
        std::fs::read_to_string(cg.child("child").join(max_file))
            .unwrap()
            .trim(),
        "8388608"
    );
    // 1 GB pages round 8M down to 0: the outcome reports what the kernel really holds.
    if cg.child("child/hugetlb.1GB.max").exists() {
        let (code, out) = cgtui(s, &["set", &child, "hugetlb.1GB.max", "8M"]);
        assert_eq!((code, out["after"].as_str()), (0, Some("0")), "{out}");
        assert!(
            out["explanation"]
                .as_str()
                .unwrap()
                .contains("rounded down"),
            "{out}"
        );
    }

    // -hugetlb on the parent while nothing below uses it is fine; a populated non-root cgroup
    // cannot enable a domain controller: EBUSY, no-internal-process.
    let mut sleeper = LiveCgroup::spawn_in(&cg.child("child"), &["sleep", "60"]);
    let (code, out) = cgtui(s, &["set", &child, "cgroup.subtree_control", "+hugetlb"]);
    let (_, predicted) = cgtui(
        s,
        &["check", "set", &child, "cgroup.subtree_control", "+hugetlb"],
    );
    sleeper.kill().unwrap();
    sleeper.wait().unwrap();
    assert_eq!(code, 1);
    assert_eq!(out["errno"].as_str(), Some("EBUSY"), "{out}");
    assert_eq!(out["rule"].as_str(), Some("no-internal-process"), "{out}");
    assert!(
        out["explanation"].as_str().unwrap().contains("hugetlb"),
        "{out}"
    );
    // The refusal is explained as `check` predicted it: one account of each rule.
    for field in ["errno", "rule", "explanation", "fix"] {
        assert_eq!(
            out[field], predicted[field],
            "{field}: {out} vs {predicted}"
        );
    }

    // A controller the parent has not enabled: ENOENT, controller-unavailable.
    std::fs::create_dir(cg.child("child/grandchild")).unwrap();
    let (code, out) = cgtui(
        s,
        &[
            "set",
            &rel(&cg, "child/grandchild"),
            "cgroup.subtree_control",
            "+hugetlb",
        ],
    );
    assert_eq!(
        (code, out["errno"].as_str(), out["rule"].as_str()),
        (1, Some("ENOENT"), Some("controller-unavailable")),
        "{out}"
    );
}

#[test]
fn invalid_values_change_nothing() {
    let cg = live_or_skip!("invalid");
    let state = tempfile::tempdir().unwrap();
    let top = rel(&cg, "");
    let before = std::fs::read_to_string(cg.dir().join("cgroup.max.descendants")).unwrap();
    for (file, value) in [
        ("cgroup.max.descendants", "-5"),
        ("cgroup.max.descendants", "lots"),
        ("cgroup.freeze", "2"),
    ] {
        let (code, out) = cgtui(state.path(), &["set", &top, file, value]);
        assert_eq!(
            (code, out["rule"].as_str()),
            (1, Some("invalid-value")),
            "{out}"
        );
        assert!(
            out["errno"].is_null(),
            "nothing was written, so no errno: {out}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(cg.dir().join("cgroup.max.descendants")).unwrap(),
        before
    );
    assert!(
        !state.path().join("cgtui/journal.jsonl").exists(),
        "refused values are not journaled"
    );
    let (code, out) = cgtui(
        state.path(),
        &["set", &rel(&cg, "no-such"), "cgroup.freeze", "1"],
    );
    assert_eq!(
        (code, out["rule"].as_str()),
        (1, Some("no-such-cgroup")),
        "{out}"
    );
}

#[test]
fn systemd_unreachable_or_absent_is_a_clear_error() {
    let cg = live_or_skip!("dbus");
    if cgtui::cgroup::systemd::is_systemd_hierarchy(&cgtui::cgroup::Cgroupfs::system().unwrap()) {
        eprintln!("SKIPPED: this host runs systemd; the VM suite covers the reachable case");
        return;
    }
    let state = tempfile::tempdir().unwrap();
    let (code, out) = cgtui(
        state.path(),
        &[
            "set",
            &rel(&cg, ""),
            "cgroup.max.depth",
            "3",
            "--via",
            "systemd",
        ],
    );
    assert_eq!(code, 1);
    assert!(
        out["explanation"]
            .as_str()
            .unwrap()
            .contains("no systemd manager owns"),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(cg.dir().join("cgroup.max.depth"))
            .unwrap()
            .trim(),
        "max"
    );

    // No bus at all: the playground cannot be made, and the error says which manager and why.
    let out = std::process::Command::new(common::binary())
        .args(["delegate"])
        .env("XDG_STATE_HOME", state.path())
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .output()
        .unwrap();
    if out.status.success() {
        eprintln!("SKIPPED: a systemd manager answered");
        return;
    }
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        err.contains("cannot reach") && err.contains("manager"),
        "{err}"
    );
}

#[test]
fn undo_of_a_move_out_of_an_escaped_name_lands_in_that_cgroup() {
    use std::ffi::{OsStr, OsString};
    use std::os::unix::ffi::OsStrExt;
    let cg = live_or_skip!("undo-raw");
    let state = tempfile::tempdir().unwrap();
    // A name that needs escaping, and a decoy named like its escaped display form.
    let source = OsStr::from_bytes(b"evil\x1b[31m\\x");
    let display = cgtui::cgroup::escape::visible(source.as_bytes()).into_owned();
    assert_ne!(display.as_bytes(), source.as_bytes());
    let decoy = OsString::from(&display);
    for name in [source, decoy.as_os_str(), OsStr::new("dest")] {
        std::fs::create_dir(cg.dir().join(name)).unwrap();
    }
    let mut sleeper = LiveCgroup::spawn_in(&cg.dir().join(source), &["sleep", "60"]);
    let pid = sleeper.id().to_string();
    let run = |args: &[&OsStr]| {
        let out = std::process::Command::new(common::binary())
            .args(args)
            .arg("--json")
            .env("XDG_STATE_HOME", state.path())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        (
            out.status.code(),
            text,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let dest = Path::new("/").join(&cg.relative).join("dest");
    let (code, out, err) = run(&[OsStr::new("move"), OsStr::new(&pid), dest.as_os_str()]);
    assert_eq!(code, Some(0), "{out} {err}");
    let (code, out, err) = run(&[OsStr::new("undo")]);
    let procs =
        |name: &OsStr| std::fs::read_to_string(cg.dir().join(name).join("cgroup.procs")).unwrap();
    let (in_source, in_decoy) = (procs(source), procs(&decoy));
    sleeper.kill().unwrap();
    sleeper.wait().unwrap();
    assert_eq!(code, Some(0), "{out} {err}");
    assert!(
        in_source.lines().any(|l| l == pid),
        "not back in its cgroup; decoy holds {in_decoy:?}"
    );
    assert!(
        in_decoy.is_empty(),
        "moved into the decoy named like the escaped form"
    );
    // The journal keeps the source losslessly.
    let journal = std::fs::read_to_string(state.path().join("cgtui/journal.jsonl")).unwrap();
    let moved: Value = journal
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|e| e["op"] == "move" && e["phase"] == "end")
        .unwrap();
    let raw: Vec<u8> = moved["old_raw"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_u64().unwrap() as u8)
        .collect();
    assert_eq!(raw, cg.relative.join(source).as_os_str().as_bytes());
}

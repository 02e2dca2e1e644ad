//! Editing on a copy of the fixture tree: values are checked before anything is written, every
//! change is journaled, undo restores the old value, and --read-only writes nothing.

mod common;

use serde_json::Value;
use std::path::{Path, PathBuf};

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

struct Sandbox {
    _dir: tempfile::TempDir,
    tree: PathBuf,
    state: PathBuf,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        let tree = dir.path().join("tree");
        copy_tree(&common::fixture(), &tree);
        let state = dir.path().join("state");
        Sandbox {
            _dir: dir,
            tree,
            state,
        }
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = std::process::Command::new(common::binary())
            .arg("--fixture")
            .arg(&self.tree)
            // Written into the copy's files and journal, to be read back by the test.
            .arg("--fixture-writable")
            .args(args)
            .env("XDG_STATE_HOME", &self.state)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn json(&self, args: &[&str]) -> (i32, Value) {
        let mut all = args.to_vec();
        all.push("--json");
        let (code, out, err) = self.run(&all);
        (
            code,
            serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out} {err}")),
        )
    }

    fn file(&self, path: &str) -> String {
        std::fs::read_to_string(self.tree.join(path)).unwrap()
    }

    fn journal(&self) -> Vec<Value> {
        let text =
            std::fs::read_to_string(self.state.join("cgtui/journal.jsonl")).unwrap_or_default();
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

const SVC: &str = "/system.slice/fxload.service";

#[test]
fn set_reads_back_journals_and_undoes() {
    let sb = Sandbox::new();
    let (code, out) = sb.json(&["set", SVC, "memory.max", "512M"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["value"], "536870912");
    assert_eq!(out["before"], "209715200");
    assert_eq!(out["after"], "536870912");
    assert_eq!(out["via"], "fs");
    assert_eq!(
        sb.file("system.slice/fxload.service/memory.max"),
        "536870912"
    );

    let journal = sb.journal();
    assert_eq!(journal.len(), 2, "a begin and an end entry");
    assert_eq!(journal[0]["phase"], "begin");
    assert_eq!(journal[0]["result"], "pending");
    assert_eq!(journal[0]["old"], "209715200");
    assert_eq!(journal[1]["phase"], "end");
    assert_eq!(journal[1]["result"], "ok");
    assert_eq!(journal[1]["cgroup"], SVC);
    assert_eq!(journal[1]["file"], "memory.max");
    assert_eq!(journal[1]["new"], "536870912");

    let (code, out) = sb.json(&["set", SVC, "pids.max", "250"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = sb.json(&["undo"]);
    assert_eq!((code, out["file"].as_str()), (0, Some("pids.max")), "{out}");
    assert_eq!(sb.file("system.slice/fxload.service/pids.max"), "2306");
    let (code, out) = sb.json(&["undo"]);
    assert_eq!(
        (code, out["file"].as_str()),
        (0, Some("memory.max")),
        "{out}"
    );
    assert_eq!(
        sb.file("system.slice/fxload.service/memory.max"),
        "209715200"
    );
    let undo = sb.journal().last().cloned().unwrap();
    assert!(undo["undo_of"].is_string(), "{undo}");
    let (code, _, err) = sb.run(&["undo"]);
    assert_eq!(code, 1);
    assert!(err.contains("nothing to undo"), "{err}");
}

#[test]
fn invalid_values_are_refused_before_writing() {
    let sb = Sandbox::new();
    let cases = [
        ("memory.max", "12Q"),
        ("memory.high", "-1"),
        ("cpu.max", "500 100000"),
        ("cpu.weight", "0"),
        ("io.max", "254:0 rbps=0"),
        ("pids.max", "many"),
        ("cgroup.subtree_control", "memory"),
    ];
    for (file, value) in cases {
        let before = std::fs::read(sb.tree.join("system.slice/fxload.service").join(file)).ok();
        let (code, out) = sb.json(&["set", SVC, file, value]);
        assert_eq!(code, 1, "{file}={value}: {out}");
        assert_eq!(out["result"], "failed");
        assert_eq!(out["rule"], "invalid-value", "{out}");
        assert!(out["errno"].is_null());
        assert!(out["explanation"].as_str().unwrap().contains(file), "{out}");
        let after = std::fs::read(sb.tree.join("system.slice/fxload.service").join(file)).ok();
        assert_eq!(before, after, "{file} changed");
    }
    assert!(
        sb.journal().is_empty(),
        "nothing refused before writing is journaled"
    );
    let (code, out) = sb.json(&["set", "/no/such", "memory.max", "1G"]);
    assert_eq!((code, out["rule"].as_str()), (1, Some("no-such-cgroup")));
    let (code, out) = sb.json(&["set", "/system.slice/../..", "memory.max", "1G"]);
    assert_eq!(
        (code, out["rule"].as_str()),
        (1, Some("invalid-value")),
        "{out}"
    );
}

#[test]
fn read_only_writes_nothing() {
    let sb = Sandbox::new();
    let (code, _, err) = sb.run(&["--read-only", "set", SVC, "memory.max", "1G"]);
    assert_eq!(code, 1);
    assert!(err.contains("read-only"), "{err}");
    assert_eq!(
        sb.file("system.slice/fxload.service/memory.max"),
        "209715200\n"
    );
    let (code, _, _) = sb.run(&["--read-only", "mkdir", "/system.slice/new"]);
    assert_eq!(code, 1);
    assert!(!sb.tree.join("system.slice/new").exists());
    assert!(sb.journal().is_empty());
}

#[test]
fn a_kernel_answer_that_contradicts_the_prediction_is_shown_and_logged() {
    // On a fixture the "kernel" is a plain file that accepts anything, so a write the real
    // kernel would refuse (memory enabled below a cgroup holding processes) succeeds here.
    let sb = Sandbox::new();
    let (code, out) = sb.json(&["set", SVC, "cgroup.subtree_control", "+memory"]);
    assert_eq!(code, 0, "{out}");
    let warnings = out["warnings"].as_array().unwrap();
    let note = warnings
        .iter()
        .filter_map(|w| w.as_str())
        .find(|w| w.starts_with("prediction disagreed"))
        .unwrap_or_else(|| panic!("no disagreement shown: {out}"));
    assert!(
        note.contains("EBUSY [no-internal-process]") && note.contains("answered allowed"),
        "{note}"
    );
    let log = std::fs::read_to_string(sb.state.join("cgtui/disagreements.log"))
        .expect("logged in debug builds");
    assert!(log.contains("no-internal-process"));
}

/// Refusals read as plain words: ranges as "between 1 and 10000" (never Rust's `1..=10000`),
/// and "what to do" is something to do, never a report of what happened.
#[test]
fn refusals_say_ranges_in_words_and_what_to_do_is_an_action() {
    use cgtui::cgroup::edit::{Op, prepare};
    use cgtui::cgroup::{CgroupPath, Cgroupfs};
    let fs = Cgroupfs::fixture(&common::fixture()).unwrap();
    let svc = CgroupPath::from_relative(Path::new("system.slice/fxload.service")).unwrap();
    let set = |file: &str, value: &str| Op::Set {
        cgroup: svc.clone(),
        file: file.into(),
        value: value.into(),
    };
    let refused = [
        set("pids.max", "abc"),
        set("memory.max", "-5"),
        set("io.weight", "20000"),
        set("io.weight", "0"),
        set("cpu.weight", "20000"),
        set("cpu.max", "1000 5000000"),
        set("memory.high", ""),
        Op::Move {
            pid: u32::MAX,
            cgroup: svc.clone(),
        },
    ];
    for op in refused {
        let Err(outcome) = prepare(&fs, &op) else {
            panic!("{op:?} was not refused")
        };
        let text = format!(
            "{} {}",
            outcome.explanation,
            outcome.fix.clone().unwrap_or_default()
        );
        assert!(!text.contains("..="), "{op:?}: {text}");
        if let Some(fix) = &outcome.fix {
            assert!(!fix.starts_with("nothing"), "{op:?}: what to do: {fix}");
        }
    }
    let Err(outcome) = prepare(&fs, &set("io.weight", "20000")) else {
        panic!()
    };
    assert!(
        outcome.explanation.contains("between 1 and 10000"),
        "{}",
        outcome.explanation
    );
}

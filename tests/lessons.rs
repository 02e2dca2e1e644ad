//! The lessons from outside: `cgtui lessons --json` fields, and the predict-then-verify
//! exercises made for real on the kernel's cgroup2 hierarchy (as root, the student uid 65534),
//! each graded against the answer the kernel gave, right and wrong; and `D`'s delegation by
//! hand (`cgtui delegate --student`), end to end.

mod common;

use cgtui::exercises::{Answers, Student};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const STUDENT: u32 = 65534;

fn cgtui(args: &[&str], state: &Path) -> (i32, String, String) {
    let out = Command::new(common::binary())
        .args(args)
        .env("XDG_STATE_HOME", state)
        .env_remove("SUDO_UID")
        .env_remove("CGTUI_STUDENT")
        .output()
        .expect("run cgtui");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn private_state() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    dir
}

#[test]
fn lessons_json_lists_ids_titles_languages_needs_and_exercises() {
    let state = private_state();
    let (code, out, err) = cgtui(&["lessons", "--json"], state.path());
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    let lessons = doc["lessons"].as_array().unwrap();
    let shipped = cgtui::lessons::all();
    assert_eq!(lessons.len(), shipped.len());
    for (row, lesson) in lessons.iter().zip(&shipped) {
        assert_eq!(row["id"], lesson.id.as_str());
        assert_eq!(row["title"], lesson.title.as_str());
        assert_eq!(row["languages"][0], "en", "{row}");
        assert!(
            ["root", "systemd", "nothing"].contains(&row["needs"].as_str().unwrap()),
            "{row}"
        );
        let exercises = row["exercises"].as_array().unwrap();
        assert_eq!(exercises.len(), lesson.exercises.len());
        for (e, x) in exercises.iter().zip(&lesson.exercises) {
            assert_eq!(e["id"], x.id.as_str());
            assert_eq!(e["question"], x.question.as_str());
            assert!(e["needs_root"].is_boolean() && e["attempt"].is_string());
        }
    }
    let by_id = |id: &str| lessons.iter().find(|l| l["id"] == id).unwrap().clone();
    assert_eq!(by_id("12-delegate-by-hand")["needs"], "root");
    assert_eq!(by_id("04-what-systemd-delegates")["needs"], "systemd");
    assert_eq!(by_id("01-why-mkdir-needs-root")["needs"], "nothing");
    assert!(
        by_id("13-containment-c0-c1")["exercises"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["id"] == "c0-to-c1")
    );
    // The text form is a table with a header and a row per lesson.
    let (code, table, _) = cgtui(&["lessons"], state.path());
    assert_eq!(code, 0);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].contains("NEEDS") && lines[0].contains("EXERCISES"));
    assert_eq!(lines.len(), shipped.len() + 1);
    // A guess that is no answer, and an unknown exercise, are refused before anything is made.
    let (code, _, err) = cgtui(&["lessons", "--try", "c0-to-c1", "maybe"], state.path());
    assert_eq!(code, 1, "{err}");
    let (code, _, err) = cgtui(&["lessons", "--try", "no-such", "ok"], state.path());
    assert!(code == 1 && err.contains("no exercise"), "{err}");
}

fn root_or_skip() -> bool {
    if !rustix::process::geteuid().is_root() {
        eprintln!("SKIPPED: exercises set scenes up with chown, which needs root");
        return false;
    }
    if uzers::get_user_by_uid(STUDENT).is_none() {
        eprintln!("SKIPPED: no user {STUDENT} to be the student");
        return false;
    }
    true
}

/// The kernel's answer as the lesson states it: the rule's first word (`ok` or an errno).
fn stated(rule: &str) -> String {
    rule.split([':', ' ', ','])
        .next()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn every_exercise_is_graded_against_the_kernels_real_answer() {
    if !root_or_skip() {
        return;
    }
    let base = live_or_skip!("exercise");
    let student = Student::resolve(Some(&STUDENT.to_string())).unwrap();
    let state = private_state();
    let answers_file = state.path().join("cgtui/lessons.json");
    let mut count = 0;
    for lesson in cgtui::lessons::all() {
        for exercise in &lesson.exercises {
            count += 1;
            let kernel = cgtui::exercises::run(&base.dir(), exercise, &student)
                .unwrap_or_else(|e| panic!("{}: {e:#}", exercise.id));
            // The lesson's own statement agrees with the kernel here.
            assert_eq!(
                stated(&exercise.rule),
                kernel,
                "exercise {}: the lesson says {:?}",
                exercise.id,
                exercise.rule
            );
            let right = cgtui::exercises::grade(exercise, &kernel.to_lowercase(), &kernel).unwrap();
            assert!(right.right, "{right:?}");
            let wrong_guess = if kernel == "ok" { "EACCES" } else { "ok" };
            let wrong = cgtui::exercises::grade(exercise, wrong_guess, &kernel).unwrap();
            assert!(!wrong.right, "{wrong:?}");
            Answers::record(&answers_file, wrong).unwrap();
            // The scene is gone: only the base cgroup's own files are left.
            let left: Vec<_> = std::fs::read_dir(base.dir())
                .unwrap()
                .flatten()
                .filter(|e| e.file_type().unwrap().is_dir())
                .collect();
            assert!(left.is_empty(), "{}: {left:?} left behind", exercise.id);
        }
    }
    assert!(count >= 5);
    let kept = Answers::load(&answers_file).unwrap();
    assert_eq!(kept.answers.len(), count);
    assert!(kept.answers.values().all(|v| !v.right));
}

#[test]
fn the_c0_c1_denial_is_the_kernels_own_answer_made_from_a_shell() {
    if !root_or_skip() {
        return;
    }
    // The scene of exercise c0-to-c1 made by hand, the write made by setpriv and sh: the
    // kernel refuses it, as `cgtui lessons --try` grades it.
    let base = live_or_skip!("c0c1");
    let (c0, c1) = (base.child("C0"), base.child("C1"));
    for dir in [&c0, &c1] {
        std::fs::create_dir(dir).unwrap();
        for path in [
            dir.to_path_buf(),
            dir.join("cgroup.procs"),
            dir.join("cgroup.threads"),
            dir.join("cgroup.subtree_control"),
        ] {
            std::os::unix::fs::chown(&path, Some(STUDENT), Some(STUDENT)).unwrap();
        }
    }
    let mut sleeper = common::LiveCgroup::spawn_in(&c0, &["sleep", "60"]);
    let pid = sleeper.id();
    let status = Command::new("setpriv")
        .args([
            &format!("--reuid={STUDENT}"),
            &format!("--regid={STUDENT}"),
            "--clear-groups",
            "sh",
            "-c",
            &format!("echo {pid} > {}/cgroup.procs", c1.display()),
        ])
        .status();
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    let Ok(status) = status else {
        eprintln!("SKIPPED: no setpriv");
        return;
    };
    assert!(
        !status.success(),
        "the kernel let the student move C0 to C1"
    );
    let state = private_state();
    let (code, out, err) = cgtui(
        &[
            "lessons",
            "--try",
            "c0-to-c1",
            "EACCES",
            "--student",
            &STUDENT.to_string(),
            "--json",
        ],
        state.path(),
    );
    assert_eq!(code, 0, "{out}{err}");
    let verdict: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(verdict["kernel"], "EACCES");
    assert_eq!(verdict["right"], true);
    let kept = Answers::load(&state.path().join("cgtui/lessons.json")).unwrap();
    assert!(kept.answers["c0-to-c1"].right);
}

#[test]
fn a_playground_is_delegated_by_hand_where_no_systemd_runs() {
    if !root_or_skip() {
        return;
    }
    let Ok(fs) = cgtui::cgroup::Cgroupfs::system() else {
        eprintln!("SKIPPED: no cgroup2 hierarchy");
        return;
    };
    let state = private_state();
    let (code, out, err) = cgtui(
        &["delegate", "--student", &STUDENT.to_string(), "--json"],
        state.path(),
    );
    assert_eq!(code, 0, "{err}");
    let made: Value = serde_json::from_str(&out).unwrap();
    let unit = made["unit"].as_str().unwrap().to_string();
    let dir = fs.mount_point().join(&unit);
    let owner = |p: &Path| std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(p).unwrap());
    let checks = || {
        assert_eq!(made["delegated_by_hand_to"], STUDENT);
        for file in [
            "",
            "cgroup.procs",
            "cgroup.threads",
            "cgroup.subtree_control",
        ] {
            assert_eq!(owner(&dir.join(file)), STUDENT, "{file}");
        }
        // Only the delegated files: the limits stay root's.
        assert_eq!(owner(&dir.join("cgroup.max.depth")), 0);
        let pid = made["pid"].as_u64().unwrap();
        let procs = std::fs::read_to_string(dir.join("cgroup.procs")).unwrap();
        assert_eq!(procs.trim(), pid.to_string());
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        assert!(
            status
                .lines()
                .any(|l| l.starts_with("Uid:") && l.contains(&STUDENT.to_string())),
            "the placeholder runs as the student"
        );
        // The student works in it without root: mkdir, then a move inside the delegation.
        let child = dir.join("leaf");
        let mkdir = Command::new("setpriv")
            .args([
                &format!("--reuid={STUDENT}"),
                &format!("--regid={STUDENT}"),
                "--clear-groups",
                "sh",
                "-c",
                &format!(
                    "mkdir {0} && echo {pid} > {0}/cgroup.procs",
                    child.display()
                ),
            ])
            .status()
            .unwrap();
        assert!(mkdir.success());
    };
    let result = std::panic::catch_unwind(checks);
    let (code, _, err) = cgtui(&["delegate", "--stop", &unit], state.path());
    assert_eq!(code, 0, "{err}");
    assert!(!dir.exists(), "{unit} removed");
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

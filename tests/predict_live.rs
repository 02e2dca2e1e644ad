//! Prediction accuracy on the real kernel: for each operation, `cgtui check ... --json`, then
//! really perform it (`--unchecked`, so the kernel judges the raw value), and compare the verdict
//! and errno. As root and as nobody, on a tree made for the purpose. The VM suite runs the larger
//! matrix (nsdelegate, systemd delegation, alice and bob).

mod common;

use common::{LiveCgroup, RootController};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

struct Runner<'a> {
    state: &'a Path,
}

impl Runner<'_> {
    fn cgtui(&self, actor: Option<&str>, args: &[String]) -> (i32, Value) {
        let mut command = match actor {
            None => Command::new(common::binary()),
            Some(user) => {
                let mut c = Command::new("setpriv");
                c.args([
                    &format!("--reuid={user}"),
                    "--regid=nogroup",
                    "--clear-groups",
                    common::binary(),
                ]);
                c
            }
        };
        // Each actor keeps its own journal, in a directory of its own (cgtui refuses one that
        // others could write).
        let state = self.state.join(actor.unwrap_or("root"));
        std::fs::create_dir_all(&state).unwrap();
        if let Some(user) = actor {
            let uid = uzers::get_user_by_name(user)
                .unwrap_or_else(|| panic!("no user {user}"))
                .uid();
            std::os::unix::fs::chown(&state, Some(uid), None).unwrap();
        }
        let out = command
            .args(args)
            .arg("--json")
            .env("XDG_STATE_HOME", &state)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let value = serde_json::from_str(text.trim()).unwrap_or_else(|e| {
            panic!(
                "{args:?}: not JSON ({e}): {text}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code().unwrap_or(-1), value)
    }
}

struct Row {
    what: &'static str,
    actor: Option<&'static str>,
    /// The operation as `check` and the real command take it: `set CG FILE VALUE`, `mkdir CG`...
    op: Vec<String>,
    /// The errno expected (None: allowed), so each row proves the rule it is meant to.
    expect: Option<&'static str>,
    rule: &'static str,
}

fn row(
    what: &'static str,
    actor: Option<&'static str>,
    op: &[&str],
    expect: Option<&'static str>,
    rule: &'static str,
) -> Row {
    Row {
        what,
        actor,
        op: op.iter().map(|s| s.to_string()).collect(),
        expect,
        rule,
    }
}

fn chown_to_nobody(path: &Path) {
    let status = Command::new("chown")
        .arg("nobody:nogroup")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn predictions_match_the_kernel() {
    // Declared before the test cgroup so it is dropped after it.
    let hugetlb = RootController::enable("hugetlb").ok();
    let cg = live_or_skip!("predict");
    if Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("SKIPPED: setpriv (util-linux) is needed to act as nobody");
        return;
    }
    let state = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        state.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let runner = Runner {
        state: state.path(),
    };
    let t = format!("/{}", cg.relative.display());
    let p = |s: &str| format!("{t}/{s}");

    for dir in [
        "a",
        "b",
        "limit/x",
        "depth",
        "nb",
        "busy/leaf",
        "chain/kid",
        "type/busy",
        "type/empty",
        "thr/leaf",
    ] {
        std::fs::create_dir_all(cg.child(dir)).unwrap();
    }
    std::fs::write(cg.child("limit/cgroup.max.descendants"), "1").unwrap();
    std::fs::write(cg.child("depth/cgroup.max.depth"), "0").unwrap();
    for file in ["", "cgroup.procs", "cgroup.subtree_control"] {
        chown_to_nobody(&cg.child("nb").join(file));
    }
    let mut root_sleeper = LiveCgroup::spawn_in(&cg.child("b"), &["sleep", "120"]);
    let mut typed_sleeper = LiveCgroup::spawn_in(&cg.child("type/busy"), &["sleep", "120"]);
    // A process of nobody's own, in a cgroup nobody cannot write.
    let mut nobody_sleeper = Command::new("setpriv")
        .args([
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            "sleep",
            "120",
        ])
        .spawn()
        .unwrap();
    std::fs::write(cg.child("a/cgroup.procs"), nobody_sleeper.id().to_string()).unwrap();
    let root_pid = root_sleeper.id().to_string();
    let nobody_pid = nobody_sleeper.id().to_string();
    let has_hugetlb = hugetlb.is_some();
    if has_hugetlb {
        std::fs::write(cg.dir().join("cgroup.subtree_control"), "+hugetlb").unwrap();
        std::fs::write(cg.child("busy/cgroup.subtree_control"), "+hugetlb").unwrap();
        std::fs::write(cg.child("chain/cgroup.subtree_control"), "+hugetlb").unwrap();
        std::fs::write(cg.child("chain/kid/cgroup.subtree_control"), "+hugetlb").unwrap();
    }

    let mut rows = vec![
        row("mkdir as root", None, &["mkdir", &p("new")], None, "ok"),
        row(
            "mkdir where it exists",
            None,
            &["mkdir", &p("new")],
            Some("EEXIST"),
            "invalid-value",
        ),
        row(
            "mkdir as nobody in root's cgroup",
            Some("nobody"),
            &["mkdir", &p("a/x")],
            Some("EACCES"),
            "permission",
        ),
        row(
            "mkdir as nobody in its own cgroup",
            Some("nobody"),
            &["mkdir", &p("nb/mine")],
            None,
            "ok",
        ),
        row(
            "mkdir past cgroup.max.descendants",
            None,
            &["mkdir", &p("limit/y")],
            Some("EAGAIN"),
            "descendant-limit",
        ),
        row(
            "mkdir past cgroup.max.depth",
            None,
            &["mkdir", &p("depth/z")],
            Some("EAGAIN"),
            "descendant-limit",
        ),
        row(
            "rmdir a populated cgroup",
            None,
            &["rmdir", &p("b")],
            Some("EBUSY"),
            "not-empty",
        ),
        row(
            "rmdir a cgroup with children",
            None,
            &["rmdir", &p("limit")],
            Some("EBUSY"),
            "not-empty",
        ),
        row(
            "rmdir as nobody",
            Some("nobody"),
            &["rmdir", &p("new")],
            Some("EACCES"),
            "permission",
        ),
        row(
            "rmdir an empty cgroup",
            None,
            &["rmdir", &p("new")],
            None,
            "ok",
        ),
        row(
            "rmdir what is gone",
            None,
            &["rmdir", &p("new")],
            Some("ENOENT"),
            "no-such-cgroup",
        ),
        row(
            "move a missing pid",
            None,
            &["move", "4194000", &p("a")],
            Some("ESRCH"),
            "no-such-process",
        ),
        row(
            "move as nobody into root's cgroup",
            Some("nobody"),
            &["move", &nobody_pid, &p("b")],
            Some("EACCES"),
            "permission",
        ),
        row(
            "move as nobody into its own cgroup, common ancestor root's",
            Some("nobody"),
            &["move", &nobody_pid, &p("nb")],
            Some("EACCES"),
            "migration-containment",
        ),
        row(
            "move as root",
            None,
            &["move", &root_pid, &p("a")],
            None,
            "ok",
        ),
        row(
            "freeze with 2",
            None,
            &["set", &p("a"), "cgroup.freeze", "2"],
            Some("ERANGE"),
            "invalid-value",
        ),
        row(
            "kill with 0",
            None,
            &["set", &p("a"), "cgroup.kill", "0"],
            Some("ERANGE"),
            "invalid-value",
        ),
        row(
            "max.depth negative",
            None,
            &["set", &p("a"), "cgroup.max.depth", "-1"],
            Some("ERANGE"),
            "invalid-value",
        ),
        row(
            "max.depth not a number",
            None,
            &["set", &p("a"), "cgroup.max.depth", "lots"],
            Some("EINVAL"),
            "invalid-value",
        ),
        row(
            "max.depth as nobody",
            Some("nobody"),
            &["set", &p("a"), "cgroup.max.depth", "3"],
            Some("EACCES"),
            "permission",
        ),
        row(
            "max.depth as root",
            None,
            &["set", &p("a"), "cgroup.max.depth", "3"],
            None,
            "ok",
        ),
        row(
            "subtree_control bad token",
            None,
            &["set", &p("a"), "cgroup.subtree_control", "memory"],
            Some("EINVAL"),
            "invalid-value",
        ),
        row(
            "enable a controller that does not exist",
            None,
            &["set", &p("a"), "cgroup.subtree_control", "+nosuch"],
            Some("EINVAL"),
            "invalid-value",
        ),
        row(
            "threaded on a populated cgroup",
            None,
            &["set", &p("type/busy"), "cgroup.type", "threaded"],
            Some("EOPNOTSUPP"),
            "threaded-topology",
        ),
        row(
            "threaded beside a populated domain sibling",
            None,
            &["set", &p("type/empty"), "cgroup.type", "threaded"],
            Some("EOPNOTSUPP"),
            "threaded-topology",
        ),
        row(
            "threaded on an empty leaf",
            None,
            &["set", &p("thr/leaf"), "cgroup.type", "threaded"],
            None,
            "ok",
        ),
        row(
            "a file of a controller not enabled",
            None,
            &["set", &p("a"), "memory.max", "1G"],
            Some("ENOENT"),
            "controller-not-enabled",
        ),
    ];
    // Classes of controller names: v1-only (inhibited on v2), implicit (perf_event), and
    // bound to a v1 hierarchy on a hybrid host.
    rows.extend([
        row(
            "+net_cls, a v1-only controller",
            None,
            &["set", &p("a"), "cgroup.subtree_control", "+net_cls"],
            Some("EINVAL"),
            "invalid-value",
        ),
        row(
            "+perf_event, implicit on v2",
            None,
            &["set", &p("a"), "cgroup.subtree_control", "+perf_event"],
            Some("ENOENT"),
            "controller-unavailable",
        ),
        row(
            "an empty subtree_control write",
            None,
            &["set", &p("a"), "cgroup.subtree_control", " "],
            None,
            "ok",
        ),
        row(
            "kill with a word",
            None,
            &["set", &p("a"), "cgroup.kill", "x"],
            Some("EINVAL"),
            "invalid-value",
        ),
        row(
            "freeze with 0x0 (kstrtoint takes hex)",
            None,
            &["set", &p("a"), "cgroup.freeze", "0x0"],
            None,
            "ok",
        ),
        row(
            "max.depth past an int",
            None,
            &["set", &p("a"), "cgroup.max.depth", "99999999999"],
            Some("ERANGE"),
            "invalid-value",
        ),
        row(
            "cgroup.type domain",
            None,
            &["set", &p("a"), "cgroup.type", "domain"],
            Some("EINVAL"),
            "invalid-value",
        ),
        row(
            "-cpuacct, a v1-only controller",
            None,
            &["set", &p("a"), "cgroup.subtree_control", "-cpuacct"],
            Some("EINVAL"),
            "invalid-value",
        ),
        row(
            "-perf_event: a name, never enabled, nothing to do",
            None,
            &["set", &p("a"), "cgroup.subtree_control", "-perf_event"],
            None,
            "ok",
        ),
        row(
            "max.depth 0x (no hex digit: octal 0, then x)",
            None,
            &["set", &p("a"), "cgroup.max.depth", "0x"],
            Some("EINVAL"),
            "invalid-value",
        ),
        row(
            "a zero-byte write changes nothing, whatever the file",
            None,
            &["set", &p("a"), "cgroup.max.depth", ""],
            None,
            "ok",
        ),
        row(
            "a read-only file as root: open by capability, no write handler",
            None,
            &["set", &p("a"), "cgroup.controllers", "+hugetlb"],
            Some("EINVAL"),
            "invalid-value",
        ),
        row(
            "a read-only file as nobody: no write bit",
            Some("nobody"),
            &["set", &p("nb"), "cgroup.events", "1"],
            Some("EACCES"),
            "permission",
        ),
        row(
            "a misspelt file",
            None,
            &["set", &p("a"), "bogus.file", "1"],
            Some("ENOENT"),
            "invalid-value",
        ),
    ]);
    if kthreadd_pid().is_some() {
        rows.push(row(
            "move kthreadd",
            None,
            &["move", "2", &p("a")],
            Some("EINVAL"),
            "invalid-value",
        ));
    }
    let memory_bound_to_v1 = !std::fs::read_to_string(cg.mount.join("cgroup.controllers"))
        .unwrap_or_default()
        .split_whitespace()
        .any(|c| c == "memory");
    if memory_bound_to_v1 {
        rows.push(row(
            "+memory on a hybrid host (bound to v1)",
            None,
            &["set", &p("a"), "cgroup.subtree_control", "+memory"],
            Some("ENOENT"),
            "controller-unavailable",
        ));
    }
    if has_hugetlb {
        rows.extend([
            row(
                "+hugetlb -hugetlb: the last token wins",
                None,
                &[
                    "set",
                    &p("a"),
                    "cgroup.subtree_control",
                    "+hugetlb -hugetlb",
                ],
                None,
                "ok",
            ),
            row(
                "-hugetlb +hugetlb on a populated cgroup",
                None,
                &[
                    "set",
                    &p("a"),
                    "cgroup.subtree_control",
                    "-hugetlb +hugetlb",
                ],
                Some("EBUSY"),
                "no-internal-process",
            ),
            row(
                "+hugetlb on a populated cgroup",
                None,
                &["set", &p("a"), "cgroup.subtree_control", "+hugetlb"],
                Some("EBUSY"),
                "no-internal-process",
            ),
            row(
                "move into a cgroup passing hugetlb on",
                None,
                &["move", &root_pid, &p("busy")],
                Some("EBUSY"),
                "no-internal-process",
            ),
            row(
                "-hugetlb while a child enables it",
                None,
                &["set", &p("chain"), "cgroup.subtree_control", "-hugetlb"],
                Some("EBUSY"),
                "controller-in-use-by-child",
            ),
            row(
                "+hugetlb on an empty cgroup",
                None,
                &["set", &p("depth"), "cgroup.subtree_control", "+hugetlb"],
                None,
                "ok",
            ),
            row(
                "+hugetlb in a leaf whose parent offers it",
                None,
                &["set", &p("busy/leaf"), "cgroup.subtree_control", "+hugetlb"],
                None,
                "ok",
            ),
            row(
                "+hugetlb where the parent does not offer it",
                None,
                &["set", &p("limit/x"), "cgroup.subtree_control", "+hugetlb"],
                Some("ENOENT"),
                "controller-unavailable",
            ),
            row(
                "hugetlb.2MB.max",
                None,
                &["set", &p("a"), "hugetlb.2MB.max", "4M"],
                None,
                "ok",
            ),
        ]);
    }
    // Threaded mode, after "threaded on an empty leaf" made thr a thread root.
    rows.extend([
        row(
            "mkdir under a thread root",
            None,
            &["mkdir", &p("thr/inv")],
            None,
            "ok",
        ),
        row(
            "move into a domain invalid cgroup",
            None,
            &["move", &root_pid, &p("thr/inv")],
            Some("EOPNOTSUPP"),
            "threaded-topology",
        ),
        row(
            "kill a threaded cgroup",
            None,
            &["set", &p("thr/leaf"), "cgroup.kill", "1"],
            Some("EOPNOTSUPP"),
            "threaded-topology",
        ),
    ]);
    if has_hugetlb {
        rows.push(row(
            "+hugetlb in a thread root",
            None,
            &["set", &p("thr"), "cgroup.subtree_control", "+hugetlb"],
            Some("EOPNOTSUPP"),
            "threaded-topology",
        ));
    }
    rows.push(row(
        "move a process into a thread root",
        None,
        &["move", &root_pid, &p("thr")],
        None,
        "ok",
    ));

    let mut disagreements = Vec::new();
    let mut table = String::new();
    for r in &rows {
        let mut check_args = vec!["check".to_string()];
        check_args.extend(r.op.clone());
        let (check_code, predicted) = runner.cgtui(r.actor, &check_args);
        let mut do_args = r.op.clone();
        if do_args[0] == "set" {
            do_args.push("--unchecked".into());
        }
        let (_, done) = runner.cgtui(r.actor, &do_args);
        let p_errno = predicted["errno"].as_str().map(str::to_string);
        let k_errno = done["errno"].as_str().map(str::to_string);
        let contradicted = done["warnings"].as_array().is_some_and(|w| {
            w.iter().any(|w| {
                w.as_str()
                    .is_some_and(|w| w.starts_with("prediction disagreed"))
            })
        });
        let agree = !contradicted
            && p_errno == k_errno
            && p_errno.as_deref() == r.expect
            && predicted["rule"] == r.rule
            && (check_code == 0) == p_errno.is_none();
        table.push_str(&format!(
            "{:<5} {:<58} predicted {:<11} {:<26} kernel {}\n",
            if agree { "ok" } else { "DIFF" },
            r.what,
            p_errno.as_deref().unwrap_or("allowed"),
            predicted["rule"].as_str().unwrap_or("?"),
            k_errno.as_deref().unwrap_or("allowed"),
        ));
        if !agree {
            disagreements.push(format!(
                "{}: predicted {predicted}\n  kernel {done}",
                r.what
            ));
        }
    }
    eprintln!("{table}");
    if memory_bound_to_v1 {
        // Advice that cannot work is worse than none: memory is bound to v1 here, so enabling it
        // in a parent must not be what cgtui suggests.
        let (_, predicted) = runner.cgtui(
            None,
            &[
                "check".into(),
                "set".into(),
                p("a"),
                "memory.max".into(),
                "1G".into(),
            ],
        );
        let fix = predicted["fix"].as_str().unwrap_or("");
        assert!(
            !fix.contains("+memory") && fix.contains("cgroup_no_v1=memory"),
            "advice on a hybrid host: {predicted}"
        );
    }
    let (_, misspelt) = runner.cgtui(
        None,
        &[
            "check".into(),
            "set".into(),
            p("a"),
            "cgroup.max.dpeth".into(),
            "1".into(),
        ],
    );
    assert!(
        misspelt["fix"]
            .as_str()
            .unwrap_or("")
            .contains("cgroup.max.depth"),
        "near names for a misspelt file: {misspelt}"
    );
    for child in [&mut root_sleeper, &mut typed_sleeper, &mut nobody_sleeper] {
        let _ = child.kill();
        let _ = child.wait();
    }
    assert!(rows.len() >= 41, "only {} rows", rows.len());
    assert!(
        disagreements.is_empty(),
        "{} of {} rows disagree:\n{}",
        disagreements.len(),
        rows.len(),
        disagreements.join("\n")
    );
}

/// PID 2 when it is kthreadd (the kernel thread that starts the others) in our PID namespace.
fn kthreadd_pid() -> Option<u32> {
    let comm = std::fs::read_to_string("/proc/2/comm").ok()?;
    (comm.trim() == "kthreadd").then_some(2)
}

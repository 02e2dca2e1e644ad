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
        // PID 0 is the writer itself (cgroup_procs_write_start()): cgtui's own process.
        row(
            "move PID 0, the writer itself, as root",
            None,
            &["move", "0", &p("a")],
            None,
            "ok",
        ),
        row(
            "move PID 0 as nobody into root's cgroup",
            Some("nobody"),
            &["move", "0", &p("b")],
            Some("EACCES"),
            "permission",
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

    let (table, disagreements) = compare(&runner, &rows);
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

/// Run each row through `check`, then really (`--unchecked`: the kernel judges the raw value),
/// and compare the prediction with the kernel's answer and with the row's expectation. Returns
/// the table printed and the rows that disagree.
fn compare(runner: &Runner, rows: &[Row]) -> (String, Vec<String>) {
    let mut disagreements = Vec::new();
    let mut table = String::new();
    for r in rows {
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
    (table, disagreements)
}

/// PID 2 when it is kthreadd (the kernel thread that starts the others) in our PID namespace.
fn kthreadd_pid() -> Option<u32> {
    let comm = std::fs::read_to_string("/proc/2/comm").ok()?;
    (comm.trim() == "kthreadd").then_some(2)
}

/// The running kernel's (major, minor), from uname.
fn kernel_version() -> (u32, u32) {
    cgtui::cgroup::value::kernel_version().expect("uname gives a kernel release")
}

/// The kernel's own parsers (issue 26): memparse, kstrto* with base 0, cgroup names, the files
/// cgtui did not model (cgroup.pressure, PSI triggers), each predicted and then really written,
/// as root and as nobody. Classes this host cannot show (no cpu, cpuset or memory controller in
/// a hybrid hierarchy) say so and are left to the unit tests and the VM suite.
#[test]
fn kernel_parsers_match_the_kernel() {
    let hugetlb = RootController::enable("hugetlb").ok();
    let cg = live_or_skip!("kparse");
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
    for dir in ["a", "k1", "k2", "n", "nb"] {
        std::fs::create_dir_all(cg.child(dir)).unwrap();
    }
    for file in ["", "cgroup.procs", "cpu.pressure", "io.pressure"] {
        chown_to_nobody(&cg.child("nb").join(file));
    }
    let mut sleeper = LiveCgroup::spawn_in(&cg.child("k1"), &["sleep", "120"]);
    let pid = sleeper.id();
    let hex_pid = format!("0x{pid:x}");
    let long_name = "a".repeat(300);
    let too_long = "b".repeat(5000);
    // Since 6.5 a writer without CAP_SYS_RESOURCE gets EINVAL for a window that is no
    // multiple of 2 s; before, the same trigger is taken.
    let unprivileged_window = if kernel_version() >= (6, 5) {
        (Some("EINVAL"), "invalid-value")
    } else {
        (None, "ok")
    };
    // Root in a sandbox may lack CAP_SYS_RESOURCE too (the kernel checks the capability, not
    // the uid).
    let root_window = if cgtui::cgroup::value::has_cap_sys_resource() {
        (None, "ok")
    } else {
        unprivileged_window
    };

    let mut rows = vec![
        // kstrto* with base 0, after strstrip.
        row(
            "move a PID given in hex",
            None,
            &["move", &hex_pid, &p("k2")],
            None,
            "ok",
        ),
        row(
            "cgroup.procs: a hex PID with blanks around",
            None,
            &["set", &p("k1"), "cgroup.procs", &format!(" {hex_pid}\n")],
            None,
            "ok",
        ),
        row(
            "cgroup.procs: a negative PID",
            None,
            &["set", &p("k1"), "cgroup.procs", "-1"],
            Some("EINVAL"),
            "invalid-value",
        ),
        row(
            "cgroup.procs: a PID with trailing letters",
            None,
            &["set", &p("k1"), "cgroup.procs", &format!("{pid}abc")],
            Some("EINVAL"),
            "invalid-value",
        ),
        row(
            "cgroup.max.depth with blanks around",
            None,
            &["set", &p("a"), "cgroup.max.depth", " 2 "],
            None,
            "ok",
        ),
        row(
            "cgroup.max.descendants +0x10",
            None,
            &["set", &p("a"), "cgroup.max.descendants", "+0x10"],
            None,
            "ok",
        ),
        // Names.
        row(
            "mkdir a 300-byte name",
            None,
            &["mkdir", &p(&format!("n/{long_name}"))],
            None,
            "ok",
        ),
        row(
            "mkdir a name with a newline",
            None,
            &["mkdir", &p("n/new\nline")],
            Some("EINVAL"),
            "invalid-value",
        ),
        row(
            "mkdir a 5000-byte name",
            None,
            &["mkdir", &p(&format!("n/{too_long}"))],
            Some("ENAMETOOLONG"),
            "invalid-value",
        ),
        row(
            "mkdir an existing name where nobody may not write",
            Some("nobody"),
            &["mkdir", &p("a")],
            Some("EEXIST"),
            "invalid-value",
        ),
        row(
            "mkdir a new name where nobody may not write",
            Some("nobody"),
            &["mkdir", &p("a2")],
            Some("EACCES"),
            "permission",
        ),
        row(
            "mkdir a newline name where nobody may not write",
            Some("nobody"),
            &["mkdir", &p("new\nline")],
            Some("EACCES"),
            "permission",
        ),
        // cgroup.pressure: kstrtoint, 0 or 1.
        row(
            "cgroup.pressure 2",
            None,
            &["set", &p("a"), "cgroup.pressure", "2"],
            Some("ERANGE"),
            "invalid-value",
        ),
        row(
            "cgroup.pressure a word",
            None,
            &["set", &p("a"), "cgroup.pressure", "some"],
            Some("EINVAL"),
            "invalid-value",
        ),
        row(
            "cgroup.pressure 1",
            None,
            &["set", &p("a"), "cgroup.pressure", "1"],
            None,
            "ok",
        ),
        // PSI triggers.
        row(
            "PSI trigger as root, 1 s window",
            None,
            &["set", &p("a"), "cpu.pressure", "some 150000 1000000"],
            root_window.0,
            root_window.1,
        ),
        row(
            "PSI trigger, text after the numbers",
            None,
            &["set", &p("a"), "io.pressure", "full 1000 2000000 later"],
            None,
            "ok",
        ),
        row(
            "PSI trigger with a zero stall",
            None,
            &["set", &p("a"), "cpu.pressure", "some 0 1000000"],
            Some("EINVAL"),
            "invalid-value",
        ),
        row(
            "PSI trigger with a stall above the window",
            None,
            &["set", &p("a"), "cpu.pressure", "some 2000000 1000000"],
            Some("EINVAL"),
            "invalid-value",
        ),
        row(
            "PSI trigger with a window above 10 s",
            None,
            &["set", &p("a"), "cpu.pressure", "some 1000 10000001"],
            Some("EINVAL"),
            "invalid-value",
        ),
        row(
            "PSI trigger of another kind",
            None,
            &["set", &p("a"), "cpu.pressure", "half 1000 1000000"],
            Some("EINVAL"),
            "invalid-value",
        ),
        row(
            "PSI trigger as nobody, 1 s window",
            Some("nobody"),
            &["set", &p("nb"), "cpu.pressure", "some 150000 1000000"],
            unprivileged_window.0,
            unprivileged_window.1,
        ),
        row(
            "PSI trigger as nobody, 2 s window",
            Some("nobody"),
            &["set", &p("nb"), "io.pressure", "some 150000 2000000"],
            None,
            "ok",
        ),
    ];
    if hugetlb.is_some() {
        std::fs::write(cg.dir().join("cgroup.subtree_control"), "+hugetlb").unwrap();
        // memparse, through page_counter_memparse() as memory.* reads it too.
        for (what, value, expect) in [
            ("memparse: hex", "0x100000", None),
            ("memparse: E suffix", "1E", None),
            ("memparse: 16E wraps to 0", "16E", None),
            ("memparse: a 20-digit number", "12345678901234567890", None),
            (
                "memparse: a 21-digit number wraps",
                "999999999999999999999",
                None,
            ),
            ("memparse: a lone space is 0", " ", None),
            ("memparse: octal 010", "010", None),
            ("memparse: 08 is no octal number", "08", Some("EINVAL")),
            ("memparse: a sign", "+1", Some("EINVAL")),
            ("memparse: two suffixes", "1KK", Some("EINVAL")),
        ] {
            rows.push(row(
                what,
                None,
                &["set", &p("a"), "hugetlb.2MB.max", value],
                expect,
                if expect.is_some() {
                    "invalid-value"
                } else {
                    "ok"
                },
            ));
        }
    } else {
        eprintln!("SKIPPED memparse rows: no hugetlb controller in this cgroup2 hierarchy");
    }
    let controllers =
        std::fs::read_to_string(cg.mount.join("cgroup.controllers")).unwrap_or_default();
    for (controller, class) in [
        ("cpu", "cpu.max (sscanf, the quota bound)"),
        ("cpuset", "cpuset.cpus naming a CPU that does not exist"),
        ("memory", "memory.reclaim answering EAGAIN"),
    ] {
        if !controllers.split_whitespace().any(|c| c == controller) {
            eprintln!(
                "SKIPPED {class}: the {controller} controller is not in this cgroup2 hierarchy \
                 (bound to v1 on a hybrid host); unit tests and the VM suite cover it"
            );
        }
    }

    let (table, disagreements) = compare(&runner, &rows);
    eprintln!("{table}");

    // What cgtui writes is shown where it converts, in JSON and in text.
    let (_, converted) = runner.cgtui(
        None,
        &[
            "check".into(),
            "set".into(),
            p("k1"),
            "cgroup.procs".into(),
            hex_pid.clone(),
        ],
    );
    assert_eq!(converted["writes"], pid.to_string(), "{converted}");
    assert_eq!(converted["value"], hex_pid, "{converted}");
    let text = Command::new(common::binary())
        .args(["check", "set", &p("a"), "cgroup.max.depth", "0x10"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("cgtui writes 16 (converted from 0x10)"),
        "{text}"
    );
    let (_, plain) = runner.cgtui(
        None,
        &[
            "check".into(),
            "set".into(),
            p("a"),
            "cgroup.max.depth".into(),
            "3".into(),
        ],
    );
    assert_eq!(plain["writes"], "3", "{plain}");
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    assert!(rows.len() >= 23, "only {} rows", rows.len());
    assert!(
        disagreements.is_empty(),
        "{} of {} rows disagree:\n{}",
        disagreements.len(),
        rows.len(),
        disagreements.join("\n")
    );
}

/// A write through a descriptor opened before its cgroup was removed: kernfs answers ENODEV,
/// which cgtui explains as a removed cgroup, not as a missing block device.
#[test]
fn a_removed_cgroup_is_explained_as_removed() {
    use cgtui::cgroup::rules::{Rule, errno_name, rule_of_errno};
    use std::io::Write;
    let cg = live_or_skip!("removed");
    std::fs::create_dir(cg.child("gone")).unwrap();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .open(cg.child("gone/cgroup.max.depth"))
        .unwrap();
    std::fs::remove_dir(cg.child("gone")).unwrap();
    let code = file
        .write(b"1")
        .expect_err("a write to a removed cgroup fails")
        .raw_os_error()
        .expect("an errno");
    let errno = errno_name(code);
    // The kernel's answer, taken at run time.
    assert_eq!(errno, "ENODEV");
    let rule = rule_of_errno("set", Some("cgroup.max.depth"), &errno);
    assert_eq!(rule, Rule::NoSuchCgroup);
    let path = cgtui::cgroup::CgroupPath::from_relative(&cg.relative.join("gone")).unwrap();
    let explanation = cgtui::cgroup::edit::removed_cgroup(&path);
    assert!(explanation.contains("was removed"), "{explanation}");
    assert!(!explanation.contains("block device"), "{explanation}");
    assert!(!rule.meaning().contains("block device"));
}

/// The cgroup a process is in, from /proc/PID/cgroup (the v2 line).
fn cgroup_line(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/cgroup"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("0::"))
        .unwrap_or_default()
        .to_string()
}

/// Wait up to 5 s for `found` to give something.
fn wait_for<T>(mut found: impl FnMut() -> Option<T>) -> T {
    for _ in 0..500 {
        if let Some(t) = found() {
            return t;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("timed out")
}

/// Issue 26 item 12: where the kernel answers success but does something else than the words
/// suggest, `check` warns; the kernel's own behaviour, read after the real write, decides.
#[test]
fn warnings_say_what_the_kernel_really_does() {
    let cg = live_or_skip!("consequence");
    let state = tempfile::tempdir().unwrap();
    let runner = Runner {
        state: state.path(),
    };
    for dir in ["from", "to"] {
        std::fs::create_dir_all(cg.child(dir)).unwrap();
    }
    let t = format!("/{}", cg.relative.display());
    let p = |s: &str| format!("{t}/{s}");
    let warned = |value: &Value, needle: &str| {
        value["warnings"].as_array().is_some_and(|w| {
            w.iter()
                .any(|w| w.as_str().is_some_and(|w| w.contains(needle)))
        })
    };

    // A zombie: a child that exited and whose parent (now `sleep`) never reaps it.
    let mut parent =
        LiveCgroup::spawn_in(&cg.child("from"), &["sh", "-c", "sleep 0 & exec sleep 120"]);
    let zombie: u32 = wait_for(|| {
        let children =
            std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", parent.id())).ok()?;
        let child: u32 = children.split_whitespace().next()?.parse().ok()?;
        let stat = std::fs::read_to_string(format!("/proc/{child}/stat")).ok()?;
        let state = stat
            .rsplit_once(')')?
            .1
            .split_whitespace()
            .next()?
            .to_string();
        (state == "Z").then_some(child)
    });
    let (_, predicted) = runner.cgtui(
        None,
        &["check".into(), "move".into(), zombie.to_string(), p("to")],
    );
    let (_, done) = runner.cgtui(None, &["move".into(), zombie.to_string(), p("to")]);
    let stayed = !cgroup_line(zombie).ends_with("/to");
    assert!(
        done["errno"].is_null(),
        "the kernel takes the write: {done}"
    );
    assert_eq!(
        warned(&predicted, "zombie"),
        stayed,
        "a zombie warning exactly when the kernel leaves it: {predicted}"
    );
    assert!(stayed, "this kernel moved a zombie");
    let _ = parent.kill();
    let _ = parent.wait();

    // A thread's id written to cgroup.procs.
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("SKIPPED thread-id rows: python3 is needed for a process with threads");
    } else {
        let mut threaded = LiveCgroup::spawn_in(
            &cg.child("from"),
            &[
                "python3",
                "-c",
                "import threading,time; threading.Thread(target=time.sleep, args=(120,)).start(); time.sleep(120)",
            ],
        );
        let pid = threaded.id();
        let tid: u32 = wait_for(|| {
            std::fs::read_dir(format!("/proc/{pid}/task"))
                .ok()?
                .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
                .find(|t| *t != pid)
        });
        let (_, predicted) = runner.cgtui(
            None,
            &["check".into(), "move".into(), tid.to_string(), p("to")],
        );
        let (_, done) = runner.cgtui(None, &["move".into(), tid.to_string(), p("to")]);
        assert!(
            done["errno"].is_null(),
            "the kernel takes a thread id: {done}"
        );
        let whole_process_moved = cgroup_line(pid).ends_with("/to");
        assert!(whole_process_moved, "the kernel moved the whole process");
        assert!(
            warned(&predicted, &format!("thread of process {pid}")),
            "{predicted}"
        );
        // The process's own id gives no such warning.
        let (_, own) = runner.cgtui(
            None,
            &["check".into(), "move".into(), pid.to_string(), p("from")],
        );
        assert!(!warned(&own, "thread of process"), "{own}");
        let _ = threaded.kill();
        let _ = threaded.wait();
    }
    eprintln!(
        "SKIPPED +cpu on a populated cgroup: no threaded controller in this hybrid hierarchy (a \
         unit test on a fixture covers the warning)"
    );
}

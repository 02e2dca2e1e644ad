//! The journal against a user who owns the place it lives in (root under `sudo -E`, with HOME
//! or XDG_STATE_HOME in that user's home): symlinks, directories and files of another uid, hard
//! links, planted and torn entries, and two cgtui undoing at once. Each runs the real binary as
//! root on a small fake tree; the "other user" is uid 4242, made by chown.

mod common;

use serde_json::{Value, json};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

const OTHER: u32 = 4242;
const SVC: &str = "/system.slice/fx.service";

struct Sandbox {
    dir: tempfile::TempDir,
    tree: PathBuf,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        let tree = dir.path().join("tree");
        let svc = tree.join("system.slice/fx.service");
        std::fs::create_dir_all(&svc).unwrap();
        std::fs::write(svc.join("memory.max"), "max\n").unwrap();
        std::fs::write(svc.join("pids.max"), "max\n").unwrap();
        Sandbox { dir, tree }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The default place: XDG_STATE_HOME=`state`.
    fn state(&self) -> PathBuf {
        self.path("state")
    }

    fn journal_path(&self) -> PathBuf {
        self.state().join("cgtui/journal.jsonl")
    }

    fn memory_max(&self) -> String {
        std::fs::read_to_string(self.tree.join("system.slice/fx.service/memory.max")).unwrap()
    }

    fn command(&self, env: &[(&str, &Path)], args: &[&str]) -> Command {
        let mut command = Command::new(common::binary());
        command
            .arg("--fixture")
            .arg(&self.tree)
            .arg("--fixture-writable")
            .args(args)
            .env_remove("XDG_STATE_HOME")
            .env_remove("HOME");
        for (key, value) in env {
            command.env(key, value);
        }
        command
    }

    /// Run with `env` (no HOME or XDG_STATE_HOME unless given); exit code, stdout, stderr.
    fn run_env(&self, env: &[(&str, &Path)], args: &[&str]) -> (i32, String, String) {
        let out = self.command(env, args).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        self.run_env(&[("XDG_STATE_HOME", &self.state())], args)
    }

    fn journal(&self) -> Vec<Value> {
        std::fs::read_to_string(self.journal_path())
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Append raw text to the journal, as a crash or another writer would leave it.
    fn append_raw(&self, text: &str) {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(self.journal_path())
            .unwrap();
        file.write_all(text.as_bytes()).unwrap();
    }
}

/// An end entry as cgtui writes them, for planting.
fn entry(id: &str, uid: u32, op: &str, file: Option<&str>, old: &str, new: &str) -> Value {
    json!({
        "id": id, "phase": "end", "timestamp": 1.0, "uid": uid, "op": op,
        "cgroup": SVC, "cgroup_raw": SVC.trim_start_matches('/').as_bytes(),
        "file": file, "old": old, "new": new, "result": "ok", "errno": null,
        "rule": "ok", "via": "fs", "undo_of": null
    })
}

fn assert_refused(code: i32, err: &str, what: &str) {
    assert_eq!(code, 1, "{what}: expected a refusal; stderr: {err}");
    assert!(
        err.contains("refusing the journal"),
        "{what}: no clear refusal: {err}"
    );
    assert!(err.contains(what), "{what}: {err}");
}

#[test]
fn a_journal_through_a_symlink_is_refused_and_nothing_is_written() {
    let sb = Sandbox::new();
    let victim = sb.path("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    std::fs::create_dir_all(sb.state().join("cgtui")).unwrap();
    std::os::unix::fs::symlink(&victim, sb.journal_path()).unwrap();
    let (code, _, err) = sb.run(&["set", SVC, "memory.max", "512M"]);
    assert_refused(code, &err, "symlink");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert_eq!(
        sb.memory_max(),
        "max\n",
        "the change must not be made unjournaled"
    );

    // The journal's directory as a symlink (to a directory of root's) is refused too.
    let elsewhere = sb.path("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::fs::remove_file(sb.journal_path()).unwrap();
    std::fs::remove_dir(sb.state().join("cgtui")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, sb.state().join("cgtui")).unwrap();
    let (code, _, err) = sb.run(&["set", SVC, "memory.max", "512M"]);
    assert_refused(code, &err, "symlink");
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
    assert_eq!(sb.memory_max(), "max\n");
}

#[test]
fn a_home_another_user_owns_is_refused_whatever_they_planted() {
    let sb = Sandbox::new();
    // sudo -E: HOME is the user's. Root must not create or follow anything in it.
    let home = sb.path("home");
    std::fs::create_dir(&home).unwrap();
    std::os::unix::fs::chown(&home, Some(OTHER), Some(OTHER)).unwrap();
    let (code, _, err) = sb.run_env(&[("HOME", &home)], &["set", SVC, "memory.max", "512M"]);
    assert_refused(code, &err, "belongs to uid 4242");
    assert_eq!(std::fs::read_dir(&home).unwrap().count(), 0, "nothing made");
    assert_eq!(sb.memory_max(), "max\n");

    // The user planted .local as a symlink to a directory of root's: still their home.
    let roots = sb.path("roots");
    std::fs::create_dir(&roots).unwrap();
    std::os::unix::fs::symlink(&roots, home.join(".local")).unwrap();
    let (code, _, err) = sb.run_env(&[("HOME", &home)], &["set", SVC, "memory.max", "512M"]);
    assert_refused(code, &err, "belongs to uid 4242");
    assert_eq!(std::fs::read_dir(&roots).unwrap().count(), 0);

    // In a directory of root's, a cgtui directory the user made, or a journal they own.
    let cgtui_dir = sb.state().join("cgtui");
    std::fs::create_dir_all(&cgtui_dir).unwrap();
    std::os::unix::fs::chown(&cgtui_dir, Some(OTHER), Some(OTHER)).unwrap();
    let (code, _, err) = sb.run(&["set", SVC, "memory.max", "512M"]);
    assert_refused(code, &err, "directory belongs to uid 4242");
    std::os::unix::fs::chown(&cgtui_dir, Some(0), Some(0)).unwrap();
    std::fs::write(sb.journal_path(), "").unwrap();
    std::os::unix::fs::chown(sb.journal_path(), Some(OTHER), Some(OTHER)).unwrap();
    let (code, _, err) = sb.run(&["set", SVC, "memory.max", "512M"]);
    assert_refused(code, &err, "belongs to uid 4242");

    // A hard link to a file elsewhere.
    std::fs::remove_file(sb.journal_path()).unwrap();
    let victim = sb.path("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    std::fs::hard_link(&victim, sb.journal_path()).unwrap();
    let (code, _, err) = sb.run(&["set", SVC, "memory.max", "512M"]);
    assert_refused(code, &err, "hard links");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");

    // A directory on the way that anyone may write.
    let open = sb.path("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
    let (code, _, err) = sb.run_env(
        &[("XDG_STATE_HOME", &open.join("state"))],
        &["set", SVC, "memory.max", "512M"],
    );
    assert_refused(code, &err, "writable by others");
    assert_eq!(sb.memory_max(), "max\n");
}

#[test]
fn the_journal_is_private() {
    let sb = Sandbox::new();
    let (code, out, err) = sb.run(&["set", SVC, "memory.max", "512M"]);
    assert_eq!(code, 0, "{out} {err}");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().mode() & 0o7777;
    assert_eq!(mode(&sb.state().join("cgtui")), 0o700);
    assert_eq!(mode(&sb.journal_path()), 0o600);

    // One left readable by an older cgtui is made private on the next write.
    std::fs::set_permissions(sb.journal_path(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let dir = sb.state().join("cgtui");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (code, _, err) = sb.run(&["set", SVC, "memory.max", "256M"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&sb.journal_path()), 0o600);
}

#[test]
fn a_torn_last_line_is_never_glued_to_the_next_entry() {
    let sb = Sandbox::new();
    assert_eq!(sb.run(&["set", SVC, "memory.max", "512M"]).0, 0);
    // A crash (or a full disk) cut the next line short.
    let torn = r#"{"id":"torn","phase":"beg"#;
    sb.append_raw(torn);
    let (code, _, err) = sb.run(&["set", SVC, "pids.max", "250"]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(sb.journal_path()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.contains(&torn), "the torn line stands alone:\n{text}");
    assert_eq!(
        lines
            .iter()
            .filter(|l| serde_json::from_str::<Value>(l).is_ok())
            .count(),
        4,
        "every entry after the torn line is whole:\n{text}"
    );
    // Undo reads past it, and says it skipped a line.
    let (code, out, err) = sb.run(&["undo", "--json"]);
    assert_eq!(code, 0, "{out} {err}");
    let out: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(out["file"], "pids.max", "{out}");
    assert!(
        out["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("skipped line 3")),
        "{out}"
    );
}

#[test]
fn undo_takes_back_only_this_users_changes_and_only_if_unchanged_since() {
    let sb = Sandbox::new();
    assert_eq!(sb.run(&["set", SVC, "memory.max", "512M"]).0, 0);
    // Someone else changed it since: undo says so and leaves it.
    let file = sb.tree.join("system.slice/fx.service/memory.max");
    std::fs::write(&file, "1073741824\n").unwrap();
    let (code, out, err) = sb.run(&["undo"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        err.contains("now holds 1073741824, not 536870912 as cgtui left it"),
        "{err}"
    );
    assert_eq!(sb.memory_max(), "1073741824\n");

    // An entry of another uid is not this user's to undo.
    let sb = Sandbox::new();
    assert_eq!(sb.run(&["set", SVC, "pids.max", "64"]).0, 0);
    let (code, _, err) = sb.run(&["undo"]);
    assert_eq!(code, 0, "{err}");
    sb.append_raw(&format!(
        "{}\n",
        entry("planted", OTHER, "set", Some("memory.max"), "1", "max")
    ));
    let (code, _, err) = sb.run(&["undo"]);
    assert_eq!(code, 1);
    assert!(err.contains("nothing to undo"), "{err}");
    assert_eq!(sb.memory_max(), "max\n");
}

#[test]
fn undo_says_what_it_undid() {
    let sb = Sandbox::new();
    assert_eq!(sb.run(&["set", SVC, "memory.max", "512M"]).0, 0);
    let (code, out, err) = sb.run(&["undo"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with(
            "undid: set memory.max of /system.slice/fx.service from 536870912 back to max"
        ),
        "{out}"
    );
    // One "now": what the file holds after the undo.
    assert_eq!(out.matches("now").count(), 1, "{out}");
    assert!(out.contains("(now: max)"), "{out}");
    let undo = sb.journal().pop().unwrap();
    assert!(undo["session"].is_string(), "{undo}");
}

#[test]
fn a_move_journaled_without_its_raw_source_is_not_guessed() {
    let sb = Sandbox::new();
    assert_eq!(sb.run(&["set", SVC, "pids.max", "64"]).0, 0);
    let mut moved = entry("old-move", 0, "move", Some("cgroup.procs"), "/a\\ebad", "1");
    moved["old"] = json!("/evil\\e[31m");
    sb.append_raw(&format!("{moved}\n"));
    // It is passed over, said why, and the older change is undone.
    let (code, out, err) = sb.run(&["undo"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("undid: set pids.max"), "{out}");
    assert!(
        err.contains("passed over, cannot be undone now")
            && err.contains("journaled by an older cgtui")
            && err.contains("will not guess"),
        "{err}"
    );
}

#[test]
fn undo_lists_passes_over_what_cannot_be_undone_and_takes_an_id() {
    let sb = Sandbox::new();
    assert_eq!(sb.run(&["set", SVC, "memory.max", "512M"]).0, 0);
    assert_eq!(sb.run(&["set", SVC, "pids.max", "64"]).0, 0);
    let made = format!("{SVC}/made");
    assert_eq!(sb.run(&["mkdir", &made]).0, 0);
    // The cgroup cgtui made goes away behind its back: its mkdir cannot be undone.
    std::fs::remove_dir_all(sb.tree.join("system.slice/fx.service/made")).unwrap();

    let (code, out, err) = sb.run(&["undo", "--list", "--json"]);
    assert_eq!(code, 0, "{err}");
    let items: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(items.len(), 3, "{out}");
    assert_eq!(items[0]["undoable"], false, "{out}");
    assert!(
        items[0]["why_not"]
            .as_str()
            .unwrap()
            .contains("does not exist any more"),
        "{out}"
    );
    assert!(
        items[0]["undo"].as_str().unwrap().contains("remove"),
        "{out}"
    );
    assert_eq!(
        (items[1]["undoable"].clone(), items[2]["undoable"].clone()),
        (json!(true), json!(true))
    );
    assert!(
        items[1]["undo"]
            .as_str()
            .unwrap()
            .starts_with("set pids.max"),
        "{out}"
    );
    let (code, out, _) = sb.run(&["undo", "--list"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("ID"), "{out}");
    assert!(out.contains("cannot be undone: remove"), "{out}");

    // The blocked one is passed over and said; the next older one is undone.
    let (code, out, err) = sb.run(&["undo"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("undid: set pids.max"), "{out}");
    assert!(
        err.contains("passed over, cannot be undone now: remove"),
        "{err}"
    );
    // By id: the blocked one is refused with why, the memory limit is undone.
    let blocked = items[0]["id"].as_str().unwrap();
    let (code, _, err) = sb.run(&["undo", blocked]);
    assert_eq!(code, 1);
    assert!(err.contains("not undoing remove"), "{err}");
    let (code, out, err) = sb.run(&["undo", items[2]["id"].as_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("undid: set memory.max"), "{out}");
    assert_eq!(sb.memory_max().trim(), "max");
    // Nothing left but the blocked one.
    let (code, _, err) = sb.run(&["undo"]);
    assert_eq!(code, 1);
    assert!(err.contains("nothing can be undone"), "{err}");
}

#[test]
fn two_undos_at_once_take_back_one_change_each() {
    let sb = Sandbox::new();
    assert_eq!(sb.run(&["set", SVC, "pids.max", "64"]).0, 0);
    let runs: Vec<_> = (0..4)
        .map(|_| {
            sb.command(&[("XDG_STATE_HOME", &sb.state())], &["undo", "--json"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<_> = runs
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let succeeded = outputs.iter().filter(|o| o.status.success()).count();
    let undoes = sb
        .journal()
        .into_iter()
        .filter(|e| e["phase"] == "end" && e["undo_of"].is_string())
        .count();
    assert_eq!(
        (succeeded, undoes),
        (1, 1),
        "{:?}",
        outputs
            .iter()
            .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
            .collect::<Vec<_>>()
    );
}

#[test]
fn in_a_user_namespace_unmapped_ancestors_are_roots() {
    // alice in `unshare --user --map-root-user` (scenario 06 of the VM suite): `/` and `/tmp`
    // belong to uids the namespace does not map, shown as the overflow uid.
    let probe = Command::new("setpriv")
        .args(["--reuid=4242", "--regid=4242", "--clear-groups"])
        .args(["unshare", "--user", "--map-root-user", "true"])
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        eprintln!("SKIPPED: no unprivileged user namespaces here");
        return;
    }
    let sb = Sandbox::new();
    std::fs::set_permissions(sb.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let home = sb.path("home");
    std::fs::create_dir(&home).unwrap();
    for path in [&home, &sb.tree] {
        Command::new("chown")
            .args(["-R", "4242:4242"])
            .arg(path)
            .status()
            .unwrap();
    }
    let out = Command::new("setpriv")
        .args(["--reuid=4242", "--regid=4242", "--clear-groups"])
        .args(["unshare", "--user", "--map-root-user", "env", "-i"])
        .arg(format!("HOME={}", home.display()))
        .arg(common::binary())
        .arg("--fixture")
        .arg(&sb.tree)
        .arg("--fixture-writable")
        .args(["set", SVC, "memory.max", "512M"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(sb.memory_max(), "536870912");
    assert!(home.join(".local/state/cgtui/journal.jsonl").is_file());
}

//! Every way cgtui prints text that came from the system, fed the hostile set
//! (`escape::HOSTILE_NAMES`) as real cgroup names on this machine's cgroup2: the raw bytes of
//! stdout, stderr and the terminal must hold no terminal escape, BEL, C1 control, bidi,
//! zero-width, separator, tag or BOM character, and no invalid UTF-8. JSON string values must
//! hold none either once decoded (`jq -r` prints them raw).

mod common;

use cgtui::cgroup::escape::{HOSTILE_NAMES, has_raw_hostile, needs_escape, visible};
use common::Pty;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

/// What in `out` should never have reached a terminal: a description per offence (empty when
/// clean). `terminal`: the bytes are a TUI's, whose own CSI sequences start with ESC.
fn offences(out: &[u8], terminal: bool) -> Vec<String> {
    let mut found = Vec::new();
    for chunk in out.utf8_chunks() {
        for b in chunk.invalid() {
            found.push(format!("raw byte {b:#04x}"));
        }
        for c in chunk.valid().chars() {
            let allowed = c == '\n' || c == '\\' || (terminal && (c == '\x1b' || c == '\r'));
            if !allowed && (c.is_control() || needs_escape(c)) {
                found.push(format!("U+{:04X}", c as u32));
            }
        }
    }
    if terminal {
        // The TUI's own output is CSI only: no OSC (title, clipboard), DCS, APC, PM or SOS.
        for intro in [b"\x1b]", b"\x1bP", b"\x1b_", b"\x1b^", b"\x1bX"] {
            if out.windows(2).any(|w| w == intro) {
                found.push(format!("escape sequence {intro:?}"));
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

/// Every string (and key) of a JSON document, decoded.
fn json_strings(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| json_strings(v, out)),
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                out.push(key.clone());
                json_strings(v, out);
            }
        }
        _ => {}
    }
}

struct Run {
    what: String,
    output: Output,
}

/// Runs of the real binary, each checked on its raw bytes.
struct Runner {
    state: tempfile::TempDir,
    failures: Vec<String>,
    runs: usize,
}

impl Runner {
    fn new() -> Runner {
        Runner {
            state: tempfile::tempdir().expect("a temporary home"),
            failures: Vec::new(),
            runs: 0,
        }
    }

    fn run(&mut self, args: &[&OsStr]) -> Run {
        let home = self.state.path();
        let output = Command::new(common::binary())
            .args(args)
            // The journal and config of this test, never the person's.
            .env("HOME", home)
            .env("XDG_STATE_HOME", home.join("state"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .output()
            .expect("run cgtui");
        self.runs += 1;
        let what = args
            .iter()
            .map(|a| visible(a.as_bytes()).into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            output.status.code().is_some(),
            "cgtui {what} was killed: {:?}",
            output.status
        );
        let run = Run { what, output };
        self.check(&run);
        run
    }

    fn check(&mut self, run: &Run) {
        for (stream, bytes) in [
            ("stdout", &run.output.stdout),
            ("stderr", &run.output.stderr),
        ] {
            let bad = offences(bytes, false);
            if !bad.is_empty() {
                self.failures.push(format!(
                    "cgtui {}: {stream} carried {}: {}",
                    run.what,
                    bad.join(", "),
                    visible(bytes)
                ));
            }
        }
        let json = run.what.split(' ').any(|a| a == "--json");
        if json {
            for line in run
                .output
                .stdout
                .split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
            {
                let Ok(doc) = serde_json::from_slice::<serde_json::Value>(line) else {
                    self.failures.push(format!(
                        "cgtui {}: stdout is not JSON: {}",
                        run.what,
                        visible(line)
                    ));
                    continue;
                };
                let mut strings = Vec::new();
                json_strings(&doc, &mut strings);
                for s in strings {
                    let bad = offences(s.as_bytes(), false);
                    if !bad.is_empty() {
                        self.failures.push(format!(
                            "cgtui {}: a JSON string decodes to {}: {}",
                            run.what,
                            bad.join(", "),
                            visible(s.as_bytes())
                        ));
                    }
                }
            }
        }
    }
}

/// `args`, then `--json` when given.
fn with<'a>(args: &[&'a OsStr], json: Option<&'a OsStr>) -> Vec<&'a OsStr> {
    args.iter().copied().chain(json).collect()
}

fn os(text: &str) -> &OsStr {
    OsStr::new(text)
}

fn joined(parent: &Path, name: &[u8]) -> OsString {
    let mut path = parent.as_os_str().as_bytes().to_vec();
    path.push(b'/');
    path.extend_from_slice(name);
    OsString::from_vec(path)
}

#[test]
fn hostile_names_never_reach_stdout_stderr_json_or_the_terminal_raw() {
    let parent = live_or_skip!("hostile");
    let mut made = Vec::new();
    for name in HOSTILE_NAMES {
        let dir = parent.dir().join(OsStr::from_bytes(name));
        match std::fs::create_dir(&dir) {
            Ok(()) => made.push(*name),
            Err(e) => panic!("mkdir {}: {e}", visible(dir.as_os_str().as_bytes())),
        }
    }
    // A process whose command line is hostile, in a hostile cgroup (the TUI lists it): sleep
    // with the whole set as its argv[0], no children, no stdio of ours.
    let first = joined(&parent.dir(), made[0]);
    let argv0 = made.join(&b' ');
    let mut child = {
        use std::os::unix::process::CommandExt;
        Command::new("sleep")
            .arg0(OsStr::from_bytes(&argv0))
            .arg("600")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn sleep")
    };
    if let Err(e) = std::fs::write(
        Path::new(&first).join("cgroup.procs"),
        child.id().to_string(),
    ) {
        let _ = child.kill();
        panic!("move the hostile process into its cgroup: {e}");
    }
    let pid = child.id().to_string();

    let rel = parent.relative.clone();
    let mut runner = Runner::new();
    let hostile_file = "memory.max\x1b]0;title\x07\u{202e}\u{9b}";
    let hostile_value = "1G\x1b[2J\u{200b}";

    // The whole tree, text and JSON.
    for json in [false, true] {
        let mut args = vec![os("--root"), rel.as_os_str(), os("snapshot")];
        if json {
            args.push(os("--json"));
        }
        let run = runner.run(&args);
        assert_eq!(run.output.status.code(), Some(0), "{}", run.what);
        let shown = String::from_utf8_lossy(&run.output.stdout).into_owned();
        assert!(
            made.iter().all(|n| shown.contains(&*visible(n))) || json,
            "snapshot lists every name escaped: {shown}"
        );
    }

    for name in &made {
        let cgroup = joined(&rel, name);
        let cgroup = cgroup.as_os_str();
        let missing = joined(&rel, &[b"gone-".as_slice(), name].concat());
        let missing = missing.as_os_str();
        for json in [None, Some(os("--json"))] {
            runner.run(&with(&[os("explain"), cgroup], json));
            runner.run(&with(
                &[
                    os("check"),
                    os("set"),
                    cgroup,
                    os("cgroup.max.depth"),
                    os("5"),
                ],
                json,
            ));
            runner.run(&with(
                &[os("check"), os("set"), cgroup, os("memory.max"), os("1G")],
                json,
            ));
            runner.run(&with(
                &[os("check"), os("mkdir"), &joined(Path::new(cgroup), b"sub")],
                json,
            ));
            runner.run(&with(&[os("check"), os("rmdir"), cgroup], json));
            runner.run(&with(&[os("check"), os("move"), os(&pid), cgroup], json));
            // Refused before writing: an invalid value, then an unknown cgroup with a hostile
            // FILE and VALUE echoed back.
            let run = runner.run(&with(
                &[os("set"), cgroup, os("cgroup.max.depth"), os("bogus")],
                json,
            ));
            assert_ne!(run.output.status.code(), Some(0), "{}", run.what);
            let run = runner.run(&with(
                &[os("set"), missing, os(hostile_file), os(hostile_value)],
                json,
            ));
            assert_ne!(run.output.status.code(), Some(0), "{}", run.what);
            runner.run(&with(
                &[
                    os("check"),
                    os("set"),
                    missing,
                    os(hostile_file),
                    os(hostile_value),
                ],
                json,
            ));
            let run = runner.run(&with(&[os("explain"), missing], json));
            assert_ne!(run.output.status.code(), Some(0), "{}", run.what);
            // Written, read back and undone: the journal's way back to the screen.
            let run = runner.run(&with(
                &[os("set"), cgroup, os("cgroup.max.depth"), os("7")],
                json,
            ));
            assert_eq!(run.output.status.code(), Some(0), "{}", run.what);
            let run = runner.run(&with(&[os("undo")], json));
            assert_eq!(run.output.status.code(), Some(0), "{}", run.what);
            let sub = joined(Path::new(cgroup), b"made-by-cgtui");
            runner.run(&with(&[os("mkdir"), &sub], json));
            runner.run(&with(&[os("rmdir"), &sub], json));
        }
        // An unknown --root, through main's error chain.
        runner.run(&[os("--root"), missing, os("snapshot")]);
        // Arguments the parser refuses, which it quotes back.
        let run = runner.run(&[os("explain"), cgroup, OsStr::from_bytes(name)]);
        assert_eq!(run.output.status.code(), Some(2), "{}", run.what);
        runner.run(&[os("--interval"), OsStr::from_bytes(name), os("snapshot")]);
    }
    // A process moved through the hostile names and back.
    for name in &made[1..] {
        let cgroup = joined(&rel, name);
        runner.run(&[os("move"), os(&pid), &cgroup]);
    }
    runner.run(&[os("undo")]);

    // The TUI: the tree of hostile names, each selected (details and processes), and the
    // explanation pane.
    let root = rel.to_string_lossy().into_owned();
    let mut pty = Pty::spawn_env(
        &["--root", &root, "--read-only"],
        &[("HOME", &runner.state.path().to_string_lossy())],
        160,
        50,
    );
    let last_shown = visible(made[made.len() - 1]).into_owned();
    pty.wait_text(&last_shown, Duration::from_secs(30));
    for _ in 0..=made.len() {
        pty.send("j");
        std::thread::sleep(Duration::from_millis(150));
        pty.send("w");
        std::thread::sleep(Duration::from_millis(300));
        pty.send("\x1b");
        std::thread::sleep(Duration::from_millis(150));
    }
    // Let the last frames land.
    std::thread::sleep(Duration::from_secs(1));
    pty.send("q");
    let exited = pty.wait_exit(Duration::from_secs(15));
    let raw = pty.raw_output();
    let bad = offences(&raw, true);
    if !bad.is_empty() {
        runner
            .failures
            .push(format!("the TUI wrote {} to the terminal", bad.join(", ")));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(exited, "the TUI did not quit on q");
    eprintln!(
        "{} runs of cgtui over {} hostile names",
        runner.runs,
        made.len()
    );
    assert!(
        runner.failures.is_empty(),
        "{} outputs carried raw hostile text:\n{}",
        runner.failures.len(),
        runner.failures.join("\n")
    );
}

/// The hostile set as unit names, at the library level: the text that names a unit (who
/// manages a cgroup, how it was delegated, the systemd warning of a prediction) shows it
/// escaped. Units come from cgroup names, which systemd's charset filters, but the renderers
/// must not rely on it.
#[test]
fn hostile_unit_names_render_escaped() {
    use cgtui::cgroup::systemd::{self, Delegation, DelegationMark, Manager, Ownership};
    use cgtui::cgroup::{CgroupPath, explain};
    for name in HOSTILE_NAMES {
        let unit = [*name, b".service"].concat();
        // Only the forged escape (a backslash, which systemd's own escaping uses) is a unit name.
        assert_eq!(
            systemd::is_unit_name(OsStr::from_bytes(&unit)),
            !has_raw_hostile(name),
            "{}",
            visible(&unit)
        );
        let unit = cgtui::cgroup::escape::SysText::new(unit);
        let cgroup = CgroupPath::from_relative(Path::new(OsStr::from_bytes(name))).unwrap();
        for manager in [Manager::System, Manager::User { uid: 1000 }] {
            let owner = Ownership {
                manager: Some(manager),
                unit: Some(unit.clone()),
                delegation: None,
                unit_delegated: false,
            };
            let text = explain::managed_by(&owner, true);
            assert!(offences(text.as_bytes(), false).is_empty(), "{text}");
            assert!(text.contains(&*unit.visible()), "{text}");
            let warning = cgtui::cgroup::predict::systemd_warning(&owner).unwrap();
            assert!(offences(warning.as_bytes(), false).is_empty(), "{warning}");
            for mark in [
                DelegationMark::Xattr("trusted.delegate".into()),
                DelegationMark::UserManager,
                DelegationMark::Property,
            ] {
                let delegation = Delegation {
                    root: cgroup.clone(),
                    unit: unit.clone(),
                    mark,
                };
                let by = explain::delegated_by(&delegation);
                assert!(offences(by.as_bytes(), false).is_empty(), "{by}");
                let json = serde_json::to_string(&delegation.unit).unwrap();
                let decoded: String = serde_json::from_str(&json).unwrap();
                assert!(offences(decoded.as_bytes(), false).is_empty(), "{json}");
            }
        }
    }
}

//! A real install: `cgtui completions SHELL` and `cgtui manpage` come from the same clap
//! definitions as `--help`; the man page renders with `man -l`; bash completion completes
//! subcommands, flags and `--root` paths; the Debian package's metadata lists them.

mod common;

use std::process::{Command, Output};

fn cgtui(args: &[&str]) -> Output {
    let out = Command::new(common::binary()).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "cgtui {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn text(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// A tool the test needs: in CI (.ci/run installs it) its absence fails; elsewhere it skips.
fn tool(name: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{name} is missing in CI: .ci/run installs it"
        );
        println!("SKIPPED: {name} is not installed");
    }
    found
}

#[test]
fn completions_for_every_shell_name_every_subcommand() {
    let help = text(&cgtui(&["--help"]));
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = text(&cgtui(&["completions", shell]));
        for word in [
            "snapshot",
            "explain",
            "completions",
            "manpage",
            "resolve-names",
        ] {
            assert!(script.contains(word), "{shell} lacks {word}");
            assert!(help.contains(word), "--help lacks {word}");
        }
    }
    let err = Command::new(common::binary())
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert!(!err.status.success());
    assert!(
        String::from_utf8_lossy(&err.stderr).contains("possible values: bash"),
        "{}",
        String::from_utf8_lossy(&err.stderr)
    );
}

/// What bash's completion function offers for `words` (the last is being completed).
fn bash_complete(words: &[&str]) -> Vec<String> {
    let script = text(&cgtui(&["completions", "bash"]));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cgtui.bash");
    std::fs::write(&file, script).unwrap();
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let current = words.len() - 1;
    let previous = words[current.saturating_sub(1)];
    let program = format!(
        "source '{}'; COMP_WORDS=({}); COMP_CWORD={current}; COMP_LINE='{}'; COMP_POINT=${{#COMP_LINE}}; _cgtui cgtui '{}' '{previous}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        file.display(),
        quoted.join(" "),
        words.join(" "),
        words[current],
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_subcommands_flags_and_root_paths() {
    if !tool("bash") {
        return;
    }
    assert_eq!(bash_complete(&["cgtui", "sn"]), ["snapshot"]);
    let mut man = bash_complete(&["cgtui", "ma"]);
    man.sort();
    assert_eq!(man, ["manpage"]);
    assert!(bash_complete(&["cgtui", "--res"]).contains(&"--resolve-names".to_string()));
    assert!(bash_complete(&["cgtui", "snapshot", "--js"]).contains(&"--json".to_string()));
    let shells = bash_complete(&["cgtui", "completions", ""]);
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        assert!(shells.contains(&shell.to_string()), "{shells:?}");
    }

    // --root completes paths, before and after the subcommand.
    let tree = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tree.path().join("user.slice/user-1000.slice")).unwrap();
    std::fs::create_dir_all(tree.path().join("system.slice")).unwrap();
    let base = tree.path().display().to_string();
    assert_eq!(
        bash_complete(&["cgtui", "--root", &format!("{base}/us")]),
        [format!("{base}/user.slice")]
    );
    assert_eq!(
        bash_complete(&[
            "cgtui",
            "snapshot",
            "--root",
            &format!("{base}/user.slice/u")
        ]),
        [format!("{base}/user.slice/user-1000.slice")]
    );
}

#[test]
fn the_man_page_renders_with_man() {
    let page = text(&cgtui(&["manpage"]));
    assert!(
        page.starts_with(".ie") || page.contains(".TH cgtui 1"),
        "{page}"
    );
    if !tool("man") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cgtui.1");
    std::fs::write(&file, &page).unwrap();
    let out = Command::new("man")
        .arg("-l")
        .arg(&file)
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .env("MANWIDTH", "100")
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    let warnings = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{warnings}");
    // groff warns on stderr about roff it does not understand.
    assert!(warnings.trim().is_empty(), "{warnings}");
    // Plain text: no backspace overstriking, no raw roff requests.
    let plain: String = shown
        .split('\x08')
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join("");
    for section in [
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "OPTIONS",
        "SUBCOMMANDS",
        "FILES",
        "ENVIRONMENT",
        "EXAMPLES",
    ] {
        assert!(plain.contains(section), "{section} missing:\n{plain}");
    }
    for text in [
        "--resolve-names",
        "--root",
        "config.toml",
        "journal.jsonl",
        "NO_COLOR",
        "cgtui-snapshot(1)",
    ] {
        assert!(plain.contains(text), "{text} missing:\n{plain}");
    }
    assert!(
        !plain.contains("\n.TP") && !plain.contains("\\fB"),
        "{plain}"
    );

    // --dir writes a page per subcommand.
    let pages = tempfile::tempdir().unwrap();
    cgtui(&["manpage", "--dir", &pages.path().display().to_string()]);
    for name in ["cgtui.1", "cgtui-snapshot.1", "cgtui-completions.1"] {
        assert!(pages.path().join(name).is_file(), "{name} not written");
    }
}

#[test]
fn install_commands_need_no_cgroup_hierarchy() {
    // Packaging runs them in a build chroot: no cgroup2, a fixture that does not exist.
    cgtui(&["--fixture", "/nonexistent", "completions", "zsh"]);
    cgtui(&["--fixture", "/nonexistent", "manpage"]);
}

/// The man pages and completions the Debian package ships, kept in the repository so that
/// `cargo deb` works on a fresh clone, are what the binary writes now; CGTUI_UPDATE_DOCS=1
/// rewrites them.
#[test]
fn the_packaged_man_pages_and_completions_are_current() {
    let kept = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/generated");
    let fresh = tempfile::tempdir().unwrap();
    let man = fresh.path().join("man");
    let completions = fresh.path().join("completions");
    std::fs::create_dir_all(&completions).unwrap();
    cgtui(&["manpage", "--dir", &man.display().to_string()]);
    for (shell, file) in [("bash", "cgtui"), ("zsh", "_cgtui"), ("fish", "cgtui.fish")] {
        std::fs::write(
            completions.join(file),
            cgtui(&["completions", shell]).stdout,
        )
        .unwrap();
    }
    let files = |root: &std::path::Path| -> std::collections::BTreeMap<String, Vec<u8>> {
        ["man", "completions"]
            .iter()
            .flat_map(|dir| {
                std::fs::read_dir(root.join(dir))
                    .into_iter()
                    .flatten()
                    .map(|entry| entry.unwrap().path())
                    .map(move |path| {
                        let name = format!("{dir}/{}", path.file_name().unwrap().to_string_lossy());
                        (name, std::fs::read(&path).unwrap())
                    })
            })
            .collect()
    };
    let (want, have) = (files(fresh.path()), files(&kept));
    assert!(want.contains_key("man/cgtui.1") && want.contains_key("completions/_cgtui"));
    if want == have {
        return;
    }
    if std::env::var_os("CGTUI_UPDATE_DOCS").is_some() {
        let _ = std::fs::remove_dir_all(&kept);
        for (name, bytes) in &want {
            let path = kept.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
        return;
    }
    let differ: Vec<&String> = want
        .keys()
        .chain(have.keys())
        .filter(|name| want.get(*name) != have.get(*name))
        .collect();
    panic!(
        "packaging/generated/ is not what the binary writes ({differ:?}); run \
         CGTUI_UPDATE_DOCS=1 cargo test --test install to rewrite it"
    );
}

//! `cgtui snapshot` shows the cgroups `--include`, `--exclude` and `--max-depth` select, in text
//! and JSON, live and from a store, as `--format openmetrics` (and `cgtui export`) do.

mod common;

use std::process::Command;

fn snapshot(args: &[&str]) -> String {
    let out = Command::new(common::binary())
        .arg("--fixture")
        .arg(common::fixture())
        .arg("snapshot")
        .args(args)
        .output()
        .expect("run cgtui snapshot");
    assert!(out.status.success(), "snapshot {args:?}: {out:?}");
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn json_paths(text: &str) -> Vec<String> {
    let document: serde_json::Value =
        serde_json::from_str(text.lines().next().expect("a document")).expect("JSON");
    document["cgroups"]
        .as_array()
        .expect("cgroups")
        .iter()
        .map(|c| c["path"].as_str().expect("path").to_string())
        .collect()
}

#[test]
fn selection_flags_choose_the_cgroups_in_text_and_json() {
    let all = json_paths(&snapshot(&["--json"]));
    assert!(all.len() >= 8, "{all:?}");
    let shallow = json_paths(&snapshot(&["--json", "--max-depth", "1"]));
    assert_eq!(
        shallow,
        ["/", "/init.scope", "/system.slice", "/user.slice"]
    );
    let users = json_paths(&snapshot(&["--json", "--include", "user.slice/**"]));
    assert!(!users.is_empty() && users.iter().all(|p| p.starts_with("/user.slice/")));
    let without = json_paths(&snapshot(&["--json", "--exclude", "system.slice/**"]));
    assert!(without.iter().all(|p| !p.starts_with("/system.slice/")));
    assert!(without.contains(&"/system.slice".to_string()));
    // The text table shows the same rows.
    let text = snapshot(&["--max-depth", "1"]);
    assert!(text.contains("4 cgroups"), "{text}");
    assert!(!text.contains("fxplay.scope"), "{text}");
}

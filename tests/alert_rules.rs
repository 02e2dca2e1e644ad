//! The alert and recording rules shipped for Prometheus (assets/prometheus/cgtui-rules.yml):
//! `promtool check rules`, promtool's unit tests (tests/prometheus/cgtui-rules.test.yml: input
//! series to the alerts expected, and ones that must not fire), and every metric the rules
//! use is one `cgtui export` serves, so a renamed metric cannot silently disable an alert.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_rules_pass_promtool_check_and_their_unit_tests() {
    let Some(promtool) = common::promtool() else {
        return;
    };
    let check = Command::new(&promtool)
        .args(["check", "rules", "assets/prometheus/cgtui-rules.yml"])
        .current_dir(repo())
        .output()
        .expect("run promtool check rules");
    assert!(
        check.status.success(),
        "promtool check rules: {}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    let test = Command::new(&promtool)
        .args(["test", "rules", "cgtui-rules.test.yml"])
        .current_dir(repo().join("tests/prometheus"))
        .output()
        .expect("run promtool test rules");
    assert!(
        test.status.success(),
        "promtool test rules: {}{}",
        String::from_utf8_lossy(&test.stdout),
        String::from_utf8_lossy(&test.stderr)
    );
}

/// Metric names in the rules' expressions (not the recorded `a:b:c` names).
fn metrics_in_rules() -> BTreeSet<String> {
    let rules = std::fs::read_to_string(repo().join("assets/prometheus/cgtui-rules.yml"))
        .expect("the rules file");
    let mut names = BTreeSet::new();
    for line in rules.lines().map(str::trim) {
        let Some(expr) = line.strip_prefix("expr:").or_else(|| {
            // Folded expressions continue on the following lines.
            (line.starts_with("rate(") || line.starts_with("/ ")).then_some(line)
        }) else {
            continue;
        };
        for word in expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':')) {
            if (word.starts_with("cgroup_") || word.starts_with("cgtui_")) && !word.contains(':') {
                names.insert(word.to_string());
            }
        }
    }
    names
}

#[test]
fn every_metric_the_rules_use_is_exported() {
    let names = metrics_in_rules();
    assert!(names.len() >= 10, "the rules name {names:?}");
    let exposition = Command::new(common::binary())
        .args(["--fixture"])
        .arg(common::fixture())
        .args(["snapshot", "--format", "openmetrics"])
        .output()
        .expect("cgtui snapshot --format openmetrics");
    assert!(exposition.status.success());
    let text = String::from_utf8_lossy(&exposition.stdout);
    let served: BTreeSet<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split(['{', ' ']).next())
        .collect();
    let missing: Vec<&String> = names
        .iter()
        .filter(|n| !served.contains(n.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "the rules use metrics cgtui does not export: {missing:?}"
    );
}

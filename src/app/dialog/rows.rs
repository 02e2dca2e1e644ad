//! The rows of the limits and controllers dialogs, and what an outcome says.

use super::*;

/// The limits that exist for this cgroup (files absent because a controller is off are left
/// out), with their current values.
pub fn limit_rows(node: &Node, disks: &[Disk]) -> Vec<LimitRow> {
    let mut rows = Vec::new();
    let Some(sample) = node.sample.as_ref() else {
        return rows;
    };
    fn add(
        rows: &mut Vec<LimitRow>,
        file: &'static str,
        present: bool,
        current: String,
        hint: &'static str,
    ) {
        if present {
            rows.push(LimitRow {
                file,
                prefix: None,
                label: file.to_string(),
                current,
                hint,
            });
        }
    }
    let m = &sample.memory;
    const SIZE: &str = "bytes with K/M/G/T (512M, 1.5G) or max";
    add(
        &mut rows,
        "memory.max",
        m.max.is_some(),
        exact_size_limit(m.max),
        SIZE,
    );
    add(
        &mut rows,
        "memory.high",
        m.high.is_some(),
        exact_size_limit(m.high),
        SIZE,
    );
    add(
        &mut rows,
        "memory.low",
        m.low.is_some(),
        exact_size_limit(m.low),
        SIZE,
    );
    add(
        &mut rows,
        "memory.min",
        m.min.is_some(),
        exact_size_limit(m.min),
        SIZE,
    );
    add(
        &mut rows,
        "memory.swap.max",
        m.swap_max.is_some(),
        exact_size_limit(m.swap_max),
        SIZE,
    );
    if let Some(d) = sample.detail.as_ref() {
        add(
            &mut rows,
            "cpu.max",
            d.cpu_max.is_some(),
            d.cpu_max
                .map_or("-".into(), |c| format!("{} {}", c.quota, c.period_usec)),
            "QUOTA PERIOD in µs, max, or 50% (of one CPU)",
        );
        add(
            &mut rows,
            "cpu.weight",
            d.cpu_weight.is_some(),
            d.cpu_weight.map_or("-".into(), |w| w.to_string()),
            "1-10000 (default 100)",
        );
        if d.io_max.is_some() {
            for disk in disks {
                let current = d
                    .io_max
                    .iter()
                    .flatten()
                    .find(|e| e.device == disk.id)
                    .map_or("rbps=max wbps=max riops=max wiops=max".into(), |e| {
                        format!(
                            "rbps={} wbps={} riops={} wiops={}",
                            e.rbps, e.wbps, e.riops, e.wiops
                        )
                    });
                rows.push(LimitRow {
                    file: "io.max",
                    prefix: Some(disk.id.to_string()),
                    label: format!("io.max {} ({})", disk.name, disk.id),
                    current,
                    hint: "rbps=10M wbps=max riops=N wiops=N (bps take K/M/G)",
                });
            }
        }
        add(
            &mut rows,
            "io.weight",
            d.io_weight.is_some(),
            d.io_weight
                .as_ref()
                .map_or("-".into(), |w| w.default.to_string()),
            "1-10000 (default 100)",
        );
        add(
            &mut rows,
            "cpuset.cpus",
            d.cpuset_cpus.is_some(),
            d.cpuset_cpus.clone().unwrap_or_default(),
            "CPU list such as 0-3,5 (empty = inherit)",
        );
        add(
            &mut rows,
            "cpuset.mems",
            d.cpuset_mems.is_some(),
            d.cpuset_mems.clone().unwrap_or_default(),
            "memory node list such as 0 (empty = inherit)",
        );
    }
    add(
        &mut rows,
        "pids.max",
        sample.pids.max.is_some(),
        plain_limit(sample.pids.max),
        "a number of tasks, or max",
    );
    if let Some(d) = sample.detail.as_ref() {
        add(
            &mut rows,
            "cgroup.max.descendants",
            d.max_descendants.is_some(),
            plain_limit(d.max_descendants),
            "a number of descendant cgroups, or max",
        );
        add(
            &mut rows,
            "cgroup.max.depth",
            d.max_depth.is_some(),
            plain_limit(d.max_depth),
            "a depth, or max",
        );
    }
    rows
}

/// The controllers available here, whether each is enabled for the children, and which
/// children pass it further down.
pub fn controller_rows(model: &Model, node: &Node) -> Vec<ControllerRow> {
    let Some(sample) = node.sample.as_ref() else {
        return Vec::new();
    };
    let enabled = sample.subtree_control.clone().unwrap_or_default();
    sample
        .controllers
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|name| {
            let used_by = node
                .children
                .iter()
                .map(|c| model.node(*c))
                .filter(|child| {
                    child
                        .sample
                        .as_ref()
                        .and_then(|s| s.subtree_control.as_ref())
                        .is_some_and(|l| l.contains(&name))
                })
                .map(|child| crate::cgroup::escape::visible_os(child.path.name()).into_owned())
                .collect();
            ControllerRow {
                enabled: enabled.contains(&name),
                name,
                used_by,
            }
        })
        .collect()
}

/// The text of an outcome, with a fix where one is mechanical and safe.
pub fn outcome_text(outcome: &Outcome, processes: usize) -> (Vec<String>, Option<Fixup>) {
    let target = match &outcome.file {
        Some(f) => outcome.cgroup.file_display(f),
        None => outcome.cgroup.to_string(),
    };
    if outcome.ok() {
        let mut lines = vec![
            format!("{} {target}: done", outcome.op),
            outcome.explanation.clone(),
        ];
        if let Some(before) = &outcome.before {
            lines.push(format!("before: {before}"));
        }
        if let Some(after) = &outcome.after {
            lines.push(format!("now:    {after}"));
        }
        lines.extend(outcome.warnings.iter().cloned());
        return (lines, None);
    }
    let errno = outcome
        .errno
        .clone()
        .unwrap_or_else(|| "refused before writing".into());
    let mut lines = vec![format!(
        "{} {target}: {errno} [{}]",
        outcome.op, outcome.rule
    )];
    lines.extend(crate::i18n::translated_meaning(outcome.rule));
    lines.push(outcome.explanation.clone());
    if let Some(fix) = &outcome.fix {
        lines.push(format!("what to do: {fix}"));
    }
    if !outcome.doc.is_empty() {
        lines.push(format!("see {}", outcome.doc));
    }
    if let Some(before) = &outcome.before {
        lines.push(format!("unchanged: {before}"));
    }
    lines.extend(outcome.warnings.iter().cloned());
    let fix = match (&outcome.rule, outcome.file.as_deref(), &outcome.value) {
        (Rule::NoInternalProcess, Some("cgroup.subtree_control"), Some(value)) if processes > 0 => {
            Some(Fixup::LeafThenRetry {
                cgroup: outcome.cgroup.clone(),
                leaf: "leaf".into(),
                then: Op::Set {
                    cgroup: outcome.cgroup.clone(),
                    file: "cgroup.subtree_control".into(),
                    value: value.clone(),
                },
            })
        }
        _ => None,
    };
    (lines, fix)
}

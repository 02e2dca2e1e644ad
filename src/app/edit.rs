//! The editor's dialogs: limits form, controllers, confirmations, text input, results. Pure
//! state; the writes themselves are effects carried out by the runtime.

use crate::app::Effect;
use crate::cgroup::CgroupPath;
use crate::cgroup::devices::Disk;
use crate::cgroup::edit::{Op, Outcome};
use crate::cgroup::rules::Rule;
use crate::editor::{Change, Route};
use crate::model::{Model, Node};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// One editable file of the limits form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitRow {
    pub file: &'static str,
    /// Shown before the value and written with it (io.max/io.weight: the disk's `MAJ:MIN`).
    pub prefix: Option<String>,
    pub label: String,
    pub current: String,
    pub hint: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControllerRow {
    pub name: String,
    pub enabled: bool,
    /// Children whose own cgroup.subtree_control enables it too (they block disabling it).
    pub used_by: Vec<String>,
}

/// A sequence of changes offered as a one-key fix after a refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fixup {
    /// Move every process of `cgroup` into a new leaf `cgroup/leaf`, then retry `then`.
    LeafThenRetry {
        cgroup: CgroupPath,
        leaf: String,
        then: Op,
    },
}

impl Fixup {
    pub fn describe(&self) -> String {
        match self {
            Fixup::LeafThenRetry { cgroup, leaf, .. } => {
                format!("create leaf {leaf} in {cgroup}, move its processes there, then retry")
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputPurpose {
    SetFile {
        cgroup: CgroupPath,
        file: String,
        prefix: Option<String>,
        /// `Fs` forces a direct write even where systemd owns the cgroup (asked first).
        route: Route,
    },
    NewChild {
        parent: CgroupPath,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dialog {
    Limits {
        cgroup: CgroupPath,
        rows: Vec<LimitRow>,
        selected: usize,
    },
    Controllers {
        cgroup: CgroupPath,
        rows: Vec<ControllerRow>,
        selected: usize,
    },
    Input {
        title: String,
        hint: String,
        text: String,
        purpose: InputPurpose,
    },
    Confirm {
        message: String,
        effect: Box<Effect>,
    },
    Result {
        ok: bool,
        lines: Vec<String>,
        fix: Option<Fixup>,
    },
    /// Read-only text (the `w` pane), scrolled by `scroll` lines.
    Text {
        title: String,
        lines: Vec<String>,
        scroll: usize,
    },
}

/// What a dialog key press asks the app to do.
pub enum DialogAction {
    Stay,
    Close,
    Replace(Dialog),
    /// Close the dialog and ask for this change.
    Request(Effect),
}

fn limit(value: Option<crate::cgroup::Limit>) -> String {
    value.map_or("-".into(), |l| l.to_string())
}

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
    add(&mut rows, "memory.max", m.max.is_some(), limit(m.max), SIZE);
    add(
        &mut rows,
        "memory.high",
        m.high.is_some(),
        limit(m.high),
        SIZE,
    );
    add(&mut rows, "memory.low", m.low.is_some(), limit(m.low), SIZE);
    add(&mut rows, "memory.min", m.min.is_some(), limit(m.min), SIZE);
    add(
        &mut rows,
        "memory.swap.max",
        m.swap_max.is_some(),
        limit(m.swap_max),
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
        limit(sample.pids.max),
        "a number of tasks, or max",
    );
    if let Some(d) = sample.detail.as_ref() {
        add(
            &mut rows,
            "cgroup.max.descendants",
            d.max_descendants.is_some(),
            limit(d.max_descendants),
            "a number of descendant cgroups, or max",
        );
        add(
            &mut rows,
            "cgroup.max.depth",
            d.max_depth.is_some(),
            limit(d.max_depth),
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

/// The dialog that shows an outcome, offering a fix where one is mechanical and safe.
pub fn result_dialog(outcome: &Outcome, processes: usize) -> Dialog {
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
        return Dialog::Result {
            ok: true,
            lines,
            fix: None,
        };
    }
    let errno = outcome
        .errno
        .clone()
        .unwrap_or_else(|| "refused before writing".into());
    let mut lines = vec![
        format!("{} {target}: {errno} [{}]", outcome.op, outcome.rule),
        outcome.explanation.clone(),
    ];
    if let Some(fix) = &outcome.fix {
        lines.push(format!("what to do: {fix}"));
    }
    if !outcome.doc.is_empty() {
        lines.push(format!("see {}", outcome.doc));
    }
    if let Some(before) = &outcome.before {
        lines.push(format!("unchanged: {before}"));
    }
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
    Dialog::Result {
        ok: false,
        lines,
        fix,
    }
}

fn move_in(selected: &mut usize, len: usize, key: KeyCode) {
    match key {
        KeyCode::Up | KeyCode::Char('k') => *selected = selected.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => {
            *selected = (*selected + 1).min(len.saturating_sub(1))
        }
        _ => {}
    }
}

impl Dialog {
    /// The change this dialog is about to ask for, so its prediction can be shown first.
    pub fn pending_op(&self) -> Option<Op> {
        match self {
            Dialog::Confirm { effect, .. } => match &**effect {
                Effect::Edit(op, _) => Some(op.clone()),
                _ => None,
            },
            Dialog::Input { text, purpose, .. } => Some(match purpose {
                InputPurpose::SetFile {
                    cgroup,
                    file,
                    prefix,
                    ..
                } => Op::Set {
                    cgroup: cgroup.clone(),
                    file: file.clone(),
                    value: match prefix {
                        Some(p) => format!("{p} {text}"),
                        None => text.clone(),
                    },
                },
                InputPurpose::NewChild { parent } => {
                    if text.is_empty() {
                        return None;
                    }
                    Op::Mkdir {
                        cgroup: parent.join(std::ffi::OsStr::new(text.as_str())),
                    }
                }
            }),
            _ => None,
        }
    }

    pub fn on_key(&mut self, key: KeyEvent) -> DialogAction {
        if key.code == KeyCode::Esc {
            return DialogAction::Close;
        }
        match self {
            Dialog::Limits {
                cgroup,
                rows,
                selected,
            } => match key.code {
                KeyCode::Enter | KeyCode::Char('e') | KeyCode::Char('r') => {
                    match rows.get(*selected) {
                        Some(row) => {
                            let raw = key.code == KeyCode::Char('r');
                            DialogAction::Replace(Dialog::Input {
                                title: format!(
                                    "{}{} of {cgroup}",
                                    if raw { "direct write: " } else { "" },
                                    row.label
                                ),
                                hint: row.hint.to_string(),
                                text: row.current.clone(),
                                purpose: InputPurpose::SetFile {
                                    cgroup: cgroup.clone(),
                                    file: row.file.to_string(),
                                    prefix: row.prefix.clone(),
                                    route: if raw { Route::Fs } else { Route::Auto },
                                },
                            })
                        }
                        None => DialogAction::Close,
                    }
                }
                KeyCode::Char('q') => DialogAction::Close,
                code => {
                    move_in(selected, rows.len(), code);
                    DialogAction::Stay
                }
            },
            Dialog::Controllers {
                cgroup,
                rows,
                selected,
            } => match key.code {
                KeyCode::Enter | KeyCode::Char(' ') => match rows.get(*selected) {
                    Some(row) => DialogAction::Request(Effect::Edit(
                        Op::Set {
                            cgroup: cgroup.clone(),
                            file: "cgroup.subtree_control".into(),
                            value: format!("{}{}", if row.enabled { "-" } else { "+" }, row.name),
                        },
                        Change::default(),
                    )),
                    None => DialogAction::Close,
                },
                KeyCode::Char('q') => DialogAction::Close,
                code => {
                    move_in(selected, rows.len(), code);
                    DialogAction::Stay
                }
            },
            Dialog::Input { text, purpose, .. } => match key.code {
                KeyCode::Enter => match purpose {
                    InputPurpose::SetFile {
                        cgroup,
                        file,
                        prefix,
                        route,
                    } => {
                        let op = Op::Set {
                            cgroup: cgroup.clone(),
                            file: file.clone(),
                            value: match prefix {
                                Some(p) => format!("{p} {text}"),
                                None => text.clone(),
                            },
                        };
                        let change = Change {
                            route: *route,
                            persist: false,
                            unchecked: false,
                        };
                        if *route == Route::Fs {
                            DialogAction::Replace(Dialog::Confirm {
                                message: format!(
                                    "Write {file} of {cgroup} directly? Where systemd owns this cgroup it \
                                     may revert the value on its next reload (its single-writer rule)."
                                ),
                                effect: Box::new(Effect::Edit(op, change)),
                            })
                        } else {
                            DialogAction::Request(Effect::Edit(op, change))
                        }
                    }
                    InputPurpose::NewChild { parent } => DialogAction::Request(Effect::Edit(
                        Op::Mkdir {
                            cgroup: parent.join(std::ffi::OsStr::new(text.as_str())),
                        },
                        Change::default(),
                    )),
                },
                KeyCode::Backspace => {
                    text.pop();
                    DialogAction::Stay
                }
                KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                    text.clear();
                    DialogAction::Stay
                }
                KeyCode::Char(c)
                    if !c.is_control()
                        && !key
                            .modifiers
                            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
                {
                    text.push(c);
                    DialogAction::Stay
                }
                _ => DialogAction::Stay,
            },
            Dialog::Confirm { effect, .. } => match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => {
                    DialogAction::Request((**effect).clone())
                }
                _ => DialogAction::Close,
            },
            Dialog::Text { lines, scroll, .. } => match key.code {
                KeyCode::Down | KeyCode::Char('j') => {
                    *scroll = (*scroll + 1).min(lines.len().saturating_sub(1));
                    DialogAction::Stay
                }
                KeyCode::Up | KeyCode::Char('k') => {
                    *scroll = scroll.saturating_sub(1);
                    DialogAction::Stay
                }
                KeyCode::PageDown | KeyCode::Char(' ') => {
                    *scroll = (*scroll + 10).min(lines.len().saturating_sub(1));
                    DialogAction::Stay
                }
                KeyCode::PageUp => {
                    *scroll = scroll.saturating_sub(10);
                    DialogAction::Stay
                }
                _ => DialogAction::Close,
            },
            Dialog::Result { fix, .. } => match (key.code, fix) {
                (KeyCode::Char('F'), Some(fix)) => DialogAction::Request(Effect::Fix(fix.clone())),
                _ => DialogAction::Close,
            },
        }
    }
}

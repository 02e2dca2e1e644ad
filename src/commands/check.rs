//! `cgtui check`: what the kernel would answer to an editing verb, and why; never writes.

use super::edit::{Request, set_request, unresolved};
use crate::cgroup::Cgroupfs;
use crate::cgroup::rules::Rule;
use crate::cli::{CgroupArgs, CheckArgs, CheckOp, MoveArgs};
use crate::editor::Change;

/// `cgtui check ...`: predict, never write. Exit code 0 allowed, 1 denied.
pub fn run(fs: Cgroupfs, args: &CheckArgs) -> anyhow::Result<i32> {
    let (request, json) = match &args.what {
        CheckOp::Set(set) => (set_request(set, Change::default()), set.json),
        CheckOp::Mkdir(CgroupArgs { cgroup, json }) => (Request::Mkdir { cgroup }, *json),
        CheckOp::Rmdir(CgroupArgs { cgroup, json }) => (Request::Rmdir { cgroup }, *json),
        CheckOp::Move(MoveArgs { pid, cgroup, json }) => {
            (Request::Move { pid: *pid, cgroup }, *json)
        }
    };
    predict_and_print(fs, request, json)
}

/// Predict one request and print the verdict.
fn predict_and_print(fs: Cgroupfs, request: Request, json: bool) -> anyhow::Result<i32> {
    use crate::cgroup::predict::{Actor, Prediction, Verdict, predict};
    let actor = Actor::current(&fs);
    let prediction = match request.resolve(&fs) {
        Ok(op) => predict(&fs, &actor, &op),
        Err(err) => {
            let outcome = unresolved(&request, &err);
            Prediction {
                op: outcome.op,
                cgroup: outcome.cgroup,
                file: outcome.file,
                value: outcome.value,
                verdict: Verdict::Denied,
                errno: Some(
                    if outcome.rule == Rule::NoSuchCgroup {
                        "ENOENT"
                    } else {
                        "EINVAL"
                    }
                    .into(),
                ),
                rule: outcome.rule,
                explanation: outcome.explanation,
                doc: outcome.doc,
                fix: None,
                warnings: Vec::new(),
                command: None,
                writes: None,
            }
        }
    };
    if json {
        out!("{}", crate::output::json_line(&prediction)?);
    } else {
        let target = match &prediction.file {
            Some(f) => prediction.cgroup.file_display(f),
            None => prediction.cgroup.to_string(),
        };
        match prediction.verdict {
            Verdict::Allowed => out!(
                "{}",
                crate::t!(
                    "check-allowed",
                    op = prediction.op,
                    target = target,
                    explanation = prediction.explanation
                )
            ),
            Verdict::Denied => {
                out!(
                    "{}",
                    crate::t!(
                        "check-denied",
                        op = prediction.op,
                        target = target,
                        errno = prediction.errno.as_deref().unwrap_or("?"),
                        rule = prediction.rule
                    )
                );
                if let Some(meaning) = crate::i18n::translated_meaning(prediction.rule) {
                    out!("  {meaning}");
                }
                out!("  {}", prediction.explanation);
                if let Some(fix) = &prediction.fix {
                    out!("  {}", crate::t!("check-instead", fix = fix));
                }
                if !prediction.doc.is_empty() {
                    out!("  {}", crate::t!("check-see", doc = prediction.doc));
                }
            }
        }
        if let Some(note) = conversion_note(&prediction) {
            out!("  {note}");
        }
        for warning in &prediction.warnings {
            out!("  {}", crate::t!("check-warning", warning = warning));
        }
        if let Some(command) = &prediction.command {
            out!("  {}", crate::t!("check-the-write", command = command));
        }
    }
    Ok(if prediction.allowed() { 0 } else { 1 })
}

/// What cgtui writes when it is not the value as typed (`1.5G` → `1610612736`, `50%` → quota
/// and period, `0x1a2b` → `6699`): the kernel judges those bytes, not the typed text.
fn conversion_note(prediction: &crate::cgroup::predict::Prediction) -> Option<String> {
    let writes = prediction.writes.as_deref()?;
    let typed = prediction.value.as_deref()?;
    (writes != typed).then(|| {
        crate::t!(
            "check-converted",
            writes = crate::cgroup::predict::shell_word(writes.as_bytes()),
            typed = crate::cgroup::predict::shell_word(typed.as_bytes())
        )
    })
}

//! Guided lessons (assets/lessons/*.md): short walkthroughs whose steps cgtui ticks off by
//! watching what happens — what is selected, which panes were opened, what the kernel refused.
//!
//! A lesson file is a `# Title`, paragraphs, then steps: `## what to do`, a `check: CONDITION`
//! line, and optional notes. The conditions are listed in [`Check::parse`]. A
//! `<!-- source: ... -->` comment names the document section or kernel function behind the
//! statements that follow it; it is kept in [`Lesson::sources`], never shown as lesson text.

use crate::cgroup::CgroupPath;
use crate::cgroup::rules::Rule;
use std::collections::HashSet;
use std::path::Path;

const SOURCES: [&str; 11] = [
    include_str!("../assets/lessons/01-why-mkdir-needs-root.md"),
    include_str!("../assets/lessons/02-who-creates-user-slice.md"),
    include_str!("../assets/lessons/03-controllers-vs-subtree-control.md"),
    include_str!("../assets/lessons/04-what-systemd-delegates.md"),
    include_str!("../assets/lessons/05-no-internal-processes.md"),
    include_str!("../assets/lessons/06-containment-and-nsdelegate.md"),
    include_str!("../assets/lessons/07-a-subtree-without-root.md"),
    include_str!("../assets/lessons/08-threaded-mode.md"),
    include_str!("../assets/lessons/09-pressure.md"),
    include_str!("../assets/lessons/10-memory-recursiveprot.md"),
    include_str!("../assets/lessons/11-inside-a-cgroup-namespace.md"),
];

/// What must be seen for a step to be done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// `selected PATH`: that cgroup is selected.
    Selected(CgroupPath),
    /// `selected-name PREFIX`: a cgroup whose name starts with PREFIX is selected.
    SelectedName(String),
    /// `selected-missing memory`: the selected cgroup (not the root) has no memory.current.
    SelectedMissingMemory,
    /// `explained PATH`: the `w` pane was opened on that cgroup.
    Explained(CgroupPath),
    /// `explained-own`: on cgtui's own cgroup.
    ExplainedOwn,
    /// `explained-name PREFIX`: on a cgroup whose name starts with PREFIX.
    ExplainedName(String),
    /// `explained-any`: on any cgroup.
    ExplainedAny,
    /// `explained-foreign`: on a cgroup you do not own.
    ExplainedForeign,
    /// `opened controllers|limits`: that dialog was opened.
    Opened(String),
    /// `playground`: a cgtui playground scope exists.
    Playground,
    /// `playground-children N`: a playground has at least N child cgroups.
    PlaygroundChildren(usize),
    /// `playground-controller NAME|any`: a playground passes NAME (or any controller) on.
    PlaygroundController(Option<String>),
    /// `refused RULE`: a change was refused under that rule id.
    Refused(Rule),
    /// `done OP`: a change of that kind (set, mkdir, rmdir, move, stop-playground) succeeded.
    Done(String),
}

impl Check {
    fn parse(text: &str) -> Result<Check, String> {
        let (word, arg) = text
            .trim()
            .split_once(' ')
            .map_or((text.trim(), ""), |(w, a)| (w, a.trim()));
        let path =
            || CgroupPath::from_relative(Path::new(arg)).ok_or_else(|| format!("bad path {arg:?}"));
        Ok(match word {
            "selected" => Check::Selected(path()?),
            "selected-name" => Check::SelectedName(arg.into()),
            "selected-missing" if arg == "memory" => Check::SelectedMissingMemory,
            "explained" => Check::Explained(path()?),
            "explained-own" => Check::ExplainedOwn,
            "explained-name" => Check::ExplainedName(arg.into()),
            "explained-any" => Check::ExplainedAny,
            "explained-foreign" => Check::ExplainedForeign,
            "opened" => Check::Opened(arg.into()),
            "playground" => Check::Playground,
            "playground-children" => {
                Check::PlaygroundChildren(arg.parse().map_err(|_| format!("bad count {arg:?}"))?)
            }
            "playground-controller" => {
                Check::PlaygroundController((arg != "any").then(|| arg.to_string()))
            }
            "refused" => Check::Refused(
                Rule::ALL
                    .into_iter()
                    .find(|r| r.id() == arg)
                    .ok_or_else(|| format!("unknown rule {arg:?}"))?,
            ),
            "done" => Check::Done(arg.into()),
            other => return Err(format!("unknown check {other:?}")),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub text: String,
    pub check: Check,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lesson {
    pub title: String,
    pub intro: Vec<String>,
    pub steps: Vec<Step>,
    /// Where each statement comes from: the `<!-- source: ... -->` comments, in order.
    pub sources: Vec<String>,
}

/// `- item` or `* item`: a list item starts a paragraph of its own.
fn is_list_item(line: &str) -> bool {
    let line = line.trim_start();
    line.starts_with("- ") || line.starts_with("* ")
}

/// Join wrapped source lines into paragraphs; indented lines (commands, files) stay as they are,
/// and each list item is a paragraph of its own.
fn paragraphs(lines: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut open = false;
    for line in lines {
        if line.trim().is_empty() {
            open = false;
        } else if line.starts_with("    ") {
            out.push(line.clone());
            open = false;
        } else if open && !is_list_item(line) {
            if let Some(last) = out.last_mut() {
                last.push(' ');
                last.push_str(line.trim());
            }
        } else {
            out.push(line.trim().to_string());
            open = true;
        }
    }
    out
}

/// Parse one lesson file.
pub fn parse(text: &str) -> Result<Lesson, String> {
    let mut title = None;
    let mut intro = Vec::new();
    let mut steps: Vec<Step> = Vec::new();
    let mut pending: Option<String> = None;
    let mut sources = Vec::new();
    let mut comment: Option<String> = None;
    for line in text.lines() {
        if let Some(open) = comment.as_mut() {
            open.push(' ');
            open.push_str(line.trim());
            if line.contains("-->") {
                sources.push(source_text(&comment.take().unwrap_or_default())?);
            }
            continue;
        }
        if line.trim_start().starts_with("<!--") {
            if line.contains("-->") {
                sources.push(source_text(line)?);
            } else {
                comment = Some(line.trim().to_string());
            }
            continue;
        }
        if let Some(t) = line.strip_prefix("# ") {
            title = Some(t.trim().to_string());
        } else if let Some(s) = line.strip_prefix("## ") {
            pending = Some(s.trim().to_string());
        } else if let Some(c) = line.strip_prefix("check:") {
            let text = pending
                .take()
                .ok_or("a check: line without a ## step before it")?;
            steps.push(Step {
                text,
                check: Check::parse(c)?,
                notes: Vec::new(),
            });
        } else if let Some(step) = steps.last_mut().filter(|_| pending.is_none()) {
            step.notes.push(line.to_string());
        } else if pending.is_none() {
            intro.push(line.to_string());
        }
    }
    if pending.is_some() {
        return Err("a step without a check: line".into());
    }
    if comment.is_some() {
        return Err("a <!-- comment that is never closed".into());
    }
    for step in &mut steps {
        step.notes = paragraphs(&step.notes);
    }
    Ok(Lesson {
        title: title.ok_or("no # title")?,
        intro: paragraphs(&intro),
        steps,
        sources,
    })
}

/// The text of a `<!-- source: ... -->` comment; any other comment is an error, so a lesson
/// cannot hide text by accident.
fn source_text(comment: &str) -> Result<String, String> {
    let inner = comment
        .trim()
        .trim_start_matches("<!--")
        .trim_end_matches("-->")
        .trim();
    match inner.strip_prefix("source:") {
        Some(source) if !source.trim().is_empty() => Ok(source.trim().to_string()),
        _ => Err(format!(
            "a comment that is not a `source:` line: {comment:?}"
        )),
    }
}

/// How a piece of lesson text is shown; the theme gives each its style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Look {
    Plain,
    /// `code`, and the lines of an indented block (a command or a file to write).
    Code,
    /// *emphasis*
    Emphasis,
    /// **strong**, and a lesson's title.
    Strong,
    /// Hints and the notes of a done step.
    Hint,
    /// A step done, the step to do now, a step still to come.
    Done,
    Current,
    Pending,
}

/// A run of text with one look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub look: Look,
    pub text: String,
}

impl Run {
    pub fn new(look: Look, text: impl Into<String>) -> Run {
        Run {
            look,
            text: text.into(),
        }
    }
}

/// A paragraph's inline markup turned into runs, markers removed: `code`, **strong** and
/// *emphasis*; `plain` is the look of the rest. A marker that is never closed is text.
pub fn inline(text: &str, plain: Look) -> Vec<Run> {
    let mut runs: Vec<Run> = Vec::new();
    let mut push = |look: Look, piece: &str| {
        if piece.is_empty() {
            return;
        }
        match runs.last_mut() {
            Some(last) if last.look == look => last.text.push_str(piece),
            _ => runs.push(Run::new(look, piece)),
        }
    };
    let mut rest = text;
    while !rest.is_empty() {
        let (marker, look) = match rest.find(['`', '*']) {
            Some(at) => {
                push(plain, &rest[..at]);
                rest = &rest[at..];
                if rest.starts_with('`') {
                    ("`", Look::Code)
                } else if rest.starts_with("**") {
                    ("**", Look::Strong)
                } else {
                    ("*", Look::Emphasis)
                }
            }
            None => {
                push(plain, rest);
                break;
            }
        };
        let inner = &rest[marker.len()..];
        // A closing marker, and (for * and **) not a lone star between spaces.
        match inner.find(marker) {
            Some(end) if end > 0 && (marker == "`" || !inner.starts_with(' ')) => {
                push(look, &inner[..end]);
                rest = &inner[end + marker.len()..];
            }
            _ => {
                push(plain, marker);
                rest = inner;
            }
        }
    }
    runs
}

/// One paragraph of a lesson as runs: an indented block line is code, a list item gets a
/// bullet, anything else has its inline markup rendered. Also the indent for continuation
/// lines when it is wrapped.
pub fn paragraph(text: &str, plain: Look) -> (Vec<Run>, usize) {
    if let Some(code) = text.strip_prefix("    ") {
        return (vec![Run::new(Look::Code, format!("  {code}"))], 4);
    }
    let trimmed = text.trim_start();
    if let Some(item) = trimmed
        .strip_prefix("- ")
        .or_else(|| trimmed.strip_prefix("* "))
    {
        let mut runs = vec![Run::new(plain, "• ")];
        runs.extend(inline(item, plain));
        return (runs, 2);
    }
    (inline(text, plain), 0)
}

/// Runs wrapped at spaces to `width` columns; continuation lines start with `indent` spaces.
/// A word longer than a line is cut.
pub fn wrap(runs: &[Run], width: usize, indent: usize) -> Vec<Vec<Run>> {
    use unicode_width::UnicodeWidthChar;
    let width = width.max(indent + 8);
    let mut lines: Vec<Vec<Run>> = vec![Vec::new()];
    let mut used = 0;
    let push = |lines: &mut Vec<Vec<Run>>, look: Look, piece: &str| {
        let line = lines.last_mut().expect("one line at least");
        match line.last_mut() {
            Some(last) if last.look == look => last.text.push_str(piece),
            _ => line.push(Run::new(look, piece)),
        }
    };
    // Words with the look of their pieces; a space is a break.
    let mut words: Vec<Vec<(Look, String)>> = vec![Vec::new()];
    let mut spaces_before: Vec<usize> = vec![0];
    for run in runs {
        for ch in run.text.chars() {
            if ch == ' ' {
                if words.last().is_some_and(|w| !w.is_empty()) {
                    words.push(Vec::new());
                    spaces_before.push(0);
                }
                *spaces_before.last_mut().expect("a word") += 1;
                continue;
            }
            let word = words.last_mut().expect("a word");
            match word.last_mut() {
                Some((look, text)) if *look == run.look => text.push(ch),
                _ => word.push((run.look, ch.to_string())),
            }
        }
    }
    for (word, spaces) in words.into_iter().zip(spaces_before) {
        if word.is_empty() {
            continue;
        }
        let word_width: usize = word.iter().map(|(_, t)| crate::format::width(t)).sum();
        // Spaces are kept within a line (a command's alignment), dropped at a break.
        let lead = if used == 0 && lines.len() > 1 {
            0
        } else {
            spaces
        };
        if used > indent && used + lead + word_width > width {
            lines.push(vec![Run::new(Look::Plain, " ".repeat(indent))]);
            used = indent;
        } else if lead > 0 {
            // Spaces inside a span (`bbb ccc`) keep its look; between two looks they are plain.
            let before = lines
                .last()
                .and_then(|line| line.last())
                .map(|run| run.look);
            let look = match before {
                Some(look) if look == word[0].0 => look,
                _ => Look::Plain,
            };
            push(&mut lines, look, &" ".repeat(lead));
            used += lead;
        }
        for (look, text) in word {
            for ch in text.chars() {
                let w = ch.width().unwrap_or(0);
                if used + w > width {
                    lines.push(vec![Run::new(Look::Plain, " ".repeat(indent))]);
                    used = indent;
                }
                push(&mut lines, look, ch.encode_utf8(&mut [0; 4]));
                used += w;
            }
        }
    }
    lines
}

/// Every lesson shipped with cgtui.
pub fn all() -> Vec<Lesson> {
    SOURCES
        .iter()
        .map(|s| {
            parse(s).unwrap_or_else(|e| panic!("a lesson in assets/lessons does not parse: {e}"))
        })
        .collect()
}

/// What the lessons watch for, collected as the app runs.
#[derive(Debug, Default, Clone)]
pub struct Observed {
    pub explained: Vec<CgroupPath>,
    pub opened: HashSet<String>,
    pub refused: HashSet<Rule>,
    pub done: HashSet<String>,
}

/// The lesson being followed and which of its steps are done (once done, a step stays done).
#[derive(Debug, Clone)]
pub struct Progress {
    pub index: usize,
    pub lesson: Lesson,
    pub done: Vec<bool>,
}

impl Progress {
    pub fn new(index: usize, lesson: Lesson) -> Progress {
        let done = vec![false; lesson.steps.len()];
        Progress {
            index,
            lesson,
            done,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_lesson_parses_and_has_steps() {
        let lessons = all();
        assert_eq!(lessons.len(), 11);
        for lesson in &lessons {
            assert!(!lesson.steps.is_empty(), "{}", lesson.title);
            // Every lesson says where its statements come from, and no comment leaks into text.
            assert!(
                !lesson.sources.is_empty(),
                "{} names no source",
                lesson.title
            );
            let text: Vec<&String> = lesson
                .intro
                .iter()
                .chain(lesson.steps.iter().flat_map(|s| &s.notes))
                .collect();
            assert!(
                text.iter()
                    .all(|t| !t.contains("<!--") && !t.contains("-->")),
                "{}",
                lesson.title
            );
        }
        assert_eq!(
            lessons[0].steps[0].check,
            Check::Selected(CgroupPath::root())
        );
        assert_eq!(
            lessons[4].steps[1].check,
            Check::Refused(Rule::NoInternalProcess)
        );
    }

    #[test]
    fn inline_markup_becomes_looks_without_its_markers() {
        let runs = inline("write `threaded` to *one* **empty** cgroup", Look::Plain);
        assert_eq!(
            runs,
            [
                Run::new(Look::Plain, "write "),
                Run::new(Look::Code, "threaded"),
                Run::new(Look::Plain, " to "),
                Run::new(Look::Emphasis, "one"),
                Run::new(Look::Plain, " "),
                Run::new(Look::Strong, "empty"),
                Run::new(Look::Plain, " cgroup"),
            ]
        );
        // An unclosed marker and a lone star are text.
        let text: String = inline("2 * 3 and `x", Look::Plain)
            .iter()
            .map(|r| r.text.as_str())
            .collect();
        assert_eq!(text, "2 * 3 and `x");
        assert_eq!(
            paragraph("    echo +cpu > X/cgroup.subtree_control", Look::Plain),
            (
                vec![Run::new(
                    Look::Code,
                    "  echo +cpu > X/cgroup.subtree_control"
                )],
                4
            )
        );
        assert_eq!(paragraph("- an item", Look::Plain).0[0].text, "• ");
        // List items stay apart when their source lines follow each other.
        let lesson = parse("# T\n- one\n  more\n- two\n## s\ncheck: playground\n").unwrap();
        assert_eq!(lesson.intro, ["- one more", "- two"]);
    }

    #[test]
    fn wrapping_keeps_looks_and_indents_continuations() {
        let runs = inline("aaa `bbb ccc` ddd eee", Look::Plain);
        let lines = wrap(&runs, 9, 2);
        let text: Vec<String> = lines
            .iter()
            .map(|l| l.iter().map(|r| r.text.as_str()).collect())
            .collect();
        assert_eq!(text, ["aaa bbb", "  ccc ddd", "  eee"]);
        assert_eq!(lines[1][1], Run::new(Look::Code, "ccc"));
        // A word longer than the line is cut, not lost.
        let long = wrap(&[Run::new(Look::Code, "x".repeat(20))], 10, 2);
        let total: usize = long
            .iter()
            .flatten()
            .map(|r| r.text.matches('x').count())
            .sum();
        assert_eq!(total, 20);
        assert!(
            long.iter()
                .all(|l| l.iter().map(|r| r.text.len()).sum::<usize>() <= 10)
        );
    }

    #[test]
    fn bad_lessons_are_rejected() {
        assert!(parse("# T\n## step\n").is_err());
        assert!(parse("# T\n## step\ncheck: nonsense\n").is_err());
        assert!(parse("## step\ncheck: playground\n").is_err());
        assert!(parse("# T\n## s\ncheck: refused no-such-rule\n").is_err());
        assert!(parse("# T\n<!-- hidden text -->\n## s\ncheck: playground\n").is_err());
        assert!(parse("# T\n<!-- source: x\n## s\ncheck: playground\n").is_err());
        let two_lines = parse("# T\n<!-- source: a\n  b -->\n## s\ncheck: playground\n");
        assert_eq!(two_lines.map(|l| l.sources), Ok(vec!["a b".to_string()]));
    }
}

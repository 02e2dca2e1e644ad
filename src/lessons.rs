//! Guided lessons (assets/lessons/*.md): short walkthroughs whose steps cgtui ticks off by
//! watching what happens — what is selected, which panes were opened, what the kernel refused.
//!
//! A lesson file is a `# Title`, paragraphs, then steps: `## what to do`, a `check: CONDITION`
//! line, and optional notes. The conditions are listed in [`Check::parse`]. A
//! `<!-- source: ... -->` comment names the document section or kernel function behind the
//! statements that follow it; it is kept in [`Lesson::sources`], never shown as lesson text.
//! `<!-- needs: root|systemd|nothing -->` says what the lesson's steps need, and an
//! `<!-- exercise: ID ... -->` block is a predict-then-verify question ([`Exercise`]).

use crate::cgroup::CgroupPath;
use crate::cgroup::rules::Rule;
use std::collections::HashSet;
use std::path::Path;

/// A lesson file by its stem: (stem, text).
macro_rules! lesson {
    ($stem:literal) => {
        (
            $stem,
            include_str!(concat!("../assets/lessons/", $stem, ".md")),
        )
    };
}

/// The English lessons: (file stem, which is the lesson's id; text).
const SOURCES: [(&str, &str); 14] = [
    lesson!("01-why-mkdir-needs-root"),
    lesson!("02-who-creates-user-slice"),
    lesson!("03-controllers-vs-subtree-control"),
    lesson!("04-what-systemd-delegates"),
    lesson!("05-no-internal-processes"),
    lesson!("06-containment-and-nsdelegate"),
    lesson!("07-a-subtree-without-root"),
    lesson!("08-threaded-mode"),
    lesson!("09-pressure"),
    lesson!("10-memory-recursiveprot"),
    lesson!("11-inside-a-cgroup-namespace"),
    lesson!("12-delegate-by-hand"),
    lesson!("13-containment-c0-c1"),
    lesson!("14-nsdelegate-on-and-off"),
];

/// A translated lesson file: (language, stem, text) of `assets/lessons/LANG/STEM.md`.
macro_rules! translation {
    ($lang:literal, $stem:literal) => {
        (
            $lang,
            $stem,
            include_str!(concat!("../assets/lessons/", $lang, "/", $stem, ".md")),
        )
    };
}

/// Translations: (language, file stem, text) for each `assets/lessons/LANG/STEM.md`; a test
/// checks this table against the files there.
pub const TRANSLATIONS: &[(&str, &str, &str)] = &[
    translation!("zh", "01-why-mkdir-needs-root"),
    translation!("zh", "02-who-creates-user-slice"),
    translation!("zh", "03-controllers-vs-subtree-control"),
    translation!("zh", "04-what-systemd-delegates"),
    translation!("zh", "05-no-internal-processes"),
    translation!("zh", "06-containment-and-nsdelegate"),
    translation!("zh", "07-a-subtree-without-root"),
    translation!("zh", "08-threaded-mode"),
    translation!("zh", "09-pressure"),
    translation!("zh", "10-memory-recursiveprot"),
    translation!("zh", "11-inside-a-cgroup-namespace"),
    translation!("zh", "12-delegate-by-hand"),
    translation!("zh", "13-containment-c0-c1"),
    translation!("zh", "14-nsdelegate-on-and-off"),
];

/// The languages lesson `id` (its file stem) can be read in: English, and each translation
/// shipped for it.
pub fn languages(id: &str) -> Vec<&'static str> {
    let mut found = vec!["en"];
    for (lang, stem, _) in TRANSLATIONS {
        if *stem == id && !found.contains(lang) {
            found.push(lang);
        }
    }
    found
}

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

/// What a lesson's steps need from the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Needs {
    /// Reading the tree and `w` are enough.
    Nothing,
    /// A systemd manager (a user manager for `D`; without one, `D` delegates by hand as root).
    Systemd,
    /// Root, to create and chown cgroups.
    Root,
}

impl Needs {
    pub fn name(self) -> &'static str {
        match self {
            Needs::Nothing => "nothing",
            Needs::Systemd => "systemd",
            Needs::Root => "root",
        }
    }
}

/// One preparation of an exercise's scene, a fresh cgroup made for it; paths are relative to
/// the scene (`.` is the scene itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Setup {
    /// `mkdir A B`: create these cgroups (as root, or as the student without root).
    Mkdir(Vec<String>),
    /// `delegate A B`: chown each directory and its cgroup.procs, cgroup.threads and
    /// cgroup.subtree_control to the student, as root delegates by hand.
    Delegate(Vec<String>),
    /// `own A B`: chown each directory and every file in it to the student, as for a cgroup
    /// the student created.
    Own(Vec<String>),
    /// `chown-dir A`: chown only the directory to the student (not a delegation).
    ChownDir(Vec<String>),
    /// `place A`: start the student's placeholder process in A.
    Place(String),
}

/// The write whose answer the student predicts, done as the student.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// `write PATH VALUE`: write VALUE to the file PATH; the word PID in VALUE is the
    /// placeholder's PID.
    Write { path: String, value: String },
    /// `mkdir PATH`.
    Mkdir(String),
}

impl std::fmt::Display for Attempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Attempt::Write { path, value } => write!(f, "echo {value} > {path}"),
            Attempt::Mkdir(path) => write!(f, "mkdir {path}"),
        }
    }
}

/// A predict-then-verify question: the scene is set up, the student guesses what the kernel
/// will answer to the attempt (`ok` or an errno), then the attempt is made and the kernel's
/// real answer shown next to the guess, with the rule behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exercise {
    pub id: String,
    pub question: String,
    pub setup: Vec<Setup>,
    pub attempt: Attempt,
    /// The rule that decides, shown with the answer.
    pub rule: String,
}

impl Exercise {
    /// Does setting the scene up need root (a chown to the student)?
    pub fn needs_root(&self) -> bool {
        self.setup
            .iter()
            .any(|s| matches!(s, Setup::Delegate(_) | Setup::Own(_) | Setup::ChownDir(_)))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lesson {
    /// The file stem, such as `06-containment-and-nsdelegate`.
    pub id: String,
    pub title: String,
    pub intro: Vec<String>,
    pub steps: Vec<Step>,
    /// Where each statement comes from: the `<!-- source: ... -->` comments, in order.
    pub sources: Vec<String>,
    pub needs: Needs,
    pub exercises: Vec<Exercise>,
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
                // Chinese wrapped in the source joins without a space (a Latin word next to it
                // keeps one, as it is written, except next to full-width punctuation).
                let next = line.trim();
                if !crate::i18n::joins_without_space(last.chars().last(), next.chars().next()) {
                    last.push(' ');
                }
                last.push_str(next);
            }
        } else {
            out.push(line.trim().to_string());
            open = true;
        }
    }
    out
}

/// What a `<!-- ... -->` comment holds.
enum Comment {
    Source(String),
    Needs(Needs),
    Exercise(Exercise),
}

/// Parse one lesson file, whose id is `id` (its file stem).
pub fn parse(id: &str, text: &str) -> Result<Lesson, String> {
    let mut title = None;
    let mut intro = Vec::new();
    let mut steps: Vec<Step> = Vec::new();
    let mut pending: Option<String> = None;
    let mut sources = Vec::new();
    let mut needs = Needs::Nothing;
    let mut exercises: Vec<Exercise> = Vec::new();
    let mut comment: Option<Vec<String>> = None;
    for line in text.lines() {
        let opens = comment.is_none() && line.trim_start().starts_with("<!--");
        if opens {
            comment = Some(Vec::new());
        }
        if let Some(open) = comment.as_mut() {
            open.push(line.to_string());
            if line.contains("-->") {
                match comment_of(&comment.take().unwrap_or_default())? {
                    Comment::Source(source) => sources.push(source),
                    Comment::Needs(n) => needs = n,
                    Comment::Exercise(e) => {
                        if exercises.iter().any(|x| x.id == e.id) {
                            return Err(format!("two exercises named {:?}", e.id));
                        }
                        exercises.push(e);
                    }
                }
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
        id: id.to_string(),
        title: title.ok_or("no # title")?,
        intro: paragraphs(&intro),
        steps,
        sources,
        needs,
        exercises,
    })
}

/// A `<!-- source: ... -->`, `<!-- needs: ... -->` or `<!-- exercise: ... -->` comment, from
/// its lines; any other comment is an error, so a lesson cannot hide text by accident.
fn comment_of(lines: &[String]) -> Result<Comment, String> {
    let joined = lines.join("\n");
    let inner = joined
        .trim()
        .trim_start_matches("<!--")
        .trim_end_matches("-->")
        .trim();
    let one_line = || inner.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some(source) = inner.strip_prefix("source:") {
        if !source.trim().is_empty() {
            return Ok(Comment::Source(
                one_line()["source:".len()..].trim().to_string(),
            ));
        }
    } else if let Some(needs) = inner.strip_prefix("needs:") {
        return match needs.trim() {
            "nothing" => Ok(Comment::Needs(Needs::Nothing)),
            "systemd" => Ok(Comment::Needs(Needs::Systemd)),
            "root" => Ok(Comment::Needs(Needs::Root)),
            other => Err(format!("needs: {other:?} is not root, systemd or nothing")),
        };
    } else if let Some(body) = inner.strip_prefix("exercise:") {
        return exercise(body).map(Comment::Exercise);
    }
    Err(format!(
        "a comment that is not a `source:`, `needs:` or `exercise:` one: {joined:?}"
    ))
}

/// A path inside an exercise's scene: relative, without `..`.
fn scene_path(path: &str) -> Result<String, String> {
    let ok = !path.is_empty()
        && !path.starts_with('/')
        && path
            .split('/')
            .all(|c| !c.is_empty() && c != ".." && (c != "." || path == "."));
    ok.then(|| path.to_string())
        .ok_or_else(|| format!("{path:?} is not a path inside the scene"))
}

/// An exercise's body: its id on the first line, then `question:`, `setup:` (actions
/// separated by `;`), `try:` and `rule:` lines; a line without a key continues the one before.
fn exercise(body: &str) -> Result<Exercise, String> {
    let mut lines = body.lines();
    let id = lines.next().unwrap_or_default().trim().to_string();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(format!("exercise id {id:?}: letters, digits and - only"));
    }
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in lines.map(str::trim).filter(|l| !l.is_empty()) {
        match line.split_once(':') {
            Some((key, value)) if ["question", "setup", "try", "rule"].contains(&key.trim()) => {
                fields.push((key.trim().to_string(), value.trim().to_string()));
            }
            _ => match fields.last_mut() {
                Some((_, value)) => {
                    value.push(' ');
                    value.push_str(line);
                }
                None => return Err(format!("exercise {id}: {line:?} has no key before it")),
            },
        }
    }
    let field = |key: &str| {
        fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| format!("exercise {id} has no {key}: line"))
    };
    let mut setup = Vec::new();
    for action in field("setup")?
        .split(';')
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        let mut words = action.split_whitespace();
        let verb = words.next().unwrap_or_default();
        let paths = words.map(scene_path).collect::<Result<Vec<_>, _>>()?;
        if paths.is_empty() {
            return Err(format!("exercise {id}: {action:?} names no cgroup"));
        }
        setup.push(match verb {
            "mkdir" => Setup::Mkdir(paths),
            "delegate" => Setup::Delegate(paths),
            "own" => Setup::Own(paths),
            "chown-dir" => Setup::ChownDir(paths),
            "place" if paths.len() == 1 => Setup::Place(paths[0].clone()),
            _ => return Err(format!("exercise {id}: unknown setup {action:?}")),
        });
    }
    let attempt = field("try")?;
    let mut words = attempt.splitn(3, ' ');
    let attempt = match (words.next(), words.next(), words.next()) {
        (Some("write"), Some(path), Some(value)) if !value.trim().is_empty() => Attempt::Write {
            path: scene_path(path)?,
            value: value.trim().to_string(),
        },
        (Some("mkdir"), Some(path), None) => Attempt::Mkdir(scene_path(path)?),
        _ => {
            return Err(format!(
                "exercise {id}: try: {attempt:?} is not `write PATH VALUE` or `mkdir PATH`"
            ));
        }
    };
    Ok(Exercise {
        question: field("question")?,
        rule: field("rule")?,
        id,
        setup,
        attempt,
    })
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
/// A word or path is never broken: one that does not fit starts a new line, and only one
/// longer than a whole line is cut there, ending in `…`.
pub fn wrap(runs: &[Run], width: usize, indent: usize) -> Vec<Vec<Run>> {
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
    // CJK text has no spaces: a line may also break between its characters (never inside a
    // Latin word or a path: see i18n::may_break_between).
    let mut previous: Option<char> = None;
    for run in runs {
        for ch in run.text.chars() {
            if ch == ' ' {
                if words.last().is_some_and(|w| !w.is_empty()) {
                    words.push(Vec::new());
                    spaces_before.push(0);
                }
                *spaces_before.last_mut().expect("a word") += 1;
                previous = None;
                continue;
            }
            if previous.is_some_and(|p| crate::i18n::may_break_between(p, ch)) {
                words.push(Vec::new());
                spaces_before.push(0);
            }
            previous = Some(ch);
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
        let line_start = if lines.len() > 1 { indent } else { 0 };
        if used > line_start && used + lead + word_width > width {
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
        // Only a word longer than the room a line has is cut, with `…` in its last column.
        let room = width.saturating_sub(used);
        let keep = if word_width > room {
            room.saturating_sub(1)
        } else {
            word_width
        };
        let mut shown = 0;
        'pieces: for (look, text) in &word {
            for ch in text.chars() {
                let w = crate::format::width(ch.encode_utf8(&mut [0; 4]));
                if shown + w > keep {
                    break 'pieces;
                }
                push(&mut lines, *look, ch.encode_utf8(&mut [0; 4]));
                shown += w;
            }
        }
        if keep < word_width {
            push(
                &mut lines,
                word.last().map_or(Look::Plain, |(l, _)| *l),
                "…",
            );
            shown += 1;
        }
        used += shown;
    }
    lines
}

/// Every lesson shipped with cgtui, in the current language (each in English where it has no
/// translation).
pub fn all() -> Vec<Lesson> {
    all_in(crate::i18n::current())
}

/// Every lesson in `lang`, falling back to English lesson by lesson.
pub fn all_in(lang: crate::i18n::Lang) -> Vec<Lesson> {
    SOURCES
        .iter()
        .map(|(id, english)| {
            let text = TRANSLATIONS
                .iter()
                .find(|(l, stem, _)| *l == lang.code() && stem == id)
                .map_or(*english, |(_, _, text)| *text);
            parse(id, text)
                .unwrap_or_else(|e| panic!("lesson {id} ({}) does not parse: {e}", lang.code()))
        })
        .collect()
}

/// The exercise `id` of any lesson, with its lesson.
pub fn exercise_by_id(id: &str) -> Option<(Lesson, Exercise)> {
    all().into_iter().find_map(|lesson| {
        let found = lesson.exercises.iter().find(|e| e.id == id).cloned();
        found.map(|e| (lesson, e))
    })
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
        assert_eq!(lessons.len(), SOURCES.len());
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
        let lesson = parse("t", "# T\n- one\n  more\n- two\n## s\ncheck: playground\n").unwrap();
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
        // A path is never split: it goes to a line of its own, whole when it fits there.
        let path = "user@1000.service.d";
        let lines = wrap(&inline(&format!("see `{path}` here"), Look::Plain), 22, 2);
        let shown: Vec<String> = lines
            .iter()
            .map(|l| l.iter().map(|r| r.text.as_str()).collect())
            .collect();
        assert_eq!(shown, ["see", "  user@1000.service.d", "  here"]);
        // A word longer than a whole line is cut there, and says so with `…`.
        let long = wrap(&[Run::new(Look::Code, "x".repeat(20))], 10, 2);
        let shown: Vec<String> = long
            .iter()
            .map(|l| l.iter().map(|r| r.text.as_str()).collect())
            .collect();
        assert_eq!(shown, [format!("{}…", "x".repeat(9))]);
    }

    #[test]
    fn bad_lessons_are_rejected() {
        assert!(parse("t", "# T\n## step\n").is_err());
        assert!(parse("t", "# T\n## step\ncheck: nonsense\n").is_err());
        assert!(parse("t", "## step\ncheck: playground\n").is_err());
        assert!(parse("t", "# T\n## s\ncheck: refused no-such-rule\n").is_err());
        assert!(parse("t", "# T\n<!-- hidden text -->\n## s\ncheck: playground\n").is_err());
        assert!(parse("t", "# T\n<!-- source: x\n## s\ncheck: playground\n").is_err());
        let two_lines = parse(
            "t",
            "# T\n<!-- source: a\n  b -->\n## s\ncheck: playground\n",
        );
        assert_eq!(two_lines.map(|l| l.sources), Ok(vec!["a b".to_string()]));
        let with =
            |comment: &str| parse("t", &format!("# T\n{comment}\n## s\ncheck: playground\n"));
        assert!(with("<!-- needs: wizardry -->").is_err());
        assert!(
            with("<!-- exercise: x\nquestion: q\nsetup: mkdir ../up\ntry: mkdir a\nrule: r -->")
                .is_err()
        );
        assert!(
            with("<!-- exercise: x\nquestion: q\nsetup: mkdir a\ntry: chmod a\nrule: r -->")
                .is_err()
        );
        assert!(with("<!-- exercise: x\nquestion: q\nsetup: mkdir a\ntry: mkdir b -->").is_err());
        assert!(
            with("<!-- exercise: bad id\nquestion: q\nsetup: mkdir a\ntry: mkdir b\nrule: r -->")
                .is_err()
        );
    }

    #[test]
    fn exercises_needs_and_languages_are_read_from_the_lessons() {
        let lesson = parse(
            "t",
            "# T\n<!-- needs: root -->\n<!-- exercise: move-it\nquestion: Where\n  to?\n\
             setup: mkdir C0 C1; delegate C0 C1; place C0\ntry: write C1/cgroup.procs PID\n\
             rule: EACCES -->\n## s\ncheck: playground\n",
        )
        .unwrap();
        assert_eq!(lesson.needs, Needs::Root);
        let exercise = &lesson.exercises[0];
        assert_eq!(exercise.id, "move-it");
        assert_eq!(exercise.question, "Where to?");
        assert_eq!(
            exercise.setup,
            [
                Setup::Mkdir(vec!["C0".into(), "C1".into()]),
                Setup::Delegate(vec!["C0".into(), "C1".into()]),
                Setup::Place("C0".into()),
            ]
        );
        assert_eq!(exercise.attempt.to_string(), "echo PID > C1/cgroup.procs");
        assert!(exercise.needs_root());
        // No exercise text leaks into the lesson, and ids are unique across lessons.
        assert!(lesson.intro.is_empty() && lesson.steps[0].notes.is_empty());
        let all = all();
        let mut ids: Vec<&str> = all
            .iter()
            .flat_map(|l| &l.exercises)
            .map(|e| e.id.as_str())
            .collect();
        let count = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), count, "exercise ids are unique");
        assert!(count >= 5, "the labs have exercises");
        assert!(all.iter().any(|l| l.needs == Needs::Root));
        assert_eq!(languages("01-why-mkdir-needs-root")[0], "en");
    }

    #[test]
    fn translations_table_lists_every_translated_lesson_file() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/lessons");
        let mut on_disk: Vec<(String, String)> = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            if entry.file_type().unwrap().is_dir() {
                let lang = entry.file_name().to_string_lossy().into_owned();
                for file in std::fs::read_dir(entry.path()).unwrap().flatten() {
                    let name = file.file_name().to_string_lossy().into_owned();
                    if let Some(stem) = name.strip_suffix(".md") {
                        on_disk.push((lang.clone(), stem.to_string()));
                    }
                }
            }
        }
        on_disk.sort();
        let mut listed: Vec<(String, String)> = TRANSLATIONS
            .iter()
            .map(|(lang, stem, _)| (lang.to_string(), stem.to_string()))
            .collect();
        listed.sort();
        assert_eq!(listed, on_disk);
        for (lang, stem, text) in TRANSLATIONS {
            assert!(
                SOURCES.iter().any(|(id, _)| id == stem),
                "{lang}/{stem} translates no lesson"
            );
            parse(stem, text).unwrap_or_else(|e| panic!("{lang}/{stem}: {e}"));
            assert!(languages(stem).contains(lang));
        }
    }
}

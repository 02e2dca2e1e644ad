//! The lessons panel's state: which lesson is followed and which of its steps are done, ticked
//! off by watching what happens (what is selected, which panes were opened, what the kernel
//! refused).

use crate::cgroup::CgroupPath;
use crate::exercises::Verdict;
use crate::lessons::{Check, Lesson, Look, Observed, Progress, Run, paragraph, wrap};
use crate::model::Model;
use std::collections::BTreeMap;

#[derive(Debug)]
pub struct LessonsState {
    /// Parsed when first shown: most sessions never open the panel.
    lessons: std::sync::OnceLock<Vec<Lesson>>,
    pub(crate) panel: bool,
    pub(crate) progress: Option<Progress>,
    pub(crate) observed: Observed,
    /// The first line shown, once scrolled by hand; `None` follows the step to do.
    pub(crate) scroll: Option<usize>,
    /// The user's answers to the exercises (`cgtui lessons --try`), by exercise id.
    pub(crate) answers: BTreeMap<String, Verdict>,
}

/// The lessons panel's text, wrapped to its width: what the ui draws and what scrolling
/// counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Panel {
    pub lines: Vec<Vec<Run>>,
    pub title: String,
    /// The line of the step to do now, once a step is done (before, the intro comes first).
    pub follow: Option<usize>,
}

impl Panel {
    /// Rows for text in a panel `height` rows high: one less when the text is longer, for the
    /// line that says where the window is.
    pub fn text_rows(&self, height: usize) -> usize {
        if self.lines.len() > height {
            height.saturating_sub(1).max(1)
        } else {
            height
        }
    }

    /// The first line to show in `height` rows, from a hand-set scroll or following the step
    /// to do; never past the end.
    pub fn offset(&self, scroll: Option<usize>, height: usize) -> usize {
        let height = self.text_rows(height);
        let max = self.lines.len().saturating_sub(height);
        let wanted = match (scroll, self.follow) {
            (Some(offset), _) => offset,
            // The step to do and two lines after it on screen.
            (None, Some(line)) => (line + 3).saturating_sub(height),
            (None, None) => 0,
        };
        wanted.min(max)
    }
}

impl Default for LessonsState {
    fn default() -> Self {
        LessonsState {
            lessons: std::sync::OnceLock::new(),
            panel: false,
            progress: None,
            observed: Observed::default(),
            scroll: None,
            answers: BTreeMap::new(),
        }
    }
}

/// What the checks look at.
pub(crate) struct World<'a> {
    pub model: &'a Model,
    pub selected: &'a CgroupPath,
    pub own_cgroup: Option<&'a CgroupPath>,
    pub uid: u32,
}

impl LessonsState {
    /// Every lesson, in the language of the session.
    fn lessons(&self) -> &[Lesson] {
        self.lessons.get_or_init(crate::lessons::all)
    }

    /// Open lesson `index` (0-based), if there is one.
    pub fn open(&mut self, index: usize) {
        if let Some(lesson) = self.lessons().get(index).cloned() {
            self.progress = Some(Progress::new(index, lesson));
            self.scroll = None;
        }
    }

    /// Read the user's answers to the exercises again (they are given with `cgtui lessons
    /// --try`, from a shell beside the TUI); an unreadable file shows none.
    pub fn reload_answers(&mut self) {
        self.answers = crate::exercises::default_path()
            .and_then(|path| crate::exercises::Answers::load(&path))
            .map(|a| a.answers)
            .unwrap_or_default();
    }

    /// Back to the list of lessons.
    pub fn list(&mut self) {
        self.progress = None;
        self.scroll = None;
    }

    /// Scroll the panel (`height` rows of `width` columns) by `rows`, up when negative.
    pub fn scroll_by(&mut self, rows: isize, width: usize, height: usize) {
        let panel = self.panel(width);
        let from = panel.offset(self.scroll, height);
        let to = from.saturating_add_signed(rows);
        let rows = panel.text_rows(height);
        self.scroll = Some(to.min(panel.lines.len().saturating_sub(rows)));
    }

    /// The panel's text at `width` columns: the list of lessons, or the lesson followed with
    /// its steps marked (done, to do now, to come) and the notes of the steps done and of the
    /// one to do.
    pub fn panel(&self, width: usize) -> Panel {
        let mut lines: Vec<Vec<Run>> = Vec::new();
        let para = |text: &str, plain: Look| {
            let (runs, indent) = paragraph(text, plain);
            wrap(&runs, width, indent)
        };
        let Some(progress) = &self.progress else {
            lines.extend(para(&crate::t!("lessons-pick"), Look::Strong));
            lines.push(Vec::new());
            for (i, lesson) in self.lessons().iter().enumerate() {
                // A long title wraps under itself, not under its number.
                let runs = vec![Run::new(
                    Look::Plain,
                    format!("{:<2} {}", i + 1, lesson.title),
                )];
                lines.extend(wrap(&runs, width, 3));
            }
            lines.push(Vec::new());
            let open = match self.lessons().len() {
                0..=9 => crate::t!("lessons-open-few"),
                n => crate::t!("lessons-open-many", count = n),
            };
            lines.extend(para(&crate::t!("lessons-hint", open = open), Look::Hint));
            return Panel {
                lines,
                title: format!(" {} ", crate::t!("lessons-title")),
                follow: None,
            };
        };
        let lesson = &progress.lesson;
        lines.extend(para(&lesson.title, Look::Strong));
        for text in lesson.intro.iter().filter(|l| !l.trim().is_empty()) {
            lines.extend(para(text, Look::Plain));
        }
        lines.push(Vec::new());
        let current = progress.done.iter().position(|d| !d);
        let mut follow = None;
        for (i, step) in lesson.steps.iter().enumerate() {
            let (mark, look) = match (progress.done[i], Some(i) == current) {
                (true, _) => ("✓ ", Look::Done),
                (false, true) => ("▶ ", Look::Current),
                (false, false) => ("· ", Look::Pending),
            };
            if Some(i) == current && i > 0 {
                follow = Some(lines.len());
            }
            let mut runs = vec![Run::new(look, mark)];
            runs.extend(crate::lessons::inline(&step.text, look));
            lines.extend(wrap(&runs, width, 2));
            // A step's notes (what it shows, the same from a shell) once it is the one to do.
            if progress.done[i] || Some(i) == current {
                let look = if progress.done[i] {
                    Look::Hint
                } else {
                    Look::Plain
                };
                for note in step.notes.iter().filter(|l| !l.trim().is_empty()) {
                    let (runs, indent) = paragraph(note, look);
                    let mut indented = vec![Run::new(look, "  ")];
                    indented.extend(runs);
                    lines.extend(wrap(&indented, width, indent + 2));
                }
            }
        }
        if !lesson.exercises.is_empty() {
            lines.push(Vec::new());
            lines.extend(para(&crate::t!("lessons-predict"), Look::Strong));
            for exercise in &lesson.exercises {
                let mut runs = vec![Run::new(Look::Strong, format!("{} ", exercise.id))];
                runs.extend(crate::lessons::inline(&exercise.question, Look::Plain));
                lines.extend(wrap(&runs, width, 2));
                let answer = match self.answers.get(&exercise.id) {
                    Some(v) => vec![
                        Run::new(Look::Plain, format!("  {} ", crate::t!("lessons-you"))),
                        Run::new(Look::Code, v.guess.clone()),
                        Run::new(Look::Plain, format!(" {} ", crate::t!("lessons-kernel"))),
                        Run::new(Look::Code, v.kernel.clone()),
                        if v.right {
                            Run::new(Look::Done, format!(" {}", crate::t!("lessons-right")))
                        } else {
                            Run::new(Look::Current, format!(" {}", crate::t!("lessons-wrong")))
                        },
                    ],
                    None => vec![
                        Run::new(Look::Hint, "  cgtui lessons --try "),
                        Run::new(Look::Code, exercise.id.clone()),
                        Run::new(Look::Hint, " GUESS"),
                    ],
                };
                lines.extend(wrap(&answer, width, 4));
            }
        }
        if current.is_none() {
            lines.push(Vec::new());
            let done = wrap(&[Run::new(Look::Done, crate::t!("lessons-done"))], width, 0);
            follow = Some(lines.len());
            lines.extend(done);
        }
        Panel {
            lines,
            title: format!(
                " {} ",
                crate::t!(
                    "lessons-lesson-title",
                    number = progress.index + 1,
                    count = self.lessons().len()
                )
            ),
            follow,
        }
    }

    pub fn next(&mut self, backwards: bool) {
        let count = self.lessons().len().max(1);
        let index = match (&self.progress, backwards) {
            (None, _) => 0,
            (Some(p), false) => (p.index + 1) % count,
            (Some(p), true) => (p.index + count - 1) % count,
        };
        self.open(index);
    }

    /// Tick off the steps of the current lesson that what has happened satisfies; once done, a
    /// step stays done.
    pub(crate) fn tick(&mut self, world: &World) {
        let Some(progress) = self.progress.as_mut() else {
            return;
        };
        for (step, done) in progress.lesson.steps.iter().zip(progress.done.iter_mut()) {
            if !*done {
                *done = satisfied(&step.check, world, &self.observed);
            }
        }
    }
}

fn playgrounds(model: &Model) -> impl Iterator<Item = &crate::model::Node> {
    model
        .nodes()
        .filter(|n| crate::playground::is_playground(&n.path).is_some())
}

fn satisfied(check: &Check, world: &World, seen: &Observed) -> bool {
    let selected = world.selected;
    let model = world.model;
    let name_starts = |p: &CgroupPath, prefix: &str| {
        std::os::unix::ffi::OsStrExt::as_bytes(p.name()).starts_with(prefix.as_bytes())
    };
    match check {
        Check::Selected(path) => selected == path,
        Check::SelectedName(prefix) => name_starts(selected, prefix),
        Check::SelectedMissingMemory => {
            !selected.is_root()
                && model.get(selected).is_some_and(|n| {
                    crate::model::missing::missing_reason(
                        model,
                        n,
                        crate::model::missing::Metric::Memory,
                    )
                    .is_some()
                })
        }
        Check::Explained(path) => seen.explained.contains(path),
        Check::ExplainedOwn => world
            .own_cgroup
            .is_some_and(|own| seen.explained.contains(own)),
        Check::ExplainedName(prefix) => seen.explained.iter().any(|p| name_starts(p, prefix)),
        Check::ExplainedAny => !seen.explained.is_empty(),
        Check::ExplainedForeign => seen.explained.iter().any(|p| {
            model
                .get(p)
                .and_then(|n| n.sample.as_ref())
                .is_some_and(|s| s.owner_uid != world.uid)
        }),
        Check::Opened(what) => seen.opened.contains(what),
        Check::Playground => playgrounds(model).next().is_some(),
        Check::PlaygroundChildren(n) => playgrounds(model).any(|p| p.children.len() >= *n),
        Check::PlaygroundController(which) => playgrounds(model).any(|p| {
            let enabled = p
                .sample
                .as_ref()
                .and_then(|s| s.subtree_control.clone())
                .unwrap_or_default();
            match which {
                Some(name) => enabled.contains(name),
                None => !enabled.is_empty(),
            }
        }),
        Check::Refused(rule) => seen.refused.contains(rule),
        Check::Done(op) => seen.done.contains(op),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(line: &[Run]) -> String {
        line.iter().map(|r| r.text.as_str()).collect()
    }

    #[test]
    fn every_lesson_is_rendered_without_markup_and_commands_are_code() {
        let mut state = LessonsState::default();
        for index in 0..state.lessons().len() {
            state.open(index);
            let panel = state.panel(44);
            for line in &panel.lines {
                let shown = text(line);
                assert!(
                    !shown.contains('`') && !shown.contains("**"),
                    "lesson {}: {shown:?}",
                    index + 1
                );
                assert!(crate::format::width(&shown) <= 44, "{shown:?}");
            }
        }
        let threaded = state
            .lessons()
            .iter()
            .position(|l| l.title.starts_with("Threaded mode"))
            .unwrap();
        state.open(threaded);
        if let Some(progress) = state.progress.as_mut() {
            progress.done.fill(true);
        }
        let panel = state.panel(60);
        let command = panel
            .lines
            .iter()
            .find(|l| {
                text(l)
                    .trim_start()
                    .starts_with("echo +cpu > PLAYGROUND/cgroup.subtree_control")
            })
            .expect("the indented command, shown as one");
        assert!(
            command
                .iter()
                .filter(|r| !r.text.trim().is_empty())
                .all(|r| r.look == Look::Code),
            "{command:?}"
        );
        assert!(
            panel.lines.iter().any(|l| l
                .iter()
                .any(|r| r.look == Look::Emphasis && r.text == "threaded")),
            "*threaded* is emphasis"
        );
    }

    /// The words a paragraph's runs show, markup removed.
    fn words(text: &str) -> Vec<String> {
        let (runs, _) = paragraph(text, Look::Plain);
        let joined: String = runs.iter().map(|r| r.text.as_str()).collect();
        joined.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn no_lesson_splits_a_word_or_path_at_80x24_or_40_columns() {
        // The panel's text width in an 80x24 terminal (a third of it, less its border), in a
        // 40-column one, and a 40-column panel.
        let widths = [80 / 3 - 1, 40 / 2 - 1, 40];
        let mut state = LessonsState::default();
        for index in 0..state.lessons().len() {
            state.open(index);
            if let Some(progress) = state.progress.as_mut() {
                // Every step done: every note is shown.
                progress.done.fill(true);
            }
            let lesson = state.lessons()[index].clone();
            let mut source: std::collections::HashSet<String> = std::iter::once(&lesson.title)
                .chain(&lesson.intro)
                .chain(
                    lesson
                        .steps
                        .iter()
                        .flat_map(|s| std::iter::once(&s.text).chain(&s.notes)),
                )
                .flat_map(|t| words(t))
                .collect();
            for e in &lesson.exercises {
                source.insert(e.id.clone());
                source.extend(words(&e.question));
                source.extend(words(&e.attempt.to_string()));
            }
            for width in widths {
                let panel = state.panel(width);
                for line in &panel.lines {
                    let shown = text(line);
                    assert!(crate::format::width(&shown) <= width, "{shown:?}");
                    for word in shown.split_whitespace() {
                        let whole = source.contains(word)
                            || ["✓", "▶", "·", "•"].contains(&word)
                            || panel_words().contains(&word);
                        // A word longer than the line may be cut, and then ends in `…`.
                        let cut = word.strip_suffix('…').is_some_and(|start| {
                            !start.is_empty() && source.iter().any(|w| w.starts_with(start))
                        });
                        assert!(
                            whole || cut,
                            "lesson {} at {width} columns: {word:?} in {shown:?} is not a word \
                             of the lesson",
                            lesson.id
                        );
                    }
                }
            }
        }
    }

    /// Words the panel adds around a lesson's text.
    fn panel_words() -> Vec<&'static str> {
        "Done. ] for the next lesson. Predict, then verify: you: kernel: right wrong not yet \
         answered cgtui lessons --try ID GUESS"
            .split_whitespace()
            .collect()
    }

    #[test]
    fn a_long_lesson_scrolls_and_follows_the_step_to_do() {
        let mut state = LessonsState::default();
        state.open(5);
        let (width, height) = (40, 12);
        let panel = state.panel(width);
        assert!(
            panel.lines.len() > height,
            "lesson 6 is longer than the panel"
        );
        assert_eq!(panel.offset(state.scroll, height), 0, "the intro first");
        state.scroll_by(6, width, height);
        assert_eq!(state.scroll, Some(6));
        state.scroll_by(10_000, width, height);
        let end = panel.lines.len() - panel.text_rows(height);
        assert_eq!(state.scroll, Some(end), "never past the end");
        state.scroll_by(-10_000, width, height);
        assert_eq!(state.scroll, Some(0));
        // Once a step is done, the window follows the step to do; opening resets it.
        state.open(5);
        if let Some(progress) = state.progress.as_mut() {
            progress.done[0] = true;
        }
        let panel = state.panel(width);
        let follow = panel.follow.expect("the second step is to do");
        let offset = panel.offset(state.scroll, height);
        assert!(
            offset <= follow && follow < offset + panel.text_rows(height),
            "step line {follow} in the window from {offset}"
        );
    }
}

//! The lessons panel's state: which lesson is followed and which of its steps are done, ticked
//! off by watching what happens (what is selected, which panes were opened, what the kernel
//! refused).

use crate::cgroup::CgroupPath;
use crate::lessons::{Check, Lesson, Observed, Progress};
use crate::model::Model;

#[derive(Debug)]
pub struct LessonsState {
    pub(crate) lessons: Vec<Lesson>,
    pub(crate) panel: bool,
    pub(crate) progress: Option<Progress>,
    pub(crate) observed: Observed,
}

impl Default for LessonsState {
    fn default() -> Self {
        LessonsState {
            lessons: crate::lessons::all(),
            panel: false,
            progress: None,
            observed: Observed::default(),
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
    /// Open lesson `index` (0-based), if there is one.
    pub fn open(&mut self, index: usize) {
        if let Some(lesson) = self.lessons.get(index).cloned() {
            self.progress = Some(Progress::new(index, lesson));
        }
    }

    pub fn next(&mut self, backwards: bool) {
        let count = self.lessons.len().max(1);
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
    let name_starts = |p: &CgroupPath, prefix: &str| p.name().to_string_lossy().starts_with(prefix);
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

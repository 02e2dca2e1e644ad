//! The one collector: every consumer's reads of cgroupfs go through [`Collector`] — the TUI's
//! sampler thread ([`sampler`], following what is on screen through a [`plan::ViewPlan`]),
//! `cgtui record`, `cgtui export` and `cgtui snapshot`. Each reads what its plan asks for and
//! gets samples whose counter files carry the moment they were read
//! ([`crate::cgroup::sample::ReadTimes`]), from which [`crate::model::rates`] computes every
//! rate. Nothing here knows the app: the sampler reports through a callback of its own
//! message type.

pub mod pace;
pub mod plan;
pub mod sampler;

use crate::cgroup::files::OpenFiles;
use crate::cgroup::sample::{KnownEvents, Scope, read_sample_knowing};
use crate::cgroup::stats::IoCounts;
use crate::cgroup::{CgroupPath, Cgroupfs};
use crate::model::TreeSample;
use std::time::{Duration, Instant};

/// CPU time this thread has used.
pub(crate) fn thread_cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(
        u64::try_from(t.tv_sec).unwrap_or(0),
        u32::try_from(t.tv_nsec).unwrap_or(0),
    )
}

/// Read the cgroups under `base` that `plan` asks for, at the scope it gives; the others are
/// listed with no sample. `files` keeps files open between passes.
fn sample_tree_planned(
    fs: &Cgroupfs,
    base: &CgroupPath,
    plan: &mut dyn FnMut(&CgroupPath) -> Option<Scope>,
    files: Option<&mut OpenFiles>,
) -> TreeSample {
    // Before the walk: the model must not remove a cgroup created while the walk ran.
    let started = Instant::now();
    sample_paths(
        fs,
        started,
        &fs.walk(base),
        true,
        plan,
        files,
        &nothing_known,
    )
}

/// Every cgroup of `paths` fully (as `snapshot` reads), the whole tree as the caller knows it
/// (the recorder's, from its inotify watches), parents before children: no directory is
/// listed. `cgroup.events` is taken from `known` where it holds it instead of being read.
pub fn sample_listed_knowing(
    fs: &Cgroupfs,
    paths: &[CgroupPath],
    files: &mut OpenFiles,
    known: &dyn Fn(&CgroupPath) -> KnownEvents,
) -> TreeSample {
    let started = Instant::now();
    sample_paths(
        fs,
        started,
        paths,
        true,
        &mut every(None, true),
        Some(files),
        known,
    )
}

fn nothing_known(_: &CgroupPath) -> KnownEvents {
    KnownEvents::default()
}

/// Read those of `paths` that `plan` asks for. `complete`: `paths` is the whole tree, just
/// walked, and the sample lists every cgroup (the unread ones with no sample); otherwise it
/// holds only the cgroups read. `started`: when the pass began (before any walk).
fn sample_paths(
    fs: &Cgroupfs,
    started: Instant,
    paths: &[CgroupPath],
    complete: bool,
    plan: &mut dyn FnMut(&CgroupPath) -> Option<Scope>,
    mut files: Option<&mut OpenFiles>,
    known: &dyn Fn(&CgroupPath) -> KnownEvents,
) -> TreeSample {
    if let Some(files) = files.as_deref_mut() {
        files.begin_pass();
    }
    let mut cgroups = Vec::with_capacity(if complete { paths.len() } else { 64 });
    for path in paths {
        match plan(path) {
            None => {
                if let Some(files) = files.as_deref_mut() {
                    files.still_there(path);
                }
                if complete {
                    cgroups.push((path.clone(), None));
                }
            }
            // A directory that vanished or cannot be read is left out until the next pass;
            // per-file problems are kept inside the sample.
            Some(scope) => {
                let known = known(path);
                if let Ok(Some(sample)) =
                    read_sample_knowing(fs, path, scope, files.as_deref_mut(), &known)
                {
                    cgroups.push((path.clone(), Some(Box::new(sample))));
                }
            }
        }
    }
    if let Some(files) = files {
        files.end_pass();
    }
    TreeSample {
        started,
        finished: Instant::now(),
        complete,
        cgroups,
    }
}

fn every(focus: Option<&CgroupPath>, all_full: bool) -> impl FnMut(&CgroupPath) -> Option<Scope> {
    move |path| {
        Some(if all_full || Some(path) == focus {
            Scope::Full
        } else {
            Scope::Columns
        })
    }
}

/// Read every cgroup under `base`, the `focus` one fully and the rest for the tree's columns,
/// keeping files open in `files`.
pub fn sample_tree_with(
    fs: &Cgroupfs,
    base: &CgroupPath,
    focus: Option<&CgroupPath>,
    all_full: bool,
    files: &mut OpenFiles,
) -> TreeSample {
    sample_tree_planned(fs, base, &mut every(focus, all_full), Some(files))
}

/// [`sample_tree_with`] without keeping files open (one-off reads and tests).
pub fn sample_tree(
    fs: &Cgroupfs,
    base: &CgroupPath,
    focus: Option<&CgroupPath>,
    all_full: bool,
) -> TreeSample {
    sample_tree_planned(fs, base, &mut every(focus, all_full), None)
}

/// What one pass cost and read (`cgtui --stats`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassStats {
    /// Cgroups read.
    pub cgroups: usize,
    /// Files opened and read, bytes, directories listed.
    pub io: IoCounts,
    /// The sampler thread's CPU for the pass.
    pub cpu: Duration,
    /// The pass listed the whole tree.
    pub walked: bool,
}

impl PassStats {
    /// One line for the header.
    pub fn text(&self) -> String {
        format!(
            "pass {} cgroups: {} files read ({} opened), {} dirs listed, {:.1} KiB, {:.2} ms CPU{}",
            self.cgroups,
            self.io.read,
            self.io.opened,
            self.io.listed,
            self.io.bytes as f64 / 1024.0,
            self.cpu.as_secs_f64() * 1e3,
            if self.walked { ", walked" } else { "" }
        )
    }
}

/// What the passes of a run read, added up (printed on exit with `cgtui --stats`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassTotals {
    pub passes: u64,
    pub cgroups: u64,
    pub io: IoCounts,
    pub cpu: Duration,
    /// Passes that listed the whole tree.
    pub walks: u64,
}

impl PassTotals {
    pub fn add(&mut self, pass: &PassStats) {
        self.passes += 1;
        self.cgroups += pass.cgroups as u64;
        self.io += pass.io;
        self.cpu += pass.cpu;
        self.walks += u64::from(pass.walked);
    }

    /// The means per pass, in one line.
    pub fn text(&self) -> String {
        let n = self.passes.max(1) as f64;
        format!(
            "{} passes, {} walking the tree; per pass: {:.1} cgroups, {:.1} files read \
             ({:.1} opened), {:.2} dirs listed, {:.1} KiB, {:.2} ms CPU",
            self.passes,
            self.walks,
            self.cgroups as f64 / n,
            self.io.read as f64 / n,
            self.io.opened as f64 / n,
            self.io.listed as f64 / n,
            self.io.bytes as f64 / 1024.0 / n,
            self.cpu.as_secs_f64() * 1e3 / n
        )
    }
}

//! What the runtime must do after an update. The runtime matches this enum exhaustively: a new
//! effect cannot be forgotten there.

use crate::app::dialog::Fixup;
use crate::cgroup::CgroupPath;
use crate::cgroup::edit::Op;
use crate::editor::{Change, UndoPlan};
use std::time::Duration;

#[derive(Debug)]
pub enum Effect {
    Quit,
    /// Tell the sampler the new poll period.
    SetInterval(Duration),
    /// The selection changed: read this cgroup fully, and its processes.
    Focus(CgroupPath),
    RefreshNow,
    /// What the sampler must read changed (the rows on screen, or what their order depends
    /// on): see `app::reads`.
    Visible(crate::collect::plan::Reads),
    /// inotify no longer reports every new and removed cgroup: the sampler must walk the tree
    /// every pass to find them.
    WalkEveryPass,
    /// Predict the kernel's answer to a change (shown in the dialog before it is made).
    Predict(Op),
    /// Carry out a change through the editor (journaled, read back).
    Edit(Op, Change),
    /// List the changes `u` can take back (answered by `Event::UndoListed`).
    ListUndo,
    /// Undo what was planned and confirmed.
    Undo(Box<UndoPlan>),
    Fix(Fixup),
    /// Start a delegated playground scope (no root needed).
    Playground,
    /// Stop a playground scope by its unit name.
    StopPlayground(String),
    /// Work out `explain` for a cgroup (the `w` pane).
    Explain(CgroupPath),
    /// Ask Docker and Podman for these containers' names (`--resolve-names` only; answered by
    /// `Event::Names`).
    ResolveNames(Vec<crate::cgroup::workload::Workload>),
    /// `cgtui replay`: move through recorded time.
    Replay(crate::app::action::ReplayMove),
    /// Send a confirmed signal through its pidfd, journaled (answered by `Event::Signalled`).
    Signal(Box<crate::editor::SignalRequest>),
    /// The process list shows the selected cgroup's own processes, or its whole subtree's.
    ProcessSubtree(bool),
    /// Read the selected cgroup's recorded history (answered by `Event::Recorded`).
    ReadRecorded(crate::history::backfill::Request),
    /// Save the shown columns into the config file (answered by `Event::ColumnsSaved`).
    SaveColumns(std::path::PathBuf, Vec<crate::model::view::Column>),
}

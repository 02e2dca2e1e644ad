//! What a person can ask for. Keys are mapped to actions by the keymap table
//! ([`crate::app::keymap`]); the app only ever handles actions.

/// Where a key is pressed: the keymap binds keys per context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    /// Anywhere.
    Global,
    /// The main view: the tree, and the process list when it has the focus.
    Main,
    /// The main view while a filter is active (before the main view's keys).
    Filtered,
    /// The process list has the focus (before the main view's keys).
    Processes,
    /// A process row of the tree is selected (`p`; before the main view's keys).
    TreeProcess,
    /// Picking the destination of a process move (before the main view's keys).
    Moving,
    /// The lessons panel is open (before the main view's keys).
    Lessons,
    /// Typing a filter.
    FilterInput,
    Help,
    /// The limits form and the controllers list.
    Form,
    /// A text field in a dialog.
    Input,
    Confirm,
    /// Scrolled text: the `w` pane, the message log, a process, a result.
    Text,
    /// `cgtui replay`: moving through recorded time (before the main view's keys).
    Replay,
    /// The column chooser (`C`).
    Columns,
}

impl Context {
    pub const ALL: [Context; 15] = [
        Context::Global,
        Context::Main,
        Context::Filtered,
        Context::Processes,
        Context::TreeProcess,
        Context::Moving,
        Context::Lessons,
        Context::FilterInput,
        Context::Help,
        Context::Form,
        Context::Input,
        Context::Confirm,
        Context::Text,
        Context::Replay,
        Context::Columns,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "everywhere",
            Context::Main => "main view",
            Context::Filtered => "while a filter is active",
            Context::Processes => "in the process list (Tab)",
            Context::TreeProcess => "on a process row of the tree (p)",
            Context::Moving => "while moving a process",
            Context::Lessons => "with the lessons panel open (L)",
            Context::FilterInput => "typing a filter (/)",
            Context::Help => "help",
            Context::Form => "limits form and controllers list",
            Context::Input => "text fields",
            Context::Confirm => "confirmations",
            Context::Text => "text panes (w, messages, process, result)",
            Context::Replay => "replaying recorded history (cgtui replay)",
            Context::Columns => "column chooser (C)",
        }
    }
}

/// Everything a key can do. Movement actions act on whatever has the focus: the tree, the
/// process list, a dialog's rows or a scrolled text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Quit,
    Help,
    /// Close a dialog, help or pane.
    Close,
    /// Esc in the main view: cancel a move, leave the process list, clear the filter.
    Cancel,
    Up,
    Down,
    PageUp,
    PageDown,
    First,
    Last,
    Expand,
    Collapse,
    /// Enter: toggle a tree row, open a process, pick a form row.
    Activate,
    ExpandAll,
    Filter,
    NextMatch,
    PrevMatch,
    FilterKeep,
    FilterClear,
    SortNext,
    SortReverse,
    /// Toggle between the tree and a flat list of every cgroup under the top.
    FlatView,
    /// The process list: the cgroup's own processes, or its whole subtree's.
    AllProcesses,
    /// Expanded cgroups show their own processes as rows of the tree, or not.
    ProcessesInTree,
    /// Send a signal to the process picked in the process list (picker, then confirmed).
    Signal,
    Subtree,
    Back,
    Own,
    Slower,
    Faster,
    SwitchPane,
    MoveProcess,
    MoveHere,
    Edit,
    Controllers,
    Freeze,
    Kill,
    New,
    Remove,
    Undo,
    Persist,
    Playground,
    Explain,
    Lessons,
    /// Open lesson N (1-based).
    Lesson(u8),
    LessonNext,
    LessonPrev,
    LessonList,
    /// Scroll the lesson text (half a panel).
    LessonScrollUp,
    LessonScrollDown,
    Messages,
    ToggleDetails,
    /// Show cgroups by their own names instead of their workloads' (containers, pods, ...).
    RawNames,
    DetailsSmaller,
    DetailsLarger,
    Confirm,
    DirectWrite,
    Submit,
    Fix,
    /// Insert a character into the text being typed.
    Type(char),
    DeleteBack,
    DeleteForward,
    CursorLeft,
    CursorRight,
    CursorHome,
    CursorEnd,
    ClearText,
    /// `cgtui replay`: move through recorded time.
    Replay(ReplayMove),
    /// `cgtui replay`: ask for a time to go to (a prompt, as `--at` takes it).
    ReplayGoTo,
    /// Open the column chooser.
    ChooseColumns,
    /// Select the next cgroup with a value over its column's critical threshold.
    NextCritical,
    /// In the column chooser: move the column earlier (left) or later (right).
    ColumnEarlier,
    ColumnLater,
    /// In the column chooser: save the shown columns into the config file.
    SaveColumns,
}

/// A move through a recorded store: the replay thread's commands.
pub use crate::history::replay::ReplayMove;

impl Action {
    /// The name used in the config file's `[keys]` table.
    pub fn name(self) -> String {
        let fixed = match self {
            Action::Quit => "quit",
            Action::Help => "help",
            Action::Close => "close",
            Action::Cancel => "cancel",
            Action::Up => "up",
            Action::Down => "down",
            Action::PageUp => "page_up",
            Action::PageDown => "page_down",
            Action::First => "first",
            Action::Last => "last",
            Action::Expand => "expand",
            Action::Collapse => "collapse",
            Action::Activate => "activate",
            Action::ExpandAll => "expand_all",
            Action::Filter => "filter",
            Action::NextMatch => "next_match",
            Action::PrevMatch => "prev_match",
            Action::FilterKeep => "filter_keep",
            Action::FilterClear => "filter_clear",
            Action::SortNext => "sort",
            Action::SortReverse => "sort_reverse",
            Action::FlatView => "flat",
            Action::AllProcesses => "all_processes",
            Action::ProcessesInTree => "processes_in_tree",
            Action::Signal => "signal",
            Action::Subtree => "subtree",
            Action::Back => "back",
            Action::Own => "own",
            Action::Slower => "slower",
            Action::Faster => "faster",
            Action::SwitchPane => "switch_pane",
            Action::MoveProcess => "move",
            Action::MoveHere => "move_here",
            Action::Edit => "edit",
            Action::Controllers => "controllers",
            Action::Freeze => "freeze",
            Action::Kill => "kill",
            Action::New => "new",
            Action::Remove => "remove",
            Action::Undo => "undo",
            Action::Persist => "persist",
            Action::Playground => "playground",
            Action::Explain => "explain",
            Action::Lessons => "lessons",
            Action::Lesson(n) => return format!("lesson_{n}"),
            Action::LessonNext => "lesson_next",
            Action::LessonPrev => "lesson_prev",
            Action::LessonList => "lesson_list",
            Action::LessonScrollUp => "lesson_scroll_up",
            Action::LessonScrollDown => "lesson_scroll_down",
            Action::Messages => "messages",
            Action::ToggleDetails => "details",
            Action::RawNames => "raw_names",
            Action::DetailsSmaller => "details_smaller",
            Action::DetailsLarger => "details_larger",
            Action::Confirm => "confirm",
            Action::DirectWrite => "direct_write",
            Action::Submit => "submit",
            Action::Fix => "fix",
            Action::Type(_) => "type",
            Action::DeleteBack => "delete_back",
            Action::DeleteForward => "delete_forward",
            Action::CursorLeft => "cursor_left",
            Action::CursorRight => "cursor_right",
            Action::CursorHome => "cursor_home",
            Action::CursorEnd => "cursor_end",
            Action::ClearText => "clear_text",
            Action::Replay(m) => match m {
                ReplayMove::PrevSample => "replay_prev_sample",
                ReplayMove::NextSample => "replay_next_sample",
                ReplayMove::By(-60) => "replay_minute_back",
                ReplayMove::By(60) => "replay_minute_forward",
                ReplayMove::By(-600) => "replay_10_minutes_back",
                ReplayMove::By(600) => "replay_10_minutes_forward",
                ReplayMove::By(-3600) => "replay_hour_back",
                ReplayMove::By(3600) => "replay_hour_forward",
                ReplayMove::By(secs) => return format!("replay_by_{secs}"),
                ReplayMove::PrevEvent => "replay_prev_event",
                ReplayMove::NextEvent => "replay_next_event",
                ReplayMove::To(ms) => return format!("replay_to_{ms}"),
            },
            Action::ReplayGoTo => "replay_go_to",
            Action::ChooseColumns => "columns",
            Action::NextCritical => "next_critical",
            Action::ColumnEarlier => "column_earlier",
            Action::ColumnLater => "column_later",
            Action::SaveColumns => "save_columns",
        };
        fixed.to_string()
    }

    /// Does this action change the system (after a confirmation)? Such keys are left out of the
    /// footer in `--read-only` mode.
    pub fn writes(self) -> bool {
        matches!(
            self,
            Action::Controllers
                | Action::Freeze
                | Action::Kill
                | Action::New
                | Action::Remove
                | Action::Undo
                | Action::Persist
                | Action::Playground
                | Action::MoveProcess
                | Action::MoveHere
                | Action::Signal
                | Action::DirectWrite
                | Action::Fix
                | Action::Confirm
                | Action::Submit
        )
    }
}

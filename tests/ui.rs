//! The app driven by scripted events and actions on the fixture tree, drawn into ratatui's
//! TestBackend: render snapshots, the keymap as the one source of keys, and interactions that
//! once went wrong, each named for what it must do. Nothing here reads the clock while rendering.

mod common;

use cgtui::app::action::ReplayMove;
use cgtui::app::keymap::{Key, Keymap};
use cgtui::app::{Action, App, Context, Effect, Event, Options};
use cgtui::cgroup::edit::{Op, Outcome};
use cgtui::cgroup::process::{
    ProcRef, ProcessSample, cgroup_of, read_process, read_processes, read_processes_up_to,
    read_subtree_processes_up_to,
};
use cgtui::cgroup::sample::{Scope, read_sample};
use cgtui::cgroup::{CgroupPath, Cgroupfs};
use cgtui::collect::sample_tree;
use cgtui::collect::sampler::{Command, TREE_PROCESS_LIMIT};
use cgtui::editor::{Route, UndoItem, UndoPlan};
use cgtui::model::view::Column;
use cgtui::theme::Theme;
use cgtui::tui::{Flow, Outlets, carry_out};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::Path;
use std::time::{Duration, Instant};

struct Harness {
    fs: Cgroupfs,
    app: App,
    size: (u16, u16),
    /// Effects of the latest key or action, without predictions and visibility notes.
    effects: Vec<Effect>,
    /// Passes made: each is dated a second after the one before, as at the default interval,
    /// so that rates have a window to be computed over.
    passes: u64,
    /// The sampler was told to read the focused cgroup's whole subtree's processes (`a`).
    subtree_processes: bool,
    /// Cgroups whose own processes the tree shows (`p`), as the app last told the sampler.
    tree_processes: Vec<CgroupPath>,
    /// When the harness started: process lists are dated a second a pass after it, like the
    /// tree's reads, so that their CPU % has a window of a pass.
    started: Instant,
}

/// The harness's stand-ins for the runtime's threads: what `carry_out` sent them.
#[derive(Default)]
struct Sent {
    /// Full reads the sampler was asked for.
    focus: Vec<CgroupPath>,
    /// Everything else, as the effect that sent it.
    kept: Vec<Effect>,
    /// The subtree's processes (`a`), or the cgroup's own, when the app said which.
    subtree_processes: Option<bool>,
    /// The cgroups whose own processes the tree shows, when the app said which.
    tree_processes: Option<Vec<CgroupPath>>,
}

impl Outlets for Sent {
    fn sampler(&mut self, command: Command) {
        match command {
            Command::Focus(path) => self.focus.push(path),
            Command::Interval(interval) => self.kept.push(Effect::SetInterval(interval)),
            Command::RefreshNow => self.kept.push(Effect::RefreshNow),
            Command::WalkEveryPass => self.kept.push(Effect::WalkEveryPass),
            Command::ProcessSubtree(subtree) => self.subtree_processes = Some(subtree),
            // What the sampler reads for the screen: the harness samples everything, and
            // reads the processes the tree shows.
            Command::Visible(reads) => self.tree_processes = Some(reads.processes_of),
            other => panic!("the app sent the sampler {other:?}, which only the runtime sends"),
        }
    }

    fn worker(&mut self, work: Effect) {
        self.kept.push(work);
    }

    fn names(&mut self, workloads: Vec<cgtui::cgroup::workload::Workload>) {
        self.kept.push(Effect::ResolveNames(workloads));
    }

    fn replay(&mut self, step: ReplayMove) {
        self.kept.push(Effect::Replay(step));
    }

    fn recorded(&mut self, request: cgtui::history::backfill::Request) {
        self.kept.push(Effect::ReadRecorded(request));
    }
}

fn path(text: &str) -> CgroupPath {
    CgroupPath::from_relative(Path::new(text.trim_start_matches('/'))).unwrap()
}

fn options(fs: &Cgroupfs) -> Options {
    Options {
        own_cgroup: cgroup_of(fs, ProcRef::Own, None),
        cpus: 2,
        uid: 0,
        session: "test-session".into(),
        known_users: fs.fixture_users(),
        hierarchy_controllers: fs.hierarchy_controllers(),
        ..Options::new(CgroupPath::root(), fs.devices(), "fixture debian12")
    }
}

impl Harness {
    fn new() -> Harness {
        Harness::with(|o| o)
    }

    fn with(change: impl FnOnce(Options) -> Options) -> Harness {
        Harness::on(
            Cgroupfs::fixture(&common::fixture()).unwrap(),
            change,
            (140, 42),
        )
    }

    fn on(fs: Cgroupfs, change: impl FnOnce(Options) -> Options, size: (u16, u16)) -> Harness {
        let app = App::new(change(options(&fs)), Instant::now());
        let mut h = Harness {
            fs,
            app,
            size,
            effects: Vec::new(),
            passes: 0,
            subtree_processes: false,
            tree_processes: Vec::new(),
            started: Instant::now(),
        };
        h.app.update(Event::Resize(size.0, size.1));
        h.tick();
        h.tick();
        h
    }

    /// One sampler pass, and the focused cgroup's full read and processes, as the runtime does.
    fn tick(&mut self) {
        let focus = self.app.selected().clone();
        let mut tree = sample_tree(&self.fs, &CgroupPath::root(), Some(&focus), false);
        self.passes += 1;
        common::read_at(&mut tree, self.passes * 1_000_000_000);
        let effects = self.app.update(Event::Tree(tree));
        self.apply(effects);
        self.focus();
        let cgroups = self.tree_processes.clone();
        self.read_tree_processes(&cgroups);
    }

    /// The own processes of cgroups the tree shows them of, as the sampler sends them (the
    /// focused cgroup's come with the focus).
    fn read_tree_processes(&mut self, cgroups: &[CgroupPath]) {
        for cgroup in cgroups {
            if !self.subtree_processes && cgroup == self.app.selected() {
                continue;
            }
            // As many as the sampler reads, and how many there are in all.
            let Some(list) = read_processes_up_to(&self.fs, cgroup, TREE_PROCESS_LIMIT).unwrap()
            else {
                continue;
            };
            let effects = self.app.update(Event::Processes {
                cgroup: cgroup.clone(),
                total: list.total,
                processes: list.processes,
                at: self.started + Duration::from_secs(self.passes),
            });
            self.apply(effects);
        }
    }

    fn focus(&mut self) {
        let focus = self.app.selected().clone();
        let Ok(Some(sample)) = read_sample(&self.fs, &focus, Scope::Full) else {
            return;
        };
        self.app
            .update(Event::Focused(focus.clone(), Box::new(sample)));
        if self.subtree_processes {
            let list = read_subtree_processes_up_to(&self.fs, &focus, 1000)
                .unwrap()
                .unwrap_or_default();
            self.app.update(Event::SubtreeProcesses {
                cgroup: focus,
                processes: list.processes,
                total: list.total,
                at: self.started + Duration::from_secs(self.passes),
            });
            return;
        }
        let processes = read_processes(&self.fs, &focus)
            .unwrap()
            .unwrap_or_default();
        self.app.update(Event::Processes {
            cgroup: focus,
            total: processes.len(),
            processes,
            at: self.started + Duration::from_secs(self.passes),
        });
    }

    /// Carry out effects through the runtime's own `carry_out`, with `Sent` standing in for
    /// its threads: predictions are answered and applied at once, as before the runtime's next
    /// frame, and a focus is read as the sampler would. What else went out is kept, in the
    /// app's words, for the tests to check.
    fn apply(&mut self, effects: Vec<Effect>) {
        let actor = cgtui::cgroup::predict::Actor::current(&self.fs);
        let mut sent = Sent::default();
        let mut answers = Vec::new();
        if carry_out(effects, &self.fs, &actor, &mut answers, &mut sent) == Flow::Quit {
            sent.kept.push(Effect::Quit);
        }
        if let Some(subtree) = sent.subtree_processes {
            self.subtree_processes = subtree;
        }
        if let Some(cgroups) = sent.tree_processes {
            // Cgroups new to the list are read at once, as the sampler does.
            let new: Vec<CgroupPath> = cgroups
                .iter()
                .filter(|c| !self.tree_processes.contains(c))
                .cloned()
                .collect();
            self.tree_processes = cgroups;
            self.read_tree_processes(&new);
        }
        for _ in sent.focus {
            self.focus();
        }
        for answer in answers {
            let more = self.app.update(answer);
            self.apply(more);
        }
        self.effects = sent.kept;
    }

    fn event(&mut self, event: Event) -> &[Effect] {
        let effects = self.app.update(event);
        self.apply(effects);
        &self.effects
    }

    fn key_event(&mut self, code: KeyCode, modifiers: KeyModifiers) -> &[Effect] {
        self.event(Event::Key(KeyEvent::new(code, modifiers)))
    }

    fn key(&mut self, code: KeyCode) -> &[Effect] {
        self.key_event(code, KeyModifiers::NONE)
    }

    fn keys(&mut self, text: &str) {
        for c in text.chars() {
            self.key(KeyCode::Char(c));
        }
    }

    fn act(&mut self, action: Action) -> &[Effect] {
        let effects = self.app.act(action);
        self.apply(effects);
        &self.effects
    }

    /// Walk the tree with the keys to `target`.
    fn select(&mut self, target: &str) {
        self.key(KeyCode::Char('g'));
        for _ in 0..500 {
            let at = self.app.selected().to_string();
            if at == target {
                return;
            }
            if at == "/" || target.starts_with(&format!("{at}/")) {
                self.key(KeyCode::Right);
            } else {
                self.key(KeyCode::Down);
            }
        }
        panic!("cannot reach {target}: at {}", self.app.selected());
    }

    fn render(&self) -> String {
        self.render_at(self.size.0, self.size.1)
    }

    fn render_at(&self, width: u16, height: u16) -> String {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal
            .draw(|frame| cgtui::ui::render(&self.app, frame))
            .unwrap();
        terminal.backend().to_string()
    }

    /// Where `text` is on the screen as drawn now (column, row) of its first character.
    fn find(&self, text: &str) -> (u16, u16) {
        let buffer = self.buffer();
        for y in 0..buffer.area.height {
            let cells: Vec<&str> = (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect();
            let row: String = cells.concat();
            if let Some(at) = row.find(text) {
                // Cells, not bytes: count the cells whose symbols come before it.
                let mut bytes = 0;
                let column = cells.iter().take_while(|c| {
                    bytes += c.len();
                    bytes <= at
                });
                return (column.count() as u16, y);
            }
        }
        panic!("{text:?} is not on the screen:\n{}", self.render());
    }

    /// A left click, as a person gives it: on the frame drawn just before.
    fn click(&mut self, (column, row): (u16, u16)) -> &[Effect] {
        let _ = self.render();
        self.click_unseen((column, row))
    }

    /// A left click with no frame drawn since the last change.
    fn click_unseen(&mut self, (column, row): (u16, u16)) -> &[Effect] {
        self.event(Event::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column,
            row,
            modifiers: KeyModifiers::NONE,
        }))
    }

    fn buffer(&self) -> ratatui::buffer::Buffer {
        let mut terminal = Terminal::new(TestBackend::new(self.size.0, self.size.1)).unwrap();
        terminal
            .draw(|frame| cgtui::ui::render(&self.app, frame))
            .unwrap();
        terminal.backend().buffer().clone()
    }
}

#[test]
fn starts_on_own_cgroup_with_its_details() {
    let h = Harness::new();
    assert_eq!(
        h.app.selected().to_string(),
        "/user.slice/user-1000.slice/user@1000.service/app.slice/fxplay.scope"
    );
    insta::assert_snapshot!(h.render());
}

#[test]
fn details_of_a_service_with_a_memory_limit_and_io() {
    let mut h = Harness::new();
    h.keys("g/fxload");
    h.key(KeyCode::Enter);
    assert_eq!(h.app.selected().to_string(), "/system.slice/fxload.service");
    let screen = h.render();
    assert!(screen.contains("limit 200M from memory.max"), "{screen}");
    assert!(screen.contains("vda (254:0)"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn help_overlay_lists_keys() {
    let mut h = Harness::new();
    h.key(KeyCode::Char('?'));
    let screen = h.render();
    assert!(screen.contains("cgtui help"));
    insta::assert_snapshot!(screen);
    h.key(KeyCode::Char('x'));
    assert!(!h.render().contains("cgtui help"));
}

#[test]
fn sort_by_memory_and_reroot() {
    let mut h = Harness::new();
    h.keys("ss");
    assert_eq!(h.app.sort(), (Column::Memory, true));
    h.keys("g");
    h.key(KeyCode::Right);
    // Largest memory first under the root: system.slice (35M) before user.slice (5M).
    assert_eq!(h.app.selected().to_string(), "/system.slice");
    h.keys("r");
    let screen = h.render();
    assert!(!screen.contains("user.slice"), "{screen}");
    insta::assert_snapshot!(screen);
    h.keys("R");
    assert!(h.render().contains("user.slice"));
}

#[test]
fn limits_form_and_controllers_dialog() {
    let mut h = Harness::new();
    h.select("/system.slice/fxload.service");
    h.keys("e");
    let screen = h.render();
    for row in [
        "memory.max",
        "memory.high",
        "io.max vda (254:0)",
        "pids.max",
        "cgroup.max.depth",
    ] {
        assert!(screen.contains(row), "{row} missing:\n{screen}");
    }
    assert!(
        !screen.contains("cpu.weight"),
        "no cpu controller here, so no cpu.weight row"
    );
    insta::assert_snapshot!(screen);
    h.key(KeyCode::Enter);
    assert!(
        h.render()
            .contains("memory.max of /system.slice/fxload.service")
    );
    h.key(KeyCode::Esc);
    assert!(
        h.render()
            .contains("limits of /system.slice/fxload.service")
    );
    h.key(KeyCode::Esc);
    h.key(KeyCode::Left);
    h.keys("c");
    let screen = h.render();
    assert!(screen.contains("controllers of /system.slice"), "{screen}");
    assert!(screen.contains("[x] enabled for children"), "{screen}");
    insta::assert_snapshot!("controllers", screen);
}

fn is_edit(effects: &[Effect], file: &str) -> bool {
    matches!(effects, [Effect::Edit(Op::Set { file: f, .. }, _)] if f == file)
}

#[test]
fn edit_keys_ask_before_destructive_or_raw_writes() {
    let mut h = Harness::new();
    // K asks first, with the kernel's predicted answer; only y runs it.
    assert!(h.key(KeyCode::Char('K')).is_empty());
    let screen = h.render();
    assert!(screen.contains("Kill every process"), "{screen}");
    assert!(screen.contains("kernel: will"), "{screen}");
    assert!(h.key(KeyCode::Char('n')).is_empty(), "any other key is no");
    assert!(!h.app.overlay_open());
    h.key(KeyCode::Char('K'));
    assert!(is_edit(h.key(KeyCode::Char('y')), "cgroup.kill"));
    h.event(Event::Edited(Err("test".into())));

    // r in the limits form: a direct write, confirmed first.
    h.key(KeyCode::Char('e'));
    h.key(KeyCode::Char('r'));
    assert!(h.render().contains("direct write: "));
    assert!(h.key(KeyCode::Enter).is_empty());
    assert!(h.render().contains("A direct write"), "{}", h.render());
    let effects = h.key(KeyCode::Char('y'));
    assert!(
        matches!(effects, [Effect::Edit(Op::Set { .. }, change)] if change.route == Route::Fs),
        "{effects:?}"
    );
    h.event(Event::Edited(Err("test".into())));
    // Esc: from the field back to the list, then out.
    h.key(KeyCode::Esc);
    assert!(h.render().contains("limits of /"), "{}", h.render());
    h.key(KeyCode::Esc);

    // P with nothing set yet.
    h.key(KeyCode::Char('P'));
    assert!(
        h.app
            .message()
            .unwrap()
            .contains("no change to make permanent")
    );
}

#[test]
fn read_only_says_so_before_any_prediction_and_hides_write_keys() {
    let mut h = Harness::with(|o| Options {
        read_only: true,
        ..o
    });
    let screen = h.render();
    assert!(screen.contains("READ-ONLY"));
    let footer = screen.lines().nth(41).unwrap();
    for hidden in ["f:freeze", "K:kill", "u:undo", "c:controllers", "n:new"] {
        assert!(!footer.contains(hidden), "{hidden} in {footer}");
    }
    assert!(footer.contains("e:limits"), "{footer}");
    for key in ['u', 'K', 'f', 'd', 'D', 'n'] {
        let effects = h.app.update(Event::Key(KeyEvent::new(
            KeyCode::Char(key),
            KeyModifiers::NONE,
        )));
        assert!(
            !effects
                .iter()
                .any(|e| matches!(e, Effect::Predict(_) | Effect::Edit(..) | Effect::ListUndo)),
            "{key}: {effects:?}"
        );
        assert!(!h.app.overlay_open(), "{key} opened a dialog");
        assert!(h.app.message().unwrap().contains("read-only"), "{key}");
    }
    // The limits form opens for reference and says read-only; Enter writes nothing.
    h.select("/system.slice/fxload.service");
    h.key(KeyCode::Char('e'));
    assert!(h.render().contains("read-only (--read-only)"));
    assert!(h.key(KeyCode::Enter).is_empty());
    assert!(h.app.message().unwrap().contains("read-only"));
}

#[test]
fn actions_drive_the_app_like_keys() {
    let mut h = Harness::new();
    h.act(Action::First);
    assert!(!h.render().contains("fxload.service"));
    h.act(Action::ExpandAll);
    assert!(h.render().contains("fxload.service"));
    assert!(matches!(h.act(Action::Quit), [Effect::Quit]));
}

#[test]
fn lessons_tick_off_steps_as_they_are_done() {
    let mut h = Harness::new();
    h.key(KeyCode::Char('L'));
    assert!(h.render().contains("Pick a lesson"));
    h.key(KeyCode::Char('1'));
    assert_eq!(h.app.lesson_steps(), Some((0, vec![false, false, false])));
    // Step 1: select the root.
    h.key(KeyCode::Char('g'));
    assert_eq!(h.app.lesson_steps(), Some((0, vec![true, false, false])));
    // Step 2 is done when the w pane arrives for /.
    let explanation = cgtui::cgroup::explain::explain(&h.fs, &CgroupPath::root());
    h.event(Event::Explained(Box::new(explanation)));
    assert_eq!(h.app.lesson_steps(), Some((0, vec![true, true, false])));
    h.key(KeyCode::Esc);
    let screen = h.render();
    assert!(screen.contains("✓ Select the root cgroup"), "{screen}");
    assert!(screen.contains("▶ Now go to your own cgroup"), "{screen}");
    insta::assert_snapshot!(screen);
    // ] moves on to the next lesson; 0 back to the list; L closes the panel.
    h.key(KeyCode::Char(']'));
    assert_eq!(h.app.lesson_steps().unwrap().0, 1);
    h.key(KeyCode::Char('L'));
    assert!(!h.render().contains("lesson 2 of 7"));
}

#[test]
fn w_draws_the_move_from_your_cgroup_with_owners_and_the_failing_check() {
    let mut h = Harness::new();
    // Your own cgroup (fxplay.scope, as the fixture's .proc/self says) into two places: its
    // parent app.slice, which passes memory on (the move is EBUSY there), and fxload.service
    // across the tree (common ancestor /).
    let app_slice = "/user.slice/user-1000.slice/user@1000.service/app.slice";
    let mut pictures = Vec::new();
    for target in [app_slice, "/system.slice/fxload.service"] {
        h.select(target);
        let cgroup = h.app.selected().clone();
        h.event(Event::Explained(Box::new(cgtui::cgroup::explain::explain(
            &h.fs, &cgroup,
        ))));
        let screen = h.render_at(140, 90);
        let picture: Vec<String> = screen
            .lines()
            .map(|l| l.trim_matches('"').trim_end().to_string())
            .skip_while(|l| !l.contains("the move of your own process"))
            .take_while(|l| {
                l.contains("procs:") || l.contains("the move of") || l.contains("every check")
            })
            // Inside the dialog's borders: from after the first `│ ` to before the last `│`.
            .map(|l| {
                let inner = l.split_once("│ ").map_or(l.as_str(), |(_, rest)| rest);
                inner
                    .rsplit_once('│')
                    .map_or(inner, |(text, _)| text)
                    .trim_end()
                    .to_string()
            })
            .collect();
        assert!(picture.len() >= 2, "{screen}");
        h.key(KeyCode::Esc);
        pictures.push(picture.join("\n"));
    }
    let [into_parent, across] = [&pictures[0], &pictures[1]];
    // The failing check is marked on the cgroup it belongs to, with its errno and rule.
    let failing: Vec<&str> = into_parent.lines().filter(|l| l.contains('✗')).collect();
    assert_eq!(failing.len(), 1, "{into_parent}");
    assert!(failing[0].contains("app.slice") && failing[0].contains("EBUSY [no-internal-process]"));
    // Every cgroup on the way shows who owns its cgroup.procs (the fixture's owners).
    assert!(
        across.contains("user@1000.service") && across.contains("procs: alice (1000)"),
        "{across}"
    );
    assert!(
        across.contains("├─ ") && across.contains("└─ fxload.service"),
        "{across}"
    );
    assert!(
        across
            .lines()
            .any(|l| l.contains("fxplay.scope") && l.contains("source"))
    );
    insta::assert_snapshot!(pictures.join("\n\n"));
}

#[test]
fn freezing_asks_first_and_says_when_cgtui_is_inside() {
    let mut h = Harness::new();
    // The fixture says cgtui runs in fxplay.scope, which is selected at start.
    assert!(h.key(KeyCode::Char('f')).is_empty());
    let screen = h.render();
    assert!(screen.contains("It contains cgtui itself"), "{screen}");
    assert!(screen.contains("kernel: will"), "{screen}");
    assert!(h.key(KeyCode::Esc).is_empty());
    // Elsewhere too: a freeze is a write, shown with its prediction and confirmed.
    // (The root's first child is init.scope, PID 1's; the next is system.slice.)
    h.keys("gjj");
    assert!(h.key(KeyCode::Char('f')).is_empty());
    assert!(h.render().contains("Freeze /system.slice?"));
    assert!(is_edit(h.key(KeyCode::Char('y')), "cgroup.freeze"));
}

// ---------------------------------------------------------------------------------------
// The keymap table is the one source of keys.

/// The manual's pages that tests/ui.rs checks against the program.
const KEYS_PAGE: &str = "docs/src/keys.md";
const LESSONS_PAGE: &str = "docs/src/lessons.md";

fn manual_page(page: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(page);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const KEYS_START: &str =
    "<!-- keys: generated from the keymap by tests/ui.rs; CGTUI_UPDATE_DOCS=1 rewrites it -->\n";
const KEYS_END: &str = "<!-- end of keys -->";

/// The part of a manual's `page` between `start` and `end` is `content`; CGTUI_UPDATE_DOCS=1
/// rewrites it.
fn generated_section(page_path: &str, start_marker: &str, end_marker: &str, content: &str) {
    let page = manual_page(page_path);
    let start = page
        .find(start_marker)
        .unwrap_or_else(|| panic!("{page_path} has the marker {start_marker:?}"))
        + start_marker.len();
    let end = page[start..].find(end_marker).expect("end marker") + start;
    if page[start..end] != *content {
        if std::env::var_os("CGTUI_UPDATE_DOCS").is_some() {
            let updated = format!("{}{content}{}", &page[..start], &page[end..]);
            std::fs::write(
                Path::new(env!("CARGO_MANIFEST_DIR")).join(page_path),
                updated,
            )
            .unwrap();
        } else {
            panic!(
                "{page_path} differs from the program between {start_marker:?} and \
                 {end_marker:?}; run with CGTUI_UPDATE_DOCS=1 to rewrite it. Expected:\n{content}"
            );
        }
    }
}

#[test]
fn manual_key_table_is_generated_from_the_keymap() {
    generated_section(
        KEYS_PAGE,
        KEYS_START,
        KEYS_END,
        &Keymap::default().markdown(),
    );
}

#[test]
fn manual_markers_are_the_help_legend() {
    let legend: String = cgtui::app::help::LEGEND
        .iter()
        .map(|id| {
            let line = cgtui::i18n::with(cgtui::i18n::Lang::En, || cgtui::i18n::text(id, &[]));
            format!("- {line}\n")
        })
        .collect();
    generated_section(
        KEYS_PAGE,
        "<!-- markers: generated from the help by tests/ui.rs; CGTUI_UPDATE_DOCS=1 rewrites it -->\n",
        "<!-- end of markers -->",
        &legend,
    );
    // Every mark the tree, the header and the lessons draw is in it.
    let help = cgtui::ui::help::plain_text(&Keymap::default()).join("\n");
    for mark in [
        "●",
        "○",
        "❄",
        "▸",
        "▾",
        "◂",
        "⇦",
        "OOM-KILL",
        "~",
        "▲",
        "▼",
        "lone - in a column",
        "…",
        "▁",
        "·",
        "✓",
        "▶",
    ] {
        assert!(help.contains(mark), "{mark} is not explained in the help");
    }
}

#[test]
fn every_key_of_the_table_is_in_help_footer_and_manual() {
    let keymap = Keymap::default();
    let help = cgtui::ui::help::plain_text(&keymap).join("\n");
    let manual = manual_page(KEYS_PAGE);
    for binding in keymap.bindings() {
        for key in &binding.keys {
            let shown = match binding.action {
                Action::Lesson(_) => "1…9".to_string(),
                _ => key.to_string(),
            };
            assert!(
                help.contains(&shown) && help.contains(binding.description),
                "{shown} ({:?}) missing from help",
                binding.action
            );
            let in_manual = match binding.action {
                Action::Lesson(_) => "`1`…`9`".to_string(),
                _ => format!("`{key}`"),
            };
            assert!(
                manual.contains(&in_manual) && manual.contains(binding.description),
                "{in_manual} ({:?}) missing from {KEYS_PAGE}",
                binding.action
            );
        }
        assert!(
            !binding.short.is_empty(),
            "{:?} has no footer text",
            binding.action
        );
    }
    // Each context's keys are offered by the footer when that context is the innermost.
    let mut h = Harness::new();
    let main: Vec<String> = h.app.footer_hints().into_iter().map(|(k, _)| k).collect();
    for binding in keymap.in_context(Context::Main) {
        let first = binding.keys[0].to_string();
        assert!(main.contains(&first), "{first} not offered by the footer");
    }
    h.key(KeyCode::Char('/'));
    let hints: Vec<(String, &str)> = h.app.footer_hints();
    for binding in keymap.in_context(Context::FilterInput) {
        assert!(
            hints.iter().any(|(_, s)| *s == binding.short),
            "{:?}",
            binding.action
        );
    }
}

/// Keys a person could press, for checking that only the table's keys do anything.
fn all_keys() -> Vec<KeyEvent> {
    let mut keys = Vec::new();
    for c in (' '..='~').chain(['é', '€']) {
        keys.push(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        keys.push(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
        keys.push(KeyEvent::new(KeyCode::Char(c), KeyModifiers::ALT));
    }
    for code in [
        KeyCode::Enter,
        KeyCode::Esc,
        KeyCode::Tab,
        KeyCode::BackTab,
        KeyCode::Backspace,
        KeyCode::Delete,
        KeyCode::Insert,
        KeyCode::Up,
        KeyCode::Down,
        KeyCode::Left,
        KeyCode::Right,
        KeyCode::PageUp,
        KeyCode::PageDown,
        KeyCode::Home,
        KeyCode::End,
    ]
    .into_iter()
    .chain((1..=12).map(KeyCode::F))
    {
        keys.push(KeyEvent::new(code, KeyModifiers::NONE));
        keys.push(KeyEvent::new(code, KeyModifiers::CONTROL));
    }
    keys
}

#[test]
fn no_handler_answers_a_key_outside_the_table() {
    // In each state, a key the table does not bind for that state's contexts changes nothing
    // on screen and asks for nothing.
    type Setup<'a> = (&'a str, &'a dyn Fn(&mut Harness));
    let setups: [Setup; 6] = [
        ("main view", &|_| {}),
        ("process list", &|h| {
            h.key(KeyCode::Tab);
        }),
        ("filtered", &|h| {
            h.keys("/sys");
            h.key(KeyCode::Enter);
        }),
        ("lessons", &|h| {
            h.key(KeyCode::Char('L'));
        }),
        ("limits form", &|h| {
            h.select("/system.slice/fxload.service");
            h.key(KeyCode::Char('e'));
        }),
        ("typing a filter", &|h| {
            h.key(KeyCode::Char('/'));
        }),
    ];
    let keymap = Keymap::default();
    for (name, setup) in setups {
        let mut h = Harness::new();
        setup(&mut h);
        let contexts = h.app.contexts();
        let before = h.render();
        for key in all_keys() {
            if keymap.resolve(&contexts, &key).is_some() {
                continue;
            }
            let effects = h.app.update(Event::Key(key));
            assert!(effects.is_empty(), "{name}: {key:?} asked for {effects:?}");
            assert_eq!(h.render(), before, "{name}: {key:?} changed the screen");
        }
    }
}

#[test]
fn rebinding_from_the_table_changes_dispatch_help_and_footer() {
    let mut keymap = Keymap::default();
    keymap.rebind("quit", &[Key::parse("x").unwrap()]).unwrap();
    // F3: F2 opens the column chooser.
    keymap.rebind("help", &[Key::parse("F3").unwrap()]).unwrap();
    let mut h = Harness::with(|o| Options { keymap, ..o });
    assert!(h.key(KeyCode::Char('q')).is_empty(), "q is no longer quit");
    assert!(matches!(h.key(KeyCode::Char('x')), [Effect::Quit]));
    h.key(KeyCode::F(3));
    let screen = h.render();
    assert!(screen.contains("cgtui help"));
    assert!(
        screen.contains("x                  quit (from the main view only)"),
        "{screen}"
    );
    h.key(KeyCode::Esc);
    let screen = h.render();
    assert!(
        screen.lines().last().unwrap().contains("F3:help x:quit"),
        "{screen}"
    );
}

#[test]
fn dialog_key_hints_follow_a_rebinding() {
    let open_dialogs = |keymap: Keymap| {
        let mut h = Harness::with(|o| Options { keymap, ..o });
        h.select("/system.slice/fxload.service");
        h.key(KeyCode::Char('e'));
        let limits = h.render();
        h.act(Action::Close);
        h.key(KeyCode::Char('f'));
        let confirm = h.render();
        (limits, confirm)
    };
    let (limits, confirm) = open_dialogs(Keymap::default());
    assert!(
        limits.contains("↑↓ choose · Enter edit · r direct write · Esc close"),
        "{limits}"
    );
    assert!(confirm.contains(" y  yes"), "{confirm}");

    let mut keymap = Keymap::default();
    keymap.rebind("direct_write", &[Key::char('W')]).unwrap();
    keymap.rebind("close", &[Key::char('Q')]).unwrap();
    keymap.rebind("confirm", &[Key::char('o')]).unwrap();
    let (limits, confirm) = open_dialogs(keymap);
    assert!(
        limits.contains("↑↓ choose · Enter edit · W direct write · Q close"),
        "{limits}"
    );
    assert!(!limits.contains("r direct write"), "{limits}");
    assert!(
        confirm.contains(" o  yes") && !confirm.contains(" y  yes"),
        "{confirm}"
    );
}

// ---------------------------------------------------------------------------------------
// Colour: the mono theme (NO_COLOR, --color never) keeps every signal without colour.

#[test]
fn mono_theme_draws_no_colour_and_keeps_signals_in_text() {
    let mut h = Harness::with(|o| Options {
        theme: Theme::mono(),
        columns: vec![
            Column::Cpu,
            Column::Memory,
            Column::MemoryPct,
            Column::Oom,
            Column::OomKill,
        ],
        ..o
    });
    h.key(KeyCode::Char('K'));
    let buffer = h.buffer();
    for cell in buffer.content() {
        assert!(
            cell.fg == ratatui::style::Color::Reset && cell.bg == ratatui::style::Color::Reset,
            "a coloured cell {cell:?}"
        );
    }
    assert!(h.render().contains("kernel: will"));
}

// ---------------------------------------------------------------------------------------
// Interactions that once went wrong, each pinned down by what it must do.

/// Render lays out from the frame it draws into, not the last size it heard of.
#[test]
fn render_never_draws_outside_a_smaller_frame() {
    let mut h = Harness::new();
    h.event(Event::Resize(200, 60));
    for (w, h2) in [(120, 40), (30, 6), (20, 5), (1, 1), (80, 24)] {
        // The resize is still queued: the app knows 200x60, the frame is smaller.
        let _ = h.render_at(w, h2);
    }
    h.key(KeyCode::Char('L'));
    h.key(KeyCode::Char('?'));
    for (w, h2) in [(30, 6), (20, 5), (2, 2)] {
        let _ = h.render_at(w, h2);
    }
}

/// Esc only closes or cancels; q quits only from the main view.
#[test]
fn esc_never_quits_and_q_closes_help() {
    let mut h = Harness::new();
    assert!(h.key(KeyCode::Esc).is_empty(), "Esc in the main view quit");
    assert!(h.app.message().unwrap().contains("q quits"));
    h.key(KeyCode::Char('?'));
    assert!(h.key(KeyCode::Char('q')).is_empty(), "q in help quit");
    assert!(!h.app.overlay_open(), "q closes help");
    h.key(KeyCode::Char('e'));
    assert!(h.key(KeyCode::Char('q')).is_empty(), "q in a form quit");
    assert!(matches!(h.key(KeyCode::Char('q')), [Effect::Quit]));
    let mut h = Harness::new();
    h.key(KeyCode::Char('?'));
    assert!(matches!(
        h.key_event(KeyCode::Char('c'), KeyModifiers::CONTROL),
        [Effect::Quit]
    ));
}

/// `c` writes only after showing the prediction and a confirmation.
#[test]
fn controllers_ask_before_writing() {
    let mut h = Harness::new();
    h.select("/system.slice");
    h.key(KeyCode::Char('c'));
    assert!(h.key(KeyCode::Char(' ')).is_empty(), "Space wrote at once");
    let screen = h.render();
    assert!(screen.contains("change controllers: confirm"), "{screen}");
    assert!(screen.contains("cgroup.subtree_control"), "{screen}");
    assert!(screen.contains("kernel: will"), "{screen}");
    assert!(is_edit(h.key(KeyCode::Char('y')), "cgroup.subtree_control"));
}

fn fake_process(pid: u32, cmdline: &str) -> ProcessSample {
    ProcessSample {
        pid,
        uid: Some(0),
        state: 'S',
        cpu_ticks: 0,
        start_ticks: 1,
        rss_bytes: 4096,
        comm: b"worker".to_vec(),
        cmdline: cmdline.as_bytes().to_vec(),
        cmdline_truncated: false,
    }
}

/// Numbers are never cut; names are, with an ellipsis.
#[test]
fn pids_are_whole_in_a_narrow_process_list() {
    let mut h = Harness::on(
        Cgroupfs::fixture(&common::fixture()).unwrap(),
        |o| o,
        (80, 24),
    );
    let selected = h.app.selected().clone();
    let long = format!("/usr/bin/worker {}", "--flag ".repeat(30));
    h.event(Event::Processes {
        cgroup: selected,
        processes: vec![
            fake_process(4_194_301, &long),
            fake_process(16089, "sleep 1"),
        ],
        total: 2,
        at: Instant::now(),
    });
    let screen = h.render();
    assert!(screen.contains("4194301"), "{screen}");
    assert!(screen.contains("16089"), "{screen}");
    assert!(
        screen.contains("/usr/…"),
        "the command line is cut with an ellipsis: {screen}"
    );
}

/// The filter selects its first match, shows new matches, keeps the place when
/// cleared, stays visible in the footer, and n/N walk the matches.
#[test]
fn filter_selects_matches_and_keeps_the_place() {
    let mut h = Harness::new();
    h.keys("g/fx");
    assert_eq!(
        h.app.selected().to_string(),
        "/system.slice/fxload.service",
        "the first match is selected"
    );
    h.key(KeyCode::Enter);
    assert!(h.render().lines().last().unwrap().contains("filter: fx"));
    h.keys("n");
    assert!(h.app.selected().to_string().ends_with("fxplay.scope"));
    h.keys("N");
    assert!(h.app.selected().to_string().ends_with("fxload.service"));
    // A new cgroup that matches appears.
    h.event(Event::Watch(cgtui::cgroup::watch::WatchEvent::Created {
        path: path("/system.slice/fxnew.service"),
        sample: None,
    }));
    assert!(h.render().contains("fxnew.service"), "{}", h.render());
    // Clearing keeps the selected cgroup selected, and on screen.
    h.key(KeyCode::Esc);
    assert_eq!(h.app.selected().to_string(), "/system.slice/fxload.service");
    assert!(h.render().contains("fxload.service"));
    assert!(!h.render().contains("filter: fx"));
}

/// `/` on an active filter selects its text, Ctrl-U clears it, the prompt counts matches and
/// says when there is none.
#[test]
fn the_filter_prompt_replaces_clears_and_counts() {
    let mut h = Harness::new();
    let footer = |h: &Harness| {
        let screen = h.render();
        screen.lines().last().unwrap().trim_matches('"').to_string()
    };
    h.keys("/fx");
    assert!(footer(&h).contains("/fx▏ 2 matches"), "{}", footer(&h));
    h.key(KeyCode::Enter);
    assert!(
        footer(&h).contains("filter: fx (2 matches)"),
        "{}",
        footer(&h)
    );
    // Typing after `/` replaces the active filter instead of appending to it.
    h.keys("/journal");
    assert!(footer(&h).contains("/journal▏ 1 match"), "{}", footer(&h));
    assert!(!footer(&h).contains("fxjournal"), "{}", footer(&h));
    h.key_event(KeyCode::Char('u'), KeyModifiers::CONTROL);
    assert!(footer(&h).starts_with("/▏"), "{}", footer(&h));
    assert!(h.app.filter_editing(), "Ctrl-U keeps the prompt open");
    h.keys("nothing-like-this");
    assert!(footer(&h).contains("no match"), "{}", footer(&h));
    // Backspace on a selected filter clears it whole.
    h.key(KeyCode::Enter);
    h.keys("/");
    h.key(KeyCode::Backspace);
    assert!(footer(&h).starts_with("/▏"), "{}", footer(&h));
}

/// S reverses a name sort; names sort naturally.
#[test]
fn names_sort_naturally_and_reverse() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cgroup.procs"), "").unwrap();
    for name in ["job10", "job2", "job1"] {
        std::fs::create_dir(dir.path().join(name)).unwrap();
        std::fs::write(dir.path().join(name).join("cgroup.procs"), "").unwrap();
    }
    let mut h = Harness::on(Cgroupfs::fixture(dir.path()).unwrap(), |o| o, (80, 24));
    let order = |h: &Harness| {
        let screen = h.render();
        let mut found: Vec<(usize, &str)> = ["job1 ", "job2 ", "job10 "]
            .iter()
            .map(|n| (screen.find(n).unwrap(), *n))
            .collect();
        found.sort();
        found.into_iter().map(|(_, n)| n.trim()).collect::<Vec<_>>()
    };
    assert_eq!(order(&h), ["job1", "job2", "job10"]);
    h.key(KeyCode::Char('S'));
    assert_eq!(order(&h), ["job10", "job2", "job1"]);
    assert_eq!(h.app.sort(), (Column::Name, true));
}

fn plan(description: &str) -> UndoPlan {
    UndoPlan {
        entry_id: "1-2".into(),
        op: Op::Set {
            cgroup: path("/system.slice/fxload.service"),
            file: "memory.high".into(),
            value: "max".into(),
        },
        route: Route::Fs,
        description: description.into(),
        skipped: Vec::new(),
    }
}

fn item(id: &str, session: &str, plan: Result<UndoPlan, String>) -> UndoItem {
    UndoItem {
        entry_id: id.into(),
        timestamp: 1_764_000_000.0,
        session: Some(session.into()),
        description: match &plan {
            Ok(plan) => plan.description.clone(),
            Err(_) => format!("remove /gone ({id})"),
        },
        plan,
    }
}

/// `u` offers the list of changes that can be undone, this session's latest selected; one that
/// cannot be undone says why; Enter asks first.
#[test]
fn undo_offers_the_list_and_asks() {
    let mut h = Harness::new();
    let effects = h.key(KeyCode::Char('u'));
    assert!(matches!(effects, [Effect::ListUndo]), "{effects:?}");
    let mut theirs = plan("set memory.high back to max");
    theirs.entry_id = "theirs".into();
    let mut mine = plan("set memory.high back to 100M");
    mine.entry_id = "mine".into();
    let effects = h.event(Event::UndoListed(Ok(vec![
        item(
            "gone",
            "test-session",
            Err("/gone does not exist any more".into()),
        ),
        item("theirs", "another-session", Ok(theirs)),
        item("mine", "test-session", Ok(mine)),
    ])));
    assert!(effects.is_empty(), "{effects:?}");
    let screen = h.render();
    assert!(
        screen.contains("cannot be undone: remove /gone"),
        "{screen}"
    );
    assert!(screen.contains("does not exist any more"), "{screen}");
    assert!(screen.contains("back to 100M (this session)"), "{screen}");
    // This session's own change is selected: no note about another terminal.
    assert!(h.key(KeyCode::Enter).is_empty(), "undo ran without asking");
    let screen = h.render();
    assert!(
        screen.contains("Undo: set memory.high back to 100M?"),
        "{screen}"
    );
    assert!(!screen.contains("another cgtui"), "{screen}");
    assert!(screen.contains("kernel: will"), "{screen}");
    let effects = h.key(KeyCode::Char('y'));
    assert!(
        matches!(effects, [Effect::Undo(p)] if p.entry_id == "mine"),
        "{effects:?}"
    );
    h.event(Event::Edited(Err("test".into())));
    // Another's change: asks, and says where it came from; the blocked one says why.
    h.key(KeyCode::Char('u'));
    h.event(Event::UndoListed(Ok(vec![
        item(
            "gone",
            "test-session",
            Err("/gone does not exist any more".into()),
        ),
        item(
            "theirs",
            "another-session",
            Ok(plan("set memory.high back to max")),
        ),
    ])));
    h.key(KeyCode::Up);
    assert!(h.key(KeyCode::Enter).is_empty());
    assert!(h.app.message().unwrap().contains("does not exist any more"));
    h.key(KeyCode::Down);
    h.key(KeyCode::Enter);
    let screen = h.render();
    assert!(screen.contains("another cgtui or terminal"), "{screen}");
    assert!(h.key(KeyCode::Char('n')).is_empty());
    // Nothing at all to undo: said, no list.
    h.key(KeyCode::Char('u'));
    h.event(Event::UndoListed(Ok(Vec::new())));
    assert!(!h.app.overlay_open());
    assert!(h.app.message().unwrap().contains("nothing to undo"));
}

fn refusal(op: &Op) -> Outcome {
    Outcome::new(op, Some("12x".into())).refuse(
        None,
        cgtui::cgroup::rules::Rule::InvalidValue,
        "invalid value \"12x\" for memory.high: expected \"max\" or a size".into(),
        None,
    )
}

/// Typing replaces the selected value; cursor keys edit; a refusal keeps the form
/// with what was typed; a limit below usage warns; clicks do not pass through dialogs.
#[test]
fn edit_form_behaves_like_a_text_field() {
    let mut h = Harness::new();
    h.select("/system.slice/fxload.service");
    h.key(KeyCode::Char('e'));
    h.key(KeyCode::Down); // memory.high
    h.key(KeyCode::Enter);
    assert!(h.render().contains("> max"), "{}", h.render());
    h.keys("12");
    assert!(
        h.render().contains("> 12▏"),
        "typing replaced the value: {}",
        h.render()
    );
    h.key(KeyCode::Home);
    h.keys("3");
    h.key(KeyCode::End);
    h.keys("x");
    h.key(KeyCode::Left);
    h.key(KeyCode::Delete);
    h.keys("M");
    assert!(h.render().contains("> 312M▏"), "{}", h.render());
    assert!(!h.render().contains("below current usage"));
    // Below current usage (fxload uses 604K): a warning, not a refusal.
    h.key_event(KeyCode::Char('u'), KeyModifiers::CONTROL);
    h.keys("100K");
    let screen = h.render();
    assert!(screen.contains("warning: below current usage"), "{screen}");
    // Enter asks first, with the value, what it is in bytes, and what the kernel will do.
    assert!(h.key(KeyCode::Enter).is_empty(), "written without a yes");
    let screen = h.render();
    for line in [
        "set: confirm",
        "Set memory.high of /system.slice/fxload.service to 100K? (now max)",
        "100K is 102400 bytes",
        "warning: below current usage (604K): the kernel throttles and reclaims at once",
        "kernel: will",
    ] {
        assert!(screen.contains(line), "{line:?} missing:\n{screen}");
    }
    // No goes back to the field, with what was typed.
    assert!(h.key(KeyCode::Char('n')).is_empty());
    assert!(h.render().contains("> 100K▏"), "{}", h.render());
    h.key(KeyCode::Enter);
    h.key(KeyCode::Char('y'));
    let effects = std::mem::take(&mut h.effects);
    let [Effect::Edit(op, _)] = &effects[..] else {
        panic!("{effects:?}")
    };
    // The kernel (or the check before it) refuses: the form stays with what was typed.
    h.event(Event::Edited(Ok(refusal(op))));
    let screen = h.render();
    assert!(screen.contains("> 100K"), "{screen}");
    assert!(screen.contains("refused: "), "{screen}");
    // A click on the tree behind the dialog does nothing.
    let before = h.app.selected().clone();
    h.event(Event::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: 5,
        row: 3,
        modifiers: KeyModifiers::NONE,
    }));
    assert_eq!(h.app.selected(), &before);
    assert!(h.render().contains("> 100K"));
}

/// `e` right after moving waits for the new selection's limits instead of saying
/// there are none.
#[test]
fn limits_form_waits_for_the_full_read() {
    let mut h = Harness::new();
    h.select("/system.slice");
    h.key(KeyCode::Right);
    // Move to fxload.service without the runtime's full read of it arriving.
    let effects = h
        .app
        .update(Event::Key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE)));
    assert!(effects.iter().any(|e| matches!(e, Effect::Focus(_))));
    h.app.update(Event::Key(KeyEvent::new(
        KeyCode::Char('e'),
        KeyModifiers::NONE,
    )));
    let screen = h.render();
    assert!(!screen.contains("no limit files"), "{screen}");
    assert!(screen.contains("reading the limit files"), "{screen}");
    // Typing ahead while it reads: Enter starts editing the first row, then a value.
    for code in [KeyCode::Enter, KeyCode::Char('7'), KeyCode::Char('M')] {
        h.app
            .update(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }
    h.focus();
    let screen = h.render();
    assert!(screen.contains("cgroup.max.depth"), "{screen}");
    assert!(
        screen.contains("7M▏"),
        "typed-ahead keys were lost: {screen}"
    );
}

/// Long messages keep their full text in the message log.
#[test]
fn message_log_keeps_the_full_text() {
    let mut h = Harness::on(
        Cgroupfs::fixture(&common::fixture()).unwrap(),
        |o| o,
        (80, 24),
    );
    let long = format!("refused: {} THE END", "a long explanation ".repeat(20));
    h.event(Event::Edited(Err(long.clone())));
    let screen = h.render();
    assert!(screen.contains("(M: full text)"), "{screen}");
    assert!(!screen.contains("THE END"));
    h.key(KeyCode::Char('M'));
    h.key(KeyCode::End);
    let screen = h.render();
    assert!(screen.contains("messages (1, newest last)"), "{screen}");
    assert!(screen.contains("THE END"), "{screen}");
}

/// `+` and `-` reach every step and back; intervals show exactly.
#[test]
fn interval_steps_return_and_show_exactly() {
    let mut h = Harness::new();
    for _ in 0..5 {
        h.key(KeyCode::Char('-'));
    }
    assert_eq!(h.app.interval(), Duration::from_millis(100));
    h.key(KeyCode::Char('+'));
    h.key(KeyCode::Char('+'));
    assert_eq!(h.app.interval(), Duration::from_millis(250));
    assert!(h.render().contains("every 0.25 s"), "{}", h.render());
    h.key(KeyCode::Char('+'));
    let effects = h.key(KeyCode::Char('+'));
    assert!(matches!(effects, [Effect::SetInterval(d)] if *d == Duration::from_secs(1)));
    assert!(h.render().contains("every 1 s"));
}

/// At 80x24 the name column stays readable; help scrolls; the details pane hides
/// and resizes.
#[test]
fn small_terminals_name_first_help_scrolls_details_toggle() {
    let mut h = Harness::on(
        Cgroupfs::fixture(&common::fixture()).unwrap(),
        |o| o,
        (80, 24),
    );
    h.select("/user.slice/user-1000.slice/user@1000.service/app.slice/fxplay.scope");
    let screen = h.render();
    assert!(screen.contains("fxplay.scope"), "{screen}");
    h.key(KeyCode::Char('?'));
    let first = h.render();
    h.key(KeyCode::PageDown);
    h.key(KeyCode::PageDown);
    let later = h.render();
    assert_ne!(first, later, "help did not scroll");
    assert!(later.contains("cgtui help"));
    h.key(KeyCode::Esc);
    let with_details = h.render();
    assert!(with_details.contains(" details "));
    h.key(KeyCode::Char('i'));
    assert!(
        !h.render().contains(" details "),
        "details pane still shown"
    );
    h.key(KeyCode::Char('i'));
    h.key(KeyCode::Char('>'));
    h.key(KeyCode::Char('>'));
    let taller = h.render();
    let details_line = |s: &str| s.lines().position(|l| l.contains(" details ")).unwrap();
    assert!(details_line(&taller) < details_line(&with_details));
}

/// Plurals in the header and details.
#[test]
fn header_counts_one_cgroup_singular_and_cpus_plural() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cgroup.procs"), "1\n").unwrap();
    let h = Harness::on(Cgroupfs::fixture(dir.path()).unwrap(), |o| o, (120, 40));
    let screen = h.render();
    assert!(screen.contains(" 1 cgroup ·"), "{screen}");
    assert!(screen.contains("2 CPUs"), "{screen}");
}

#[test]
fn columns_chosen_by_the_config_with_values_and_totals() {
    let h = Harness::with(|o| Options {
        columns: vec![
            Column::Cpu,
            Column::Throttled,
            Column::Memory,
            Column::MemoryPct,
            Column::Swap,
            Column::IoTotal,
            Column::Oom,
            Column::OomKill,
        ],
        sort: Column::Memory,
        ..o
    });
    let screen = h.render();
    let header = screen.lines().nth(1).unwrap();
    for title in ["THROTTLE", "MEM▼", "MEM%L", "SWAP", "IO/s", "OOM", "KILLS"] {
        assert!(header.contains(title), "{title} missing: {header}");
    }
    assert!(!header.contains("PSI"));
    assert!(screen.lines().next().unwrap().contains("mem "), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn only_the_keymap_looks_at_key_codes() {
    // Handlers receive actions; a KeyCode anywhere else in the app or the drawing would be a
    // key matched outside the table.
    fn sources(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                // The keymap (src/app/keymap/) is where keys are named.
                if !path.ends_with("app/keymap") {
                    sources(&path, found);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for dir in ["app", "ui"] {
        sources(&root.join(dir), &mut files);
    }
    assert!(files.len() > 10, "the app's and ui's sources: {files:?}");
    let mut offenders = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        if text.contains("KeyCode") || text.contains("KeyModifiers") {
            offenders.push(path.display().to_string());
        }
    }
    for file in ["tui.rs", "lessons.rs"] {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        if text.contains("KeyCode::") {
            offenders.push(file.to_string());
        }
    }
    assert!(
        offenders.is_empty(),
        "keys matched outside the keymap in {offenders:?}"
    );
}

#[test]
fn a_lesson_longer_than_its_panel_scrolls_and_shows_no_markup() {
    let mut h = Harness::on(
        Cgroupfs::fixture(&common::fixture()).unwrap(),
        |o| o,
        (80, 24),
    );
    h.key(KeyCode::Char('L'));
    h.key(KeyCode::Char('6'));
    let panel = |screen: &str| -> Vec<String> {
        screen
            .lines()
            .filter_map(|l| l.rsplit_once('│').map(|(_, p)| p.trim_end().to_string()))
            .collect()
    };
    let first = h.render();
    assert!(first.contains("── 1-"), "{first}");
    assert!(first.contains("{ } scroll"), "{first}");
    assert!(!panel(&first).iter().any(|l| l.contains('`')), "{first}");
    h.key(KeyCode::Char('}'));
    let scrolled = h.render();
    assert!(!scrolled.contains("── 1-"), "{scrolled}");
    assert_ne!(panel(&first), panel(&scrolled));
    assert!(
        !panel(&scrolled).iter().any(|l| l.contains('`')),
        "{scrolled}"
    );
    h.key(KeyCode::Char('{'));
    assert_eq!(panel(&h.render()), panel(&first));
}

/// The manual lists every lesson, numbered as the panel numbers them.
#[test]
fn manual_lists_every_lesson() {
    let page = manual_page(LESSONS_PAGE);
    let start = page
        .find("<!-- lessons: checked against assets/lessons by tests/ui.rs -->")
        .unwrap_or_else(|| panic!("{LESSONS_PAGE} has the list of lessons"));
    let listed: Vec<&str> = page[start..]
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .collect();
    let lessons = cgtui::lessons::all();
    let expected: Vec<String> = lessons
        .iter()
        .enumerate()
        .map(|(i, l)| format!("{}. {}", i + 1, l.title))
        .collect();
    assert_eq!(listed, expected, "{LESSONS_PAGE}'s list of lessons");
    assert!(page.contains("`L`") && page.contains("`w`"));
}

// ---------------------------------------------------------------------------------------
// `cgtui replay`: the go-to-time prompt.

#[test]
fn replay_go_to_takes_a_time_and_explains_one_it_cannot_read() {
    use cgtui::app::Replayed;
    let mut h = Harness::with(|o| Options {
        replay: true,
        read_only: true,
        ..o
    });
    const SHOWN: i64 = 1_764_000_010_000; // 2025-11-24T16:00:10Z
    h.event(Event::Replayed(Box::new(Replayed {
        time_ms: Some(SHOWN),
        previous: None,
        current: Some(sample_tree(&h.fs, &CgroupPath::root(), None, false)),
        note: String::new(),
        // The host the samples come from says its CPUs (another host's exporter).
        cpus: Some(64),
    })));
    let screen = h.render();
    assert!(screen.contains("REPLAY 2025-11-24T16:00:10.000Z"));
    assert!(
        screen.contains("64 CPUs"),
        "the source's CPUs in the header:\n{screen}"
    );
    // `t` opens the prompt, holding the time on screen (selected: typing replaces it).
    assert!(h.key(KeyCode::Char('t')).is_empty());
    let screen = h.render();
    assert!(screen.contains("go to a recorded time"), "{screen}");
    assert!(screen.contains("> 2025-11-24T16:00:10.000Z"), "{screen}");
    assert!(
        !screen.contains("read-only"),
        "moving is not a write: {screen}"
    );
    // A time it cannot read: the prompt stays with why, and nothing moves.
    h.keys("soon");
    assert!(h.key(KeyCode::Enter).is_empty(), "{:?}", h.effects);
    let screen = h.render();
    assert!(screen.contains("not a time: \"soon\""), "{screen}");
    assert!(screen.contains("RFC 3339"), "{screen}");
    assert!(
        screen.contains("REPLAY 2025-11-24T16:00:10.000Z"),
        "{screen}"
    );
    assert!(h.app.overlay_open());
    // Esc cancels: no move.
    assert!(h.key(KeyCode::Esc).is_empty());
    assert!(!h.app.overlay_open());
    // A good one is asked of the replay thread, as a move to that time.
    h.key(KeyCode::Char('t'));
    h.keys("2025-11-24 16:00:05");
    let effects = h.key(KeyCode::Enter);
    assert!(
        matches!(
            effects,
            [Effect::Replay(ReplayMove::To(ms))] if *ms == SHOWN - 5_000
        ),
        "{effects:?}"
    );
    assert!(!h.app.overlay_open());
    // Outside replay, `t` does nothing.
    let mut live = Harness::new();
    assert!(live.key(KeyCode::Char('t')).is_empty());
    assert!(!live.app.overlay_open());
}

// ---------------------------------------------------------------------------------------
// Sparklines reaching back into a recorder's store.

#[test]
fn sparklines_take_the_recorded_history_of_the_selected_cgroup_read_one_at_a_time() {
    use cgtui::history::backfill::{Answer, Point, Recorded, Request};
    let mut h = Harness::with(|o| Options {
        recorded_history: true,
        ..o
    });
    let reads = |effects: &[Effect]| -> Vec<Request> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::ReadRecorded(r) => Some(r.clone()),
                _ => None,
            })
            .collect()
    };
    // The first read went out when the selection was sampled: none more while it is under way.
    for _ in 0..3 {
        h.tick();
        assert!(reads(&h.effects).is_empty(), "{:?}", h.effects);
    }
    let selected = h.app.selected().clone();
    let inode = read_sample(&h.fs, &selected, Scope::Full)
        .unwrap()
        .unwrap()
        .inode;
    // An answer for other columns: taken, and the columns the screen has are asked for.
    h.event(Event::Recorded(Box::new(Answer {
        request: Request {
            path: selected.clone(),
            inode,
            columns: 3,
            live_span_ms: 0,
            end_ms: None,
        },
        result: Ok(Recorded::default()),
    })));
    let asked = reads(&h.effects);
    assert_eq!(asked.len(), 1, "{:?}", h.effects);
    let request = asked[0].clone();
    assert_eq!((&request.path, request.inode), (&selected, inode));
    assert!(
        request.columns > 20 && request.live_span_ms > 0,
        "{request:?}"
    );
    // Two hours in 5-minute columns: busy at 1 GiB, of which the store has no IO.
    let mut points = vec![Point::default(); request.columns - 24];
    points.extend(std::iter::repeat_n(
        Point {
            cpu_pct: Some(50.0),
            memory: Some(1 << 30),
            io_bps: None,
        },
        24,
    ));
    h.event(Event::Recorded(Box::new(Answer {
        request: request.clone(),
        result: Ok(Recorded {
            bucket_ms: 300_000,
            points,
            ..Recorded::default()
        }),
    })));
    assert!(reads(&h.effects).is_empty(), "cached: {:?}", h.effects);
    let screen = h.render();
    assert!(screen.contains("(recorded 2h)"), "{screen}");
    // A sparkline's title: its name, then a value (the tree's column header has spaces).
    let label = |name: &str| {
        screen
            .lines()
            .find_map(|l| {
                let (i, _) = l
                    .match_indices(name)
                    .find(|(i, _)| l[i + name.len()..].starts_with(|c: char| !c.is_whitespace()))?;
                Some(l[i..].trim_end_matches(['"', ' ']).to_string())
            })
            .unwrap()
    };
    // The scale: 50 % of a CPU is a quarter of the two CPUs' 200 %.
    assert!(
        label("CPU% ").ends_with("(recorded 2h) · top 200% (2 CPUs)"),
        "{screen}"
    );
    assert!(label("memory ").contains("(recorded 2h)"), "{screen}");
    assert!(!label("IO ").contains("recorded"), "{screen}");
    let (_, bars) = sparkline(&screen, "CPU% ");
    assert!(bars.contains(&"▂".repeat(24)), "{bars:?}\n{screen}");
    assert!(!bars.contains('█'), "{bars:?}\n{screen}");
    // Cached: the next passes ask for nothing.
    h.tick();
    assert!(reads(&h.effects).is_empty(), "{:?}", h.effects);
    // Another cgroup: its own read.
    h.key(KeyCode::Char('k'));
    let other = reads(&h.effects);
    assert!(
        other.len() == 1 && other[0].path != selected,
        "{:?}",
        h.effects
    );
    // A store that cannot be read is said once, not at every answer.
    for _ in 0..2 {
        h.event(Event::Recorded(Box::new(Answer {
            request: other[0].clone(),
            result: Err("cannot read the store /x: refusing it".into()),
        })));
    }
    assert_eq!(
        h.app.message(),
        Some("recorded history: cannot read the store /x: refusing it")
    );
    h.act(Action::Messages);
    let log = h.render();
    assert_eq!(log.matches("refusing it").count(), 1, "{log}");
}

/// The title of the sparkline `name` (`CPU% `, `memory `, `IO `) and the row of bars below
/// it, from the title's column to the screen's right edge.
fn sparkline(screen: &str, name: &str) -> (String, String) {
    let lines: Vec<&str> = screen.lines().map(|l| l.trim_matches('"')).collect();
    for (row, line) in lines.iter().enumerate() {
        // A title: its name, then a value (not the tree's column header: `IO R/s`, `CPU%  `).
        let Some((byte, _)) = line.match_indices(name).find(|(i, _)| {
            line[i + name.len()..].starts_with(|c: char| c.is_ascii_digit() || c == '-')
        }) else {
            continue;
        };
        let column = line[..byte].chars().count();
        let bars: String = lines[row + 1].chars().skip(column).collect();
        return (line[byte..].trim_end().to_string(), bars);
    }
    panic!("no sparkline {name:?} in\n{screen}");
}

/// The read of the selected cgroup's recorded columns the screen wants. The first went out
/// while the harness started: answered for other columns, it is asked again.
fn recorded_read(h: &mut Harness) -> cgtui::history::backfill::Request {
    use cgtui::history::backfill::{Answer, Recorded, Request};
    let selected = h.app.selected().clone();
    let inode = read_sample(&h.fs, &selected, Scope::Full)
        .unwrap()
        .unwrap()
        .inode;
    h.event(Event::Recorded(Box::new(Answer {
        request: Request {
            path: selected,
            inode,
            columns: 1,
            live_span_ms: 0,
            end_ms: None,
        },
        result: Ok(Recorded::default()),
    })));
    h.effects
        .iter()
        .find_map(|e| match e {
            Effect::ReadRecorded(r) => Some(r.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no read of the recorded history: {:?}", h.effects))
}

/// Answer `request` with `points` (oldest first) of `bucket_ms` each, ending at `until_ms`.
fn answer_recorded(
    h: &mut Harness,
    request: cgtui::history::backfill::Request,
    points: Vec<cgtui::history::backfill::Point>,
    until_ms: i64,
) {
    use cgtui::history::backfill::{Answer, Recorded};
    h.event(Event::Recorded(Box::new(Answer {
        request,
        result: Ok(Recorded {
            bucket_ms: 60_000,
            points,
            until_ms,
            end_ms: until_ms,
            note: None,
        }),
    })));
}

fn cpu_point(cpu_pct: Option<f64>) -> cgtui::history::backfill::Point {
    cgtui::history::backfill::Point {
        cpu_pct,
        ..Default::default()
    }
}

#[test]
fn sparklines_show_their_scale_and_tell_zero_from_no_sample() {
    let mut h = Harness::with(|o| Options {
        recorded_history: true,
        ..o
    });
    let request = recorded_read(&mut h);
    // The oldest columns hold nothing; then two minutes at 0 %, two without a sample (the
    // recorder stopped), two at 50 % and two at the whole 200 %.
    let mut points = vec![cpu_point(None); request.columns - 8];
    for cpu in [0.0, 0.0, f64::NAN, f64::NAN, 50.0, 50.0, 200.0, 200.0] {
        points.push(cpu_point((!cpu.is_nan()).then_some(cpu)));
    }
    // It read 1 MiB/s in the last minute.
    points.last_mut().unwrap().io_bps = Some(1024.0 * 1024.0);
    answer_recorded(&mut h, request, points, 0);
    let screen = h.render();
    let (title, bars) = sparkline(&screen, "CPU% ");
    assert!(title.ends_with("· top 200% (2 CPUs)"), "{title:?}");
    // The fixture's live samples follow: this cgroup uses no CPU, each a dot.
    assert!(bars.contains("··  ▂▂██·"), "{bars:?}\n{screen}");
    // A flat memory series is a full bar at its own top, which the title says.
    let (memory, _) = sparkline(&screen, "memory ");
    let top = memory
        .split(" · top ")
        .nth(1)
        .unwrap_or_else(|| panic!("{memory:?}"));
    assert!(top.ends_with("iB") || top.ends_with(" B"), "{memory:?}");
    // IO in bytes per second.
    let (io, _) = sparkline(&screen, "IO ");
    assert!(io.ends_with("(recorded 1m) · top 1.0MiB/s"), "{io:?}");
    insta::assert_snapshot!(screen);
}

#[test]
fn the_cpu_sparkline_can_be_scaled_to_its_peak_or_to_a_quota() {
    use cgtui::model::series::CpuScale;
    let mut h = Harness::with(|o| Options {
        recorded_history: true,
        cpu_scale: CpuScale::Peak,
        ..o
    });
    let request = recorded_read(&mut h);
    let mut points = vec![cpu_point(None); request.columns - 4];
    points.extend([12.5, 25.0, 50.0, 50.0].map(|cpu| cpu_point(Some(cpu))));
    answer_recorded(&mut h, request, points, 0);
    let screen = h.render();
    let (title, bars) = sparkline(&screen, "CPU% ");
    // The peak, 50 %, is the top: 12.5 % is a quarter of it.
    assert!(title.ends_with("· top 50% (peak)"), "{title:?}");
    assert!(bars.contains("▂▄██·"), "{bars:?}\n{screen}");

    // At capacity, a cgroup whose cpu.max is below the CPUs has its quota as the top.
    let tmp = tempfile::tempdir().unwrap();
    let copy = tmp.path().join("debian12");
    let copied = std::process::Command::new("cp")
        .arg("-a")
        .arg(common::fixture())
        .arg(&copy)
        .status()
        .unwrap();
    assert!(copied.success());
    let scope = "/user.slice/user-1000.slice/user@1000.service/app.slice/fxplay.scope";
    std::fs::write(
        copy.join(scope.trim_start_matches('/')).join("cpu.max"),
        "50000 100000\n",
    )
    .unwrap();
    let mut h = Harness::on(Cgroupfs::fixture(&copy).unwrap(), |o| o, (140, 42));
    h.select(scope);
    h.tick();
    let (title, _) = sparkline(&h.render(), "CPU% ");
    assert!(title.ends_with("· top 50% (cpu.max)"), "{title:?}");
    // Without a quota, the CPUs.
    h.select("/user.slice");
    h.tick();
    let (title, _) = sparkline(&h.render(), "CPU% ");
    assert!(title.ends_with("· top 200% (2 CPUs)"), "{title:?}");
}

// ---------------------------------------------------------------------------------------
// `cgtui replay`: the past as recorded.

/// The fixture's tree as a pass that ended at `at`, its files read then.
fn tree_at(fs: &Cgroupfs, at: Instant) -> cgtui::model::TreeSample {
    let mut tree = sample_tree(fs, &CgroupPath::root(), None, false);
    tree.started = at;
    tree.finished = at;
    common::read_at(&mut tree, common::clock_ns(at));
    tree
}

#[test]
fn replay_draws_the_recorded_history_up_to_the_moment_without_stale_marks() {
    use cgtui::app::Replayed;
    let mut h = Harness::with(|o| Options {
        replay: true,
        read_only: true,
        recorded_history: true,
        ..o
    });
    // Two recorded samples a minute apart (a recorder at a 60 s interval): a live view would
    // mark rates over a minute as not current.
    const SHOWN: i64 = 1_764_000_060_000; // 2025-11-24T16:01:00Z
    let start = Instant::now();
    let previous = tree_at(&h.fs, start);
    let current = tree_at(&h.fs, start + Duration::from_secs(60));
    h.app.set_now(start + Duration::from_secs(61));
    h.event(Event::Replayed(Box::new(Replayed {
        time_ms: Some(SHOWN),
        previous: Some(previous),
        current: Some(current),
        note: String::new(),
        cpus: None,
    })));
    // The selected cgroup's columns are read from the store up to the moment, with no live
    // part: all of them are recorded.
    let request = h
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::ReadRecorded(r) => Some(r.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no read of the recorded history: {:?}", h.effects));
    assert_eq!(request.end_ms, Some(SHOWN));
    assert_eq!(request.live_span_ms, 0);
    let mut points = vec![cpu_point(None); request.columns - 6];
    points.extend([200.0, 200.0, 100.0, 100.0, 0.0, 50.0].map(|cpu| cpu_point(Some(cpu))));
    answer_recorded(&mut h, request, points, SHOWN);
    let screen = h.render();
    let (title, bars) = sparkline(&screen, "CPU% ");
    assert!(
        title.contains("(recorded 6m) · top 200% (2 CPUs)"),
        "{title:?}"
    );
    // The last column is the moment on screen, at the right edge.
    assert!(bars.ends_with("██▄▄·▂"), "{bars:?}\n{screen}");
    // Read-only, said in the header; no value is marked as not current.
    let header = screen.lines().next().unwrap();
    assert!(
        header.contains(" REPLAY 2025-11-24T16:01:00.000Z · READ-ONLY "),
        "{header}"
    );
    assert!(!screen.contains('~'), "{screen}");
    insta::assert_snapshot!(screen);

    // The same samples live: their rates over a minute are marked.
    let mut live = Harness::new();
    live.app.set_now(start + Duration::from_secs(61));
    live.event(Event::Tree(tree_at(&live.fs, start)));
    live.event(Event::Tree(tree_at(
        &live.fs,
        start + Duration::from_secs(60),
    )));
    let screen = live.render();
    assert!(screen.contains("~0.0"), "{screen}");
    assert!(
        screen.lines().next().unwrap().contains("CPU ~0.0%"),
        "{screen}"
    );
}

/// A tree of `count` cgroups in `/wide/groupN/unitM.service`, as the watcher's first listing.
fn wide_tree(count: usize) -> cgtui::model::TreeSample {
    let now = Instant::now();
    let mut cgroups = vec![(path("/"), None), (path("/wide"), None)];
    for group in 0..count / 100 {
        cgroups.push((path(&format!("/wide/group{group}")), None));
        for unit in 0..99 {
            cgroups.push((
                path(&format!("/wide/group{group}/unit{unit}.service")),
                None,
            ));
        }
    }
    cgtui::model::TreeSample {
        started: now,
        finished: now,
        complete: true,
        cgroups,
    }
}

#[test]
fn a_key_in_the_filter_costs_well_under_a_frame_at_10000_cgroups() {
    let mut h = Harness::new();
    h.event(Event::Tree(wide_tree(10_000)));
    h.key(KeyCode::Char('/'));
    let mut times = Vec::new();
    for c in "unit42.service".chars() {
        // The app's own work for the key and the frame after it; what the effects ask of the
        // sampler happens on its thread.
        let started = Instant::now();
        let effects = h.app.update(Event::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        )));
        h.render();
        times.push(started.elapsed());
        h.apply(effects);
    }
    let screen = h.render();
    assert!(screen.contains("unit42.service"), "{screen}");
    assert!(screen.contains("100 matches"), "{screen}");
    // The median key: a machine busy with other work slows some keys, not most.
    times.sort();
    let median = times[times.len() / 2];
    eprintln!(
        "a key in the filter: median {median:?}, slowest {:?}",
        times.last()
    );
    // A frame at 60 Hz is 16.7 ms; an unoptimised build gets many times that.
    let limit = if cfg!(debug_assertions) { 250 } else { 8 };
    assert!(
        median < Duration::from_millis(limit),
        "a key in the filter took {median:?} at 10,000 cgroups"
    );
}

/// Footers offer only keys that do something where the keys go: no direct write in the
/// controllers list, no fix in a pane without one, no write keys in a read-only form.
#[test]
fn footers_offer_only_keys_that_do_something_there() {
    let footer = |h: &Harness| {
        let screen = h.render();
        screen.lines().last().unwrap().trim_matches('"').to_string()
    };
    let mut h = Harness::new();
    h.select("/system.slice");
    h.keys("c");
    assert!(h.render().contains("controllers of /system.slice"));
    assert!(!footer(&h).contains("r:direct"), "{}", footer(&h));
    h.key(KeyCode::Esc);
    h.keys("e");
    assert!(
        footer(&h).contains("r:direct"),
        "the limits form writes directly: {}",
        footer(&h)
    );
    h.key(KeyCode::Esc);
    // A process's pane has no fix to offer.
    h.select("/system.slice/fxload.service");
    h.key(KeyCode::Tab);
    h.key(KeyCode::Enter);
    assert!(h.app.overlay_open(), "{}", h.render());
    assert!(!footer(&h).contains("F:fix"), "{}", footer(&h));

    let mut h = Harness::with(|o| Options {
        read_only: true,
        ..o
    });
    h.select("/system.slice/fxload.service");
    h.keys("e");
    let screen = h.render();
    assert!(
        screen.contains("limits of /system.slice/fxload.service"),
        "{screen}"
    );
    assert!(!screen.contains("direct write"), "{screen}");
    assert!(!footer(&h).contains("r:direct"), "{}", footer(&h));
    assert!(!footer(&h).contains("Enter:"), "{}", footer(&h));
}

/// Kill and move confirmations name the processes they are about.
#[test]
fn kill_and_move_confirmations_name_the_processes() {
    let mut h = Harness::new();
    h.select("/system.slice/fxload.service");
    h.keys("K");
    let screen = h.render();
    assert!(
        screen.contains("itself: 2 processes: 336 dd, 343 sleep."),
        "{screen}"
    );
    assert!(screen.contains("2 tasks in all"), "{screen}");
    h.keys("n");
    // Pick the first process, then its destination.
    h.key(KeyCode::Tab);
    h.keys("m");
    h.select("/system.slice/systemd-journald.service");
    h.key(KeyCode::Enter);
    let screen = h.render();
    assert!(
        screen.contains("Move process 336 dd into /system.slice/systemd-journald.service"),
        "{screen}"
    );
}

/// `q` quits at once in the main view (the loop checks a batch's first input before the tree
/// events queued ahead of it), but is text in the filter prompt; Ctrl-C quits from anywhere.
#[test]
fn the_quit_key_is_known_before_the_backlog_and_only_where_it_quits() {
    let mut h = Harness::new();
    let q = Event::Key(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE));
    let ctrl_c = Event::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert!(h.app.quits(&q));
    h.key(KeyCode::Char('/'));
    assert!(!h.app.quits(&q), "q is typed into the filter");
    assert!(h.app.quits(&ctrl_c));
}

/// `t`: every cgroup in one list sorted by the sort column, named by its path from the top;
/// the selected cgroup stays selected both ways.
#[test]
fn the_flat_view_sorts_every_cgroup_and_keeps_the_selection() {
    let mut h = Harness::with(|o| Options {
        sort: Column::Memory,
        ..o
    });
    h.select("/system.slice/fxload.service");
    h.key(KeyCode::Char('t'));
    assert_eq!(h.app.selected().to_string(), "/system.slice/fxload.service");
    let screen = h.render();
    insta::assert_snapshot!(screen);
    // Ranked as a whole: each row's memory is at least the next one's.
    let flat_rows = h.app.rows_on_screen();
    let memory = |p: &CgroupPath| h.app.model().get(p).and_then(|n| Column::Memory.value(n));
    let known: Vec<f64> = flat_rows.iter().filter_map(memory).collect();
    assert!(known.len() > 5, "{flat_rows:?}");
    assert!(known.windows(2).all(|w| w[0] >= w[1]), "{known:?}");
    assert!(
        screen.contains("system.slice/fxload.service"),
        "a row is named by its path from the top: {screen}"
    );
    // The tree again, on the same cgroup.
    h.key(KeyCode::Char('t'));
    assert_eq!(h.app.selected().to_string(), "/system.slice/fxload.service");
    let tree = h.render();
    assert_eq!(
        tree.matches("system.slice/fxload.service").count(),
        1,
        "only the details pane's title names the path: {tree}"
    );
}

/// `a` in the process list: the subtree's processes, each with its cgroup from the selected.
#[test]
fn the_subtree_process_list_names_each_process_cgroup() {
    let mut h = Harness::new();
    h.select("/system.slice");
    h.key(KeyCode::Tab);
    h.key(KeyCode::Char('a'));
    // Two reads: CPU % needs a window.
    h.tick();
    let screen = h.render();
    insta::assert_snapshot!(screen);
    assert!(screen.contains("processes of the subtree"), "{screen}");
    assert!(screen.contains("CGROUP"), "{screen}");
    assert!(screen.contains("systemd-journald.service"), "{screen}");
    assert!(screen.contains("fxload.service"), "{screen}");
    // `s` cycles the sort; the header marks it.
    h.key(KeyCode::Char('s'));
    assert!(h.render().contains("RSS▼"), "{}", h.render());
    // Back to the cgroup's own (system.slice has none).
    h.key(KeyCode::Char('a'));
    h.tick();
    let own = h.render();
    assert!(!own.contains("processes of the subtree"), "{own}");
    assert!(!own.contains("systemd-journald"), "{own}");
}

/// `x` opens the signal picker on the picked process; Esc closes it; `--read-only` has no `x`.
#[test]
fn the_signal_picker_lists_the_signals_for_the_picked_process() {
    let mut h = Harness::new();
    h.select("/system.slice/systemd-journald.service");
    h.key(KeyCode::Tab);
    h.key(KeyCode::Char('x'));
    let screen = h.render();
    insta::assert_snapshot!(screen);
    for signal in [
        "SIGTERM", "SIGINT", "SIGHUP", "SIGKILL", "SIGSTOP", "SIGCONT", "SIGUSR1",
    ] {
        assert!(screen.contains(signal), "{signal}: {screen}");
    }
    h.key(KeyCode::Esc);
    assert!(!h.app.overlay_open());
    // F9 too.
    h.key(KeyCode::F(9));
    assert!(h.app.overlay_open());

    let mut h = Harness::with(|o| Options {
        read_only: true,
        ..o
    });
    h.select("/system.slice/systemd-journald.service");
    h.key(KeyCode::Tab);
    h.key(KeyCode::Char('x'));
    assert!(!h.app.overlay_open(), "read-only: no picker");
    assert!(!h.render().contains("signal"), "{}", h.render());
    h.key(KeyCode::Char('?'));
    let help = h.render();
    assert!(!help.contains("send the process a signal"), "{help}");
}

/// A real process (a child `sleep`) listed in the process list gets SIGTERM from the keys:
/// the picker holds it by a pidfd, the confirmation names PID, user and command, and the
/// editor sends it and journals it.
#[test]
fn a_confirmed_sigterm_reaches_the_real_process_and_is_journaled() {
    let mut killed = common::Killed(vec![
        std::process::Command::new("sleep")
            .arg("1000")
            .spawn()
            .unwrap(),
    ]);
    let child = &mut killed.0[0];
    // Listed once it runs sleep (right after the fork it is still this test's copy).
    let mut sample = None;
    for _ in 0..500 {
        sample = read_process(Path::new("/proc"), child.id()).filter(|s| !s.cmdline.is_empty());
        if sample.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let sample = sample.expect("the child runs sleep");
    let mut h = Harness::new();
    h.select("/system.slice/fxload.service");
    let selected = h.app.selected().clone();
    h.key(KeyCode::Tab);
    h.event(Event::Processes {
        cgroup: selected.clone(),
        processes: vec![sample.clone()],
        total: 1,
        at: Instant::now(),
    });
    h.key(KeyCode::Char('x'));
    h.key(KeyCode::Enter);
    let confirm = h.render();
    let pid = child.id().to_string();
    assert!(
        confirm.contains(&format!("Send SIGTERM to process {pid}?")),
        "{confirm}"
    );
    assert!(confirm.contains("sleep 1000"), "{confirm}");
    let user = cgtui::cgroup::process::user_name(rustix::process::geteuid().as_raw());
    assert!(confirm.contains(&format!("user     {user}")), "{confirm}");
    h.key(KeyCode::Char('y'));
    let effects = std::mem::take(&mut h.effects);
    let [Effect::Signal(request)] = &effects[..] else {
        panic!("expected the signal to go to the worker: {effects:?}");
    };
    let state = tempfile::tempdir().unwrap();
    let journal = cgtui::journal::Journal::open(state.path().join("cgtui/journal.jsonl"));
    let editor = cgtui::editor::Editor::new(h.fs.clone(), journal, false);
    let answer = editor.signal(request).unwrap();
    let status = child.wait().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        status.signal(),
        Some(15),
        "the child got SIGTERM: {status:?}"
    );
    let text = answer.clone().unwrap();
    assert!(
        text.starts_with(&format!("sent SIGTERM to {pid}")),
        "{text}"
    );
    h.event(Event::Signalled(answer));
    assert!(h.app.message().unwrap().contains("sent SIGTERM"));
    // Journaled: begun, then ended ok, with the process's start time; never undone.
    let entries = cgtui::journal::Journal::open(state.path().join("cgtui/journal.jsonl"))
        .entries()
        .unwrap()
        .list;
    let ends: Vec<_> = entries.iter().filter(|e| e.op == "signal").collect();
    assert_eq!(ends.len(), 2, "{entries:?}");
    assert!(ends[1].succeeded(), "{:?}", ends[1]);
    assert_eq!(ends[1].new.as_deref(), Some(format!("TERM {pid}").as_str()));
    assert_eq!(ends[1].pid_start, Some(sample.start_ticks));
    assert_eq!(ends[1].cgroup, selected.to_string());
    // The process is gone now: a second signal is refused, in words.
    let again = editor.signal(request).unwrap();
    let why = again.clone().unwrap_err();
    assert!(why.contains("has exited (ESRCH"), "{why}");
    // A refusal opens its reason in words.
    h.event(Event::Signalled(again));
    let screen = h.render();
    assert!(screen.contains("signal refused"), "{screen}");
    assert!(
        screen.contains("has exited (ESRCH: no such process)"),
        "{screen}"
    );
}

/// The details pane of a service: what its memory is made of (memory.stat: working set, anon,
/// file, kernel and its parts), memory.events, and its IO per device by name with io.weight
/// and io.pressure.
#[test]
fn details_break_memory_down_and_show_io_per_device() {
    let mut h = Harness::on(
        Cgroupfs::fixture(&common::fixture()).unwrap(),
        |o| o,
        (140, 60),
    );
    h.keys("g/fxload");
    h.key(KeyCode::Enter);
    h.tick();
    assert_eq!(h.app.selected().to_string(), "/system.slice/fxload.service");
    let screen = h.render();
    for expected in [
        // memory.current 604K less inactive_file 200K
        "working set 404K",
        "anon 220K",
        "kernel 172K: stack 16.0K",
        "slab 46.5K",
        "file_dirty",
        "events low 0",
        "vda (254:0) R",
        "io.weight 200",
        "faults - (a rate needs a second read of memory.stat)",
    ] {
        assert!(screen.contains(expected), "{expected:?} missing:\n{screen}");
    }
    insta::assert_snapshot!(screen);
}

/// `C` opens every column with its meaning; Space hides or shows one at once (the tree's
/// header changes under the open chooser), `+` moves it later, and `s` saves `columns` into
/// the config file, keeping its comments and other keys.
#[test]
fn the_column_chooser_shows_hides_reorders_and_saves_keeping_comments() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    let original = "# my host\ninterval = 2 # slow\ncolumns = [\"cpu\", \"mem\"] # mine\n[keys]\nquit = \"q\"\n";
    std::fs::write(&config, original).unwrap();
    let mut h = Harness::with(|o| Options {
        columns: vec![Column::Cpu, Column::Memory],
        config_path: Some(config.clone()),
        ..o
    });
    let header = |h: &Harness| h.render().lines().nth(1).unwrap().to_string();
    assert!(header(&h).contains("CPU%"));
    h.key(KeyCode::Char('C'));
    let screen = h.render();
    assert!(screen.contains(" columns "), "{screen}");
    assert!(
        screen.contains("working set: memory.current less inactive page cache"),
        "every column with its meaning:\n{screen}"
    );
    // Space on the first row (CPU%) hides it at once, under the open chooser.
    h.key(KeyCode::Char(' '));
    assert!(!header(&h).contains("CPU%"), "{}", header(&h));
    assert!(header(&h).contains("MEM"));
    insta::assert_snapshot!(h.render());
    // Show it again and move it after MEM.
    h.key(KeyCode::Char(' '));
    h.key(KeyCode::Char('+'));
    let line = header(&h);
    assert!(
        line.find("MEM").unwrap() < line.find("CPU%").unwrap(),
        "{line}"
    );
    // WSS: further down, shown.
    let wss = Column::all()
        .filter(|c| *c != Column::Name && *c != Column::Cpu && *c != Column::Memory)
        .position(|c| c == Column::WorkingSet)
        .unwrap();
    for _ in 0..wss + 1 {
        h.key(KeyCode::Down);
    }
    h.key(KeyCode::Enter);
    assert!(header(&h).contains("WSS"), "{}", header(&h));
    h.key(KeyCode::Char('s'));
    let saved = std::fs::read_to_string(&config).unwrap();
    assert_eq!(
        saved,
        "# my host\ninterval = 2 # slow\ncolumns = [\"mem\", \"cpu\", \"wss\"] # mine\n[keys]\nquit = \"q\"\n"
    );
    assert!(h.render().contains("columns saved in"), "{}", h.render());
    h.key(KeyCode::Esc);
    assert!(h.app.contexts().contains(&Context::Main), "closed");
    assert!(header(&h).contains("WSS"), "the choice stays after closing");
}

/// `[thresholds]` decide a row's level: the header counts the cgroups over a critical
/// threshold of a shown column, and `!` selects them one after the other.
#[test]
fn thresholds_count_critical_cgroups_and_the_key_visits_them() {
    // The fixture's root and system.slice have PSI avg10 of 24.7 and 14.2: over 10 by default.
    let mut h = Harness::with(|o| Options {
        columns: vec![Column::Psi],
        ..o
    });
    assert!(h.render().lines().next().unwrap().contains("2 critical"));
    h.key(KeyCode::Char('!'));
    assert_eq!(h.app.selected().to_string(), "/");
    h.key(KeyCode::Char('!'));
    assert_eq!(h.app.selected().to_string(), "/system.slice");
    h.key(KeyCode::Char('!'));
    assert_eq!(h.app.selected().to_string(), "/", "round again");
    // A critical threshold of 20: only the root.
    let mut thresholds = cgtui::model::column::ColumnThresholds::default();
    thresholds.set(
        Column::Psi,
        cgtui::model::column::Thresholds {
            warn: Some(5.0),
            crit: Some(20.0),
        },
    );
    let h = Harness::with(|o| Options {
        columns: vec![Column::Psi],
        thresholds,
        ..o
    });
    let screen = h.render();
    assert!(
        screen.lines().next().unwrap().contains("1 critical"),
        "{screen}"
    );
}

#[test]
fn a_click_picks_a_row_of_the_limits_form_and_a_second_click_edits_it() {
    let mut h = Harness::new();
    h.select("/system.slice/fxload.service");
    h.keys("e");
    assert!(h.click(h.find(" pids.max")).is_empty());
    let screen = h.render();
    assert!(
        screen.contains("limits of /system.slice/fxload.service"),
        "{screen}"
    );
    assert!(
        screen.contains("a number of tasks, or max"),
        "pids.max's hint:\n{screen}"
    );
    // The second click on the selected row opens its field, as Enter does.
    assert!(h.click(h.find(" pids.max")).is_empty());
    let screen = h.render();
    assert!(
        screen.contains("pids.max of /system.slice/fxload.service"),
        "{screen}"
    );
    // Esc goes back to the list, at the clicked row.
    h.key(KeyCode::Esc);
    assert!(
        h.render().contains("a number of tasks, or max"),
        "{}",
        h.render()
    );
    // A click outside the dialog neither closes it nor reaches the tree.
    let before = h.app.selected().clone();
    assert!(h.click((1, 2)).is_empty());
    assert_eq!(h.app.selected(), &before);
    assert!(
        h.render()
            .contains("limits of /system.slice/fxload.service")
    );
}

#[test]
fn a_click_picks_a_controller_and_a_second_click_asks_to_toggle_it() {
    let mut h = Harness::new();
    h.select("/system.slice");
    h.keys("c");
    let screen = h.render();
    assert!(screen.contains("controllers of /system.slice"), "{screen}");
    let (column, row) = h.find("[x] enabled for children");
    // The controller's name starts the row: click on it.
    assert!(h.click((column.saturating_sub(8), row)).is_empty());
    assert!(h.click((column, row)).is_empty(), "a click only asks");
    let screen = h.render();
    assert!(screen.contains("change controllers: confirm"), "{screen}");
    assert!(screen.contains("Disable the "), "{screen}");
    // Its no button: nothing written, the confirmation gone.
    assert!(h.click(h.find("no  any other key")).is_empty());
    assert!(!h.app.overlay_open(), "{}", h.render());
}

#[test]
fn a_confirmation_answers_its_buttons_and_nothing_else() {
    let mut h = Harness::new();
    h.key(KeyCode::Char('K'));
    // Outside the dialog, and on its text: nothing.
    assert!(h.click((0, 0)).is_empty());
    assert!(h.click(h.find("Kill every process")).is_empty());
    assert!(h.render().contains("Kill every process"), "{}", h.render());
    // No.
    assert!(h.click(h.find("no  any other key")).is_empty());
    assert!(!h.app.overlay_open());
    // Yes.
    h.key(KeyCode::Char('K'));
    let yes = h.find(" yes ");
    assert!(is_edit(h.click(yes), "cgroup.kill"), "{:?}", h.effects);
}

#[test]
fn a_click_aimed_at_a_dialog_that_changed_since_it_was_drawn_does_nothing() {
    let mut h = Harness::new();
    h.select("/system.slice");
    h.key(KeyCode::Char('f'));
    let yes = h.find(" yes ");
    // That freeze is answered no and the one of the row above asked, with no frame drawn
    // between: the click meant the first freeze's yes, and must not answer the second.
    h.key(KeyCode::Char('n'));
    h.key(KeyCode::Up);
    h.key(KeyCode::Char('f'));
    assert!(h.app.overlay_open());
    assert!(h.click_unseen(yes).is_empty(), "{:?}", h.effects);
    assert!(h.app.overlay_open(), "the second freeze is still asked");
    // Once drawn, its own yes answers it: at the very place of the first one's, so only the
    // check of what was drawn kept the click above from answering.
    assert_eq!(h.find(" yes "), yes);
    assert!(is_edit(h.click(yes), "cgroup.freeze"), "{:?}", h.effects);
}

#[test]
fn a_name_cut_to_its_column_ends_in_an_ellipsis() {
    let mut h = Harness::on(
        Cgroupfs::fixture(&common::fixture()).unwrap(),
        |o| o,
        (40, 12),
    );
    h.tick();
    let screen = h.render();
    // The fixture's own cgroup is deep enough that its ancestors' names do not fit at 40.
    assert!(screen.contains("user@1000.serv…"), "{screen}");
    assert!(screen.contains("fxplay.sco…"), "{screen}");
    assert!(!screen.contains("user@1000.servi "), "{screen}");
}

#[test]
fn the_header_leaves_out_what_does_not_fit_instead_of_cutting_it() {
    let h = Harness::new();
    let header = |width: u16| h.render_at(width, 24).lines().next().unwrap().to_string();
    let full = header(200);
    let whole: Vec<&str> = full.trim_matches('"').trim().split(" · ").collect();
    assert!(whole.len() > 3, "{full}");
    for width in 24..120 {
        let line = header(width);
        for piece in line.trim_matches('"').trim().split(" · ").skip(1) {
            // The source is cut at a word with `…`, on purpose.
            assert!(
                piece.is_empty() || piece.contains('…') || whole.contains(&piece),
                "at {width} columns {piece:?} is cut: {line}"
            );
        }
    }
}

#[test]
fn a_dialog_breaks_its_key_hints_between_items() {
    let mut h = Harness::on(
        Cgroupfs::fixture(&common::fixture()).unwrap(),
        |o| o,
        (80, 24),
    );
    h.tick();
    h.select("/system.slice/fxload.service");
    h.keys("e");
    h.key(KeyCode::Enter);
    let screen = h.render();
    assert!(screen.contains("Esc cancel"), "{screen}");
    for line in screen.lines() {
        let inside = line.trim_matches(['"', ' ', '│', '─', '┐', '┘']);
        assert!(
            !inside.ends_with(" ·") && !inside.ends_with("Esc"),
            "a hint cut from its key: {line}"
        );
    }
}

#[test]
fn help_overlay_in_chinese_fits_the_screen() {
    use cgtui::i18n::{Lang, with};
    with(Lang::Zh, || {
        let mut h = Harness::new();
        h.key(KeyCode::Char('?'));
        let screen = h.render();
        assert!(screen.contains("cgtui 帮助"), "{screen}");
        assert!(screen.contains("退出，任何地方都可用"), "{screen}");
        // Every line of the help fits inside the overlay, double-width characters counted as
        // two columns.
        let inner = cgtui::app::help::inner_width(h.size.0);
        for (_, line) in cgtui::app::help::text(h.app.keymap(), inner) {
            assert!(cgtui::format::width(&line) <= inner, "{line}");
        }
        insta::assert_snapshot!(screen);
    });
}

#[test]
fn a_lesson_in_chinese_at_80x24() {
    use cgtui::i18n::{Lang, with};
    with(Lang::Zh, || {
        let mut h = Harness::with(|o| o);
        h.key(KeyCode::Char('L'));
        let list = h.render_at(80, 24);
        assert!(list.contains("按编号选择一节课"), "{list}");
        // The seed experiment: moving a process from c0/c01 to c1/c11 under your delegation.
        h.key(KeyCode::Char('6'));
        let screen = h.render_at(80, 24);
        assert!(screen.contains("第 6 课"), "{screen}");
        assert!(screen.contains("c0/c01"), "{screen}");
        insta::assert_snapshot!(screen);
    });
}

/// `p`: an expanded cgroup lists its own processes under it (PID and command, CPU % and RSS
/// in their columns, `-` elsewhere), the busiest few and "… N more"; Enter on one shows it,
/// `x` opens the signal picker on it; `p` again gives the tree back as it was.
#[test]
fn processes_in_the_tree_show_under_expanded_cgroups() {
    let mut h = Harness::new();
    h.select("/system.slice/fxload.service");
    let without = h.render();
    h.key(KeyCode::Char('p'));
    // A leaf with processes opens now. Its first list comes with the next pass (the focused
    // cgroup's own, given to the tree too), and CPU % needs a second.
    h.key(KeyCode::Right);
    h.tick();
    h.tick();
    let screen = h.render();
    insta::assert_snapshot!(screen);
    // The root's own 64 processes: none has a /proc in the fixture, all are counted.
    assert!(screen.contains("… 64 more (Enter"), "{screen}");
    let row = |pid: &str| {
        screen
            .lines()
            .find(|l| l.contains(&format!("   {pid} ")) && !l.contains(" root "))
            .unwrap_or_else(|| panic!("no tree row for {pid}: {screen}"))
            .to_string()
    };
    let dd = row("336");
    assert!(dd.contains("dd if=/dev/vda") && dd.contains("1.4M"), "{dd}");
    assert!(dd.contains("0.0"), "CPU % after two reads: {dd}");
    assert!(row("343").contains("sleep infinity"), "{screen}");
    // Down onto the first process row: the details stay the cgroup's, Enter shows the process.
    h.key(KeyCode::Down);
    assert_eq!(h.app.selected().to_string(), "/system.slice/fxload.service");
    let footer = h.render().lines().last().unwrap().to_string();
    assert!(footer.contains("x:signal"), "{footer}");
    h.key(KeyCode::Enter);
    let shown = h.render();
    assert!(h.app.overlay_open(), "{shown}");
    assert!(
        shown.contains("process 336") || shown.contains("process 343"),
        "{shown}"
    );
    assert!(
        shown.contains("cgroup   /system.slice/fxload.service"),
        "{shown}"
    );
    h.key(KeyCode::Esc);
    // `x` on it: the signal picker, naming the process.
    h.key(KeyCode::Char('x'));
    let picker = h.render();
    assert!(picker.contains("SIGTERM"), "{picker}");
    assert!(
        picker.contains("process  336") || picker.contains("process  343"),
        "{picker}"
    );
    h.key(KeyCode::Esc);
    // A process row survives a new read, selected.
    h.tick();
    assert!(h.render().lines().last().unwrap().contains("x:signal"));
    // Left goes to its cgroup's row; two clicks on a process row select it and nothing more.
    h.key(KeyCode::Left);
    assert!(!h.render().lines().last().unwrap().contains("x:signal"));
    assert_eq!(h.app.selected().to_string(), "/system.slice/fxload.service");
    let sleep_row = h.find("343 sleep infinity");
    h.click(sleep_row);
    h.click(sleep_row);
    assert!(h.render().lines().last().unwrap().contains("x:signal"));
    assert!(h.render().contains("343 sleep infinity"), "still expanded");
    // Off again: the same rows as before, the selection back on the cgroup.
    h.key(KeyCode::Char('p'));
    h.key(KeyCode::Left);
    h.key(KeyCode::Right);
    assert_eq!(h.app.selected().to_string(), "/system.slice/fxload.service");
    let after = h.render();
    assert!(!after.contains(" more (Enter"), "{after}");
    assert!(!after.contains("x:signal"), "{after}");
    let tree_lines = |s: &str| s.lines().take(12).map(str::to_string).collect::<Vec<_>>();
    assert_eq!(tree_lines(&after), tree_lines(&without));
}

/// A cgroup shows its busiest few processes in the tree and counts the rest ("… N more");
/// Enter there opens its whole list in the process list.
#[test]
fn a_cgroup_shows_its_busiest_processes_and_counts_the_rest() {
    let mut h = Harness::new();
    h.key(KeyCode::Char('g'));
    h.key(KeyCode::Char('p'));
    // The root (expanded) has 64 processes; the sampler read the first 8. Two reads, a
    // second apart: process 100 + n used n ticks more in between.
    let ticks = cgtui::cgroup::process::ticks_per_second();
    for (second, scale) in [(10, 0), (11, 1)] {
        let processes = (0..8)
            .map(|n| ProcessSample {
                cpu_ticks: scale * n * ticks / 10,
                ..fake_process(100 + n as u32, &format!("worker {n}"))
            })
            .collect();
        h.event(Event::Processes {
            cgroup: path("/"),
            processes,
            total: 64,
            at: h.started + Duration::from_secs(second),
        });
    }
    let screen = h.render();
    let shown: Vec<&str> = screen
        .lines()
        .skip(2)
        .take(7)
        .map(|l| l.trim_matches('"').trim_start())
        .collect();
    // The busiest first, five of them, then how many more there are.
    assert!(shown[1].starts_with("107 worker 7"), "{screen}");
    assert!(shown[1].contains("70.0"), "{screen}");
    assert!(shown[5].starts_with("103 worker 3"), "{screen}");
    assert!(shown[6].starts_with("… 59 more"), "{screen}");
    for _ in 0..6 {
        h.key(KeyCode::Down);
    }
    assert_eq!(h.app.selected().to_string(), "/");
    h.key(KeyCode::Enter);
    let screen = h.render();
    assert!(
        screen.lines().last().unwrap().contains("a:all"),
        "the process list has the focus: {screen}"
    );
}

/// A click on the process list's column header sorts by that column; again, the other way.
#[test]
fn clicking_the_process_list_header_sorts_by_that_column() {
    let mut h = Harness::new();
    h.select("/system.slice/fxload.service");
    h.key(KeyCode::Tab);
    let pid_header = h.find("PID USER");
    h.click(pid_header);
    assert!(h.render().contains("PID▼"), "{}", h.render());
    // The rows of the process list, by where their PIDs are drawn.
    let pids = |h: &Harness| ["336 root", "343 root"].map(|row| h.find(row).1);
    let [a, b] = pids(&h);
    assert!(b < a, "343 first, largest first: {}", h.render());
    h.click(h.find("PID▼"));
    assert!(h.render().contains("PID▲"), "{}", h.render());
    let [a, b] = pids(&h);
    assert!(a < b, "336 first: {}", h.render());
    h.click(h.find("COMMAND"));
    assert!(
        h.render().contains("COMMAND▲"),
        "names A→Z first: {}",
        h.render()
    );
    h.click(h.find("RSS"));
    assert!(h.render().contains("RSS▼"), "{}", h.render());
}

/// `path` (from the repository's top) holds `content`; CGTUI_UPDATE_DOCS=1 rewrites it.
fn generated_file(path: &str, content: &str) {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    if std::fs::read_to_string(&full).ok().as_deref() == Some(content) {
        return;
    }
    if std::env::var_os("CGTUI_UPDATE_DOCS").is_some() {
        std::fs::write(&full, content).unwrap();
    } else {
        panic!(
            "{path} differs from the program; run with CGTUI_UPDATE_DOCS=1 to rewrite it. \
             Expected:\n{content}"
        );
    }
}

const README_TREE_START: &str =
    "<!-- capture: the fixture, processes in the tree (p); tests/ui.rs draws it -->\n```\n";
const README_FLAT_START: &str =
    "<!-- capture: the fixture, flat (t) by memory; tests/ui.rs draws it -->\n```\n";
const CAPTURE_END: &str = "```\n<!-- end of capture -->";

/// README's screen captures and assets/screen-debian12-*.txt are the fixture (a Debian 12
/// host's tree, captured) as drawn now, so they show today's columns, rows and footer: the
/// tree with a service's processes under it (`p`), and the flat list by memory (`t`).
#[test]
fn readme_and_asset_captures_are_the_fixture_as_drawn() {
    let plain = |screen: String| {
        let lines: Vec<String> = screen
            .lines()
            .map(|l| l.trim_matches('"').trim_end().to_string())
            .collect();
        lines.join("\n") + "\n"
    };
    let mut h = Harness::new();
    h.select("/system.slice/fxload.service");
    h.key(KeyCode::Char('p'));
    h.key(KeyCode::Right);
    h.tick();
    h.tick();
    let tree = plain(h.render());
    assert!(tree.contains("336 dd if=/dev/vda"), "{tree}");
    generated_file("assets/screen-debian12-fixture.txt", &tree);
    generated_section("README.md", README_TREE_START, CAPTURE_END, &tree);

    let mut h = Harness::with(|o| Options {
        sort: Column::Memory,
        ..o
    });
    h.key(KeyCode::Char('t'));
    let flat = plain(h.render());
    generated_file("assets/screen-debian12-flat.txt", &flat);
    // README shows the list only: the rows up to the first empty line.
    let rows: String = flat
        .lines()
        .take_while(|l| !l.is_empty())
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(rows.lines().count() > 8, "{flat}");
    generated_section("README.md", README_FLAT_START, CAPTURE_END, &rows);
}

//! Render snapshots of the tree, details and help panes from the fixture tree, drawn into
//! ratatui's TestBackend at a fixed size. The app is driven with scripted events; nothing
//! here reads the clock while rendering.

mod common;

use cgtui::app::{App, Event};
use cgtui::cgroup::process::{own_cgroup, read_processes};
use cgtui::cgroup::sample::{Scope, read_sample};
use cgtui::cgroup::{CgroupPath, Cgroupfs};
use cgtui::sampler::sample_tree;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::{Duration, Instant};

struct Harness {
    fs: Cgroupfs,
    app: App,
}

impl Harness {
    fn new() -> Harness {
        let fs = Cgroupfs::fixture(&common::fixture()).unwrap();
        let own = own_cgroup(&fs);
        let mut app = App::new(
            CgroupPath::root(),
            fs.devices(),
            "fixture debian12".into(),
            Duration::from_secs(1),
            own,
            Instant::now(),
        );
        app.resize(140, 42);
        let mut h = Harness { fs, app };
        h.tick();
        h.tick();
        h
    }

    /// One sampler pass, and the focused cgroup's full read and processes, as the runtime does.
    fn tick(&mut self) {
        let focus = self.app.view.selected().clone();
        let tree = sample_tree(&self.fs, &CgroupPath::root(), Some(&focus), false);
        let effects = self.app.update(Event::Tree(tree));
        self.apply(effects);
        self.focus();
    }

    fn focus(&mut self) {
        let focus = self.app.view.selected().clone();
        let sample = read_sample(&self.fs, &focus, Scope::Full).unwrap().unwrap();
        self.app
            .update(Event::Focused(focus.clone(), Box::new(sample)));
        let processes = read_processes(&self.fs, &focus).unwrap().unwrap();
        self.app.update(Event::Processes {
            cgroup: focus,
            total: processes.len(),
            processes,
            at: Instant::now(),
        });
    }

    fn apply(&mut self, effects: Vec<cgtui::app::Effect>) {
        if effects
            .iter()
            .any(|e| matches!(e, cgtui::app::Effect::Focus(_)))
        {
            self.focus();
        }
    }

    fn key(&mut self, code: KeyCode) {
        let effects = self
            .app
            .update(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
        self.apply(effects);
    }

    fn keys(&mut self, text: &str) {
        for c in text.chars() {
            self.key(KeyCode::Char(c));
        }
    }

    fn render(&self) -> String {
        let mut terminal = Terminal::new(TestBackend::new(140, 42)).unwrap();
        terminal
            .draw(|frame| cgtui::ui::render(&self.app, frame))
            .unwrap();
        terminal.backend().to_string()
    }
}

#[test]
fn starts_on_own_cgroup_with_its_details() {
    let h = Harness::new();
    assert_eq!(
        h.app.view.selected().to_string(),
        "/user.slice/user-1000.slice/user@1000.service/app.slice/fxplay.scope"
    );
    insta::assert_snapshot!(h.render());
}

#[test]
fn details_of_a_service_with_a_memory_limit_and_io() {
    let mut h = Harness::new();
    h.keys("g");
    h.key(KeyCode::Char('/'));
    h.keys("fxload");
    h.key(KeyCode::Enter);
    h.keys("jj");
    assert_eq!(
        h.app.view.selected().to_string(),
        "/system.slice/fxload.service"
    );
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
    assert_eq!(h.app.view.sort, cgtui::model::view::Column::Memory);
    h.keys("g");
    h.key(KeyCode::Right);
    // Largest memory first under the root: system.slice (35M) before user.slice (5M).
    assert_eq!(h.app.view.selected().to_string(), "/system.slice");
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
    h.app.disks = h.fs.devices().whole_disks();
    h.keys("g");
    h.key(KeyCode::Char('/'));
    h.keys("fxload");
    h.key(KeyCode::Enter);
    h.keys("jj");
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
    h.keys("k");
    h.keys("c");
    let screen = h.render();
    assert!(screen.contains("controllers of /system.slice"), "{screen}");
    assert!(screen.contains("[x] enabled for children"), "{screen}");
    insta::assert_snapshot!("controllers", screen);
}

/// Press a key; returns the effects except predictions (asked for whenever a dialog opens).
fn press(h: &mut Harness, code: KeyCode) -> Vec<cgtui::app::Effect> {
    let effects = h
        .app
        .update(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    h.apply(effects.clone());
    effects
        .into_iter()
        .filter(|e| {
            !matches!(
                e,
                cgtui::app::Effect::Predict(_) | cgtui::app::Effect::Visible(_)
            )
        })
        .collect()
}

#[test]
fn edit_keys_ask_before_destructive_or_raw_writes() {
    use cgtui::app::Effect;
    use cgtui::cgroup::edit::Op;
    use cgtui::editor::{Change, Route};
    let mut h = Harness::new();
    // K asks first, with the kernel's predicted answer; only y runs it.
    let effects = h.app.update(Event::Key(KeyEvent::new(
        KeyCode::Char('K'),
        KeyModifiers::NONE,
    )));
    assert!(
        matches!(&effects[..], [Effect::Predict(Op::Set { file, .. })] if file == "cgroup.kill"),
        "{effects:?}"
    );
    assert!(h.render().contains("Kill every process"));
    assert!(
        press(&mut h, KeyCode::Char('n')).is_empty(),
        "any other key is no"
    );
    assert!(h.app.dialog.is_none());
    press(&mut h, KeyCode::Char('K'));
    let effects = press(&mut h, KeyCode::Char('y'));
    assert!(
        matches!(&effects[..], [Effect::Edit(Op::Set { file, .. }, _)] if file == "cgroup.kill"),
        "{effects:?}"
    );
    h.app.update(Event::Edited(Err("test".into())));

    // r in the limits form: a direct write, confirmed first.
    press(&mut h, KeyCode::Char('e'));
    press(&mut h, KeyCode::Char('r'));
    assert!(h.render().contains("direct write: "));
    let effects = press(&mut h, KeyCode::Enter);
    assert!(effects.is_empty(), "{effects:?}");
    assert!(h.render().contains("directly?"), "{}", h.render());
    let effects = press(&mut h, KeyCode::Char('y'));
    assert!(
        matches!(
            &effects[..],
            [Effect::Edit(
                Op::Set { .. },
                Change {
                    route: Route::Fs,
                    ..
                }
            )]
        ),
        "{effects:?}"
    );
    h.app.update(Event::Edited(Err("test".into())));

    // P with nothing set yet, and read-only mode refusing every write.
    press(&mut h, KeyCode::Char('P'));
    assert!(
        h.app
            .status
            .as_deref()
            .unwrap()
            .contains("no change to make permanent")
    );
    h.app.read_only = true;
    assert!(press(&mut h, KeyCode::Char('u')).is_empty());
    assert!(h.app.status.as_deref().unwrap().contains("read-only"));
    assert!(h.render().contains("READ-ONLY"));
}

#[test]
fn lessons_tick_off_steps_as_they_are_done() {
    let mut h = Harness::new();
    press(&mut h, KeyCode::Char('L'));
    assert!(h.render().contains("Pick a lesson"));
    press(&mut h, KeyCode::Char('1'));
    let progress = h.app.progress.as_ref().unwrap();
    assert_eq!(progress.done, [false, false, false]);
    // Step 1: select the root.
    press(&mut h, KeyCode::Char('g'));
    assert_eq!(h.app.progress.as_ref().unwrap().done, [true, false, false]);
    // Step 2 is done when the w pane arrives for /.
    let fs = Cgroupfs::fixture(&common::fixture()).unwrap();
    let explanation = cgtui::cgroup::explain::explain(&fs, &CgroupPath::root());
    h.app.update(Event::Explained(Box::new(explanation)));
    assert_eq!(h.app.progress.as_ref().unwrap().done, [true, true, false]);
    press(&mut h, KeyCode::Esc);
    let screen = h.render();
    assert!(screen.contains("✓ Select the root cgroup"), "{screen}");
    assert!(screen.contains("▶ Now go to your own cgroup"), "{screen}");
    insta::assert_snapshot!(screen);
    // ] moves on to the next lesson; 0 back to the list; L closes the panel.
    press(&mut h, KeyCode::Char(']'));
    assert_eq!(h.app.progress.as_ref().unwrap().index, 1);
    press(&mut h, KeyCode::Char('L'));
    assert!(!h.render().contains("lesson 2 of 7"));
}

#[test]
fn freezing_the_cgroup_cgtui_runs_in_asks_first() {
    let mut h = Harness::new();
    // The fixture says cgtui runs in fxplay.scope, which is selected at start.
    let effects = press(&mut h, KeyCode::Char('f'));
    assert!(
        effects.is_empty(),
        "nothing is written before the answer: {effects:?}"
    );
    assert!(
        matches!(&h.app.dialog, Some(cgtui::app::edit::Dialog::Confirm { message, .. }) if message.contains("It contains cgtui itself")),
        "{:?}",
        h.app.dialog
    );
    assert!(press(&mut h, KeyCode::Esc).is_empty());
    // Elsewhere, f freezes at once.
    h.keys("g");
    h.keys("j");
    let effects = press(&mut h, KeyCode::Char('f'));
    assert!(
        matches!(&effects[..], [cgtui::app::Effect::Edit(..)]),
        "{effects:?}"
    );
}

//! A monitor's cost follows what is on screen (issue 17), end to end: the real `App`, the
//! sampler's reading plan (`ViewPlan`) and the renderer over trees of thousands of cgroups.
//! Asserted with the per-pass counters (`cgroupv2::stats`: files opened and read, directories
//! listed), never with the clock. Time is a synthetic clock advanced one interval per pass, so
//! what is current and what is old does not depend on how busy the machine is.

mod common;

use cgtui::app::{App, Effect, Event, Options};
use cgtui::cgroup::watch::{WatchEvent, Watcher};
use cgtui::cgroup::{CgroupPath, Cgroupfs};
use cgtui::collect::plan::ViewPlan;
use cgtui::collect::{Collector, PassStats, sample_tree};
use cgtui::model::TreeSample;
use cgtui::model::view::Column;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::Path;
use std::time::{Duration, Instant};

const SIZE: (u16, u16) = (140, 42);

/// The runtime's loop without its threads: passes of the plan feed the app, the app's reads
/// go back to the plan (and rows new on screen are caught up at once, as the sampler does).
struct Loop {
    fs: Cgroupfs,
    base: CgroupPath,
    app: App,
    plan: ViewPlan,
    collector: Collector,
    clock: Instant,
}

impl Loop {
    fn new(fs: Cgroupfs, base: CgroupPath, sort: Column) -> Loop {
        let clock = Instant::now();
        let options = Options {
            cpus: 2,
            uid: 0,
            sort,
            ..Options::new(base.clone(), fs.devices(), "test")
        };
        let mut app = App::new(options, clock);
        app.update(Event::Resize(SIZE.0, SIZE.1));
        let mut plan = ViewPlan::default();
        plan.own_shape = false;
        let mut this = Loop {
            // As the sampler's: rows under a parent that did not change are carried.
            collector: Collector::new(fs.clone()).carrying(),
            fs,
            base,
            app,
            plan,
            clock,
        };
        // The watcher's first listing: the tree's shape, without values.
        let shape = TreeSample {
            started: clock,
            finished: clock,
            complete: true,
            cgroups: this
                .fs
                .walk(&this.base)
                .into_iter()
                .map(|p| (p, None))
                .collect(),
        };
        let effects = this.app.update(Event::Tree(shape));
        this.apply(effects);
        this
    }

    /// What the runtime does with the app's effects that concern reading.
    fn apply(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::Visible(reads) => {
                    self.plan.set_reads(reads);
                    if let Some(mut rows) = self.plan.catch_up(&mut self.collector, &self.base) {
                        rows.started = self.clock;
                        rows.finished = self.clock;
                        // Read between passes: half an interval after the last.
                        common::read_at(
                            &mut rows,
                            common::clock_ns(self.clock + self.app.interval() / 2),
                        );
                        let more = self.app.update(Event::CaughtUp(rows));
                        self.apply(more);
                    }
                }
                Effect::RefreshNow => self.plan.walk_next_pass(),
                _ => {}
            }
        }
    }

    /// One pass, one interval after the last: what it read.
    fn pass(&mut self) -> PassStats {
        self.clock += self.app.interval();
        self.app.set_now(self.clock);
        self.plan.focus = Some(self.app.selected().clone());
        let mut tree = self.plan.sample(&mut self.collector, &self.base);
        tree.started = self.clock;
        tree.finished = self.clock;
        common::read_at(&mut tree, common::clock_ns(self.clock));
        let stats = self.plan.latest;
        let effects = self.app.update(Event::Tree(tree));
        self.apply(effects);
        stats
    }

    fn key(&mut self, code: KeyCode) {
        let effects = self.key_unapplied(code);
        self.apply(effects);
    }

    /// A key whose reads are not carried out yet (the moment before the sampler answers).
    fn key_unapplied(&mut self, code: KeyCode) -> Vec<Effect> {
        self.app
            .update(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }

    fn render(&self) -> String {
        let mut terminal = Terminal::new(TestBackend::new(SIZE.0, SIZE.1)).unwrap();
        terminal
            .draw(|frame| cgtui::ui::render(&self.app, frame))
            .unwrap();
        terminal.backend().to_string()
    }

    /// Names of the tree's rows on screen, in order.
    fn rows_on_screen(&self) -> Vec<String> {
        self.app
            .rows_on_screen()
            .iter()
            .map(ToString::to_string)
            .collect()
    }
}

/// A fixture tree: `parents` cgroups under the top, `children` cgroups in each, with the
/// files the tree's columns read. `memory(i, j)` is child j of parent i's memory.current
/// (bytes); a parent's and the top's are their subtree's sum, as the kernel counts them.
fn fixture(
    parents: usize,
    children: usize,
    memory: impl Fn(usize, usize) -> u64,
) -> tempfile::TempDir {
    // In memory where there is a tmpfs: thousands of directories on a busy disk take long.
    let dir = tempfile::tempdir_in("/dev/shm")
        .or_else(|_| tempfile::tempdir())
        .unwrap();
    let mut top = 0;
    for i in 0..parents {
        let parent = dir.path().join(format!("p{i}.slice"));
        let mut sum = 0;
        for j in 0..children {
            let child = parent.join(format!("c{j}.scope"));
            std::fs::create_dir_all(&child).unwrap();
            write_values(&child, memory(i, j));
            sum += memory(i, j);
        }
        std::fs::create_dir_all(&parent).unwrap();
        write_values(&parent, sum);
        top += sum;
    }
    write_values(dir.path(), top);
    dir
}

fn write_values(dir: &Path, memory: u64) {
    std::fs::write(dir.join("cgroup.events"), "populated 1\nfrozen 0\n").unwrap();
    std::fs::write(
        dir.join("cpu.stat"),
        "usage_usec 1000\nuser_usec 600\nsystem_usec 400\n",
    )
    .unwrap();
    std::fs::write(dir.join("memory.current"), format!("{memory}\n")).unwrap();
    std::fs::write(dir.join("pids.current"), "1\n").unwrap();
    std::fs::write(dir.join("cgroup.procs"), "").unwrap();
}

#[test]
fn a_pass_over_a_collapsed_tree_reads_what_is_on_screen_not_the_tree() {
    // The same screen (the top and its 60 children, collapsed) over 600 and 3,000 cgroups.
    let steady = |children: usize| {
        let dir = fixture(60, children, |_, _| 4096);
        let fs = Cgroupfs::fixture(dir.path()).unwrap();
        let mut run = Loop::new(fs, CgroupPath::root(), Column::Name);
        let passes: Vec<PassStats> = (0..4).map(|_| run.pass()).collect();
        let shown = run.rows_on_screen().len();
        assert!(shown > 10, "a screenful of rows: {shown}");
        assert!(
            run.render().contains("p0.slice"),
            "the tree is drawn:\n{}",
            run.render()
        );
        (passes, shown, run.app.cgroup_count())
    };
    let (small, shown, small_len) = steady(9);
    let (large, _, large_len) = steady(49);
    assert_eq!(
        (small_len, large_len),
        (601, 3001),
        "every cgroup is in the tree"
    );
    for pass in small.iter().chain(&large) {
        assert_eq!(pass.io.listed, 0, "no directory listed: {pass:?}");
        assert!(!pass.walked);
        // The rows on screen, the top (the header's totals) and the focus.
        assert!(
            pass.cgroups <= shown + 2,
            "{pass:?}, {shown} rows on screen"
        );
    }
    let steady_small = small.last().unwrap();
    let steady_large = large.last().unwrap();
    assert_eq!(
        (steady_small.cgroups, steady_small.io.read),
        (steady_large.cgroups, steady_large.io.read),
        "the same reads on 600 and on 3,000 cgroups"
    );
    assert_eq!(
        steady_large.io.opened, 0,
        "in the steady state files are read again in place, not reopened"
    );
}

/// The runtime holds its first frame until the first screen is whole (each report of the
/// start would cost a frame of its own): the tree's shape known, and every row the sampler
/// is told to read read once.
#[test]
fn the_first_screen_is_whole_once_the_shape_is_known_and_its_rows_read() {
    let dir = fixture(20, 3, |_, _| 4096);
    let fs = Cgroupfs::fixture(dir.path()).unwrap();
    let base = CgroupPath::root();
    let options = Options {
        cpus: 2,
        uid: 0,
        ..Options::new(base.clone(), fs.devices(), "test")
    };
    let clock = Instant::now();
    let mut app = App::new(options, clock);
    app.update(Event::Resize(SIZE.0, SIZE.1));
    assert!(!app.first_screen_whole(), "no shape yet");
    let shape = TreeSample {
        started: clock,
        finished: clock,
        complete: true,
        cgroups: fs.walk(&base).into_iter().map(|p| (p, None)).collect(),
    };
    let effects = app.update(Event::Tree(shape));
    assert!(!app.first_screen_whole(), "the rows are not read yet");
    let reads = effects
        .into_iter()
        .find_map(|effect| match effect {
            Effect::Visible(reads) => Some(reads),
            _ => None,
        })
        .expect("the rows on screen are asked for");
    let mut plan = ViewPlan::default();
    plan.own_shape = false;
    plan.set_reads(reads);
    let rows = plan
        .catch_up(&mut Collector::new(fs.clone()), &base)
        .expect("rows to read");
    let mut all_but_one = rows.clone();
    all_but_one.cgroups.pop();
    app.update(Event::CaughtUp(all_but_one));
    assert!(!app.first_screen_whole(), "a row is not read yet");
    app.update(Event::CaughtUp(rows));
    assert!(app.first_screen_whole());
}

/// Rows on screen under a parent whose hierarchical counters did not move are carried, not
/// read again: an idle screenful costs a few reads a pass. A child that moves moves its parent
/// too, and is read at the next pass.
#[test]
fn rows_under_an_idle_parent_are_carried_and_read_again_once_it_moves() {
    // Under a cgroup, not the hierarchy's root: its counters are not its children's sums.
    let dir = fixture(1, 30, |_, _| 4096);
    let fs = Cgroupfs::fixture(dir.path()).unwrap();
    let base = CgroupPath::from_relative(Path::new("p0.slice")).unwrap();
    let mut run = Loop::new(fs.clone(), base.clone(), Column::Name);
    let mut reading = Loop::new(fs.clone(), base, Column::Name);
    reading.collector = Collector::new(fs);
    let (carrying, not) = (
        (run.pass(), run.pass()).1,
        (reading.pass(), reading.pass()).1,
    );
    // Every row but the top (read, the header's totals) spares its cpu.stat.
    assert_eq!(carrying.cgroups, not.cgroups);
    assert!(
        carrying.io.read + (carrying.cgroups as u64 - 1) <= not.io.read,
        "{} files read, {} without carrying, {} rows",
        carrying.io.read,
        not.io.read,
        carrying.cgroups
    );
    let busy = "usage_usec 9000\nuser_usec 5000\nsystem_usec 4000\n";
    for cgroup in ["", "p0.slice", "p0.slice/c3.scope"] {
        std::fs::write(dir.path().join(cgroup).join("cpu.stat"), busy).unwrap();
    }
    run.pass();
    let c3 = CgroupPath::from_relative(Path::new("p0.slice/c3.scope")).unwrap();
    let usage = run
        .app
        .model()
        .get(&c3)
        .and_then(|node| node.sample.as_ref())
        .and_then(|sample| sample.cpu)
        .map(|cpu| cpu.usage_usec);
    assert_eq!(usage, Some(9000), "read once its parent moved");
}

#[test]
fn rows_off_screen_show_old_values_marked_until_read_again() {
    let dir = fixture(60, 1, |i, _| (i as u64 + 1) << 20);
    let fs = Cgroupfs::fixture(dir.path()).unwrap();
    let mut run = Loop::new(fs, CgroupPath::root(), Column::Name);
    run.pass();
    run.pass();
    let fresh = run.render();
    let first = run.rows_on_screen();
    assert!(first.contains(&"/p1.slice".to_string()), "{first:?}");
    assert!(
        !fresh.contains('~'),
        "rows read every interval are current:\n{fresh}"
    );
    // The last row: the first rows leave the screen and are no longer read.
    run.key(KeyCode::End);
    for _ in 0..5 {
        let pass = run.pass();
        assert!(pass.cgroups <= run.rows_on_screen().len() + 2, "{pass:?}");
    }
    assert!(!run.rows_on_screen().contains(&"/p1.slice".to_string()));
    let bottom = run.render();
    assert!(
        !bottom.contains('~'),
        "the rows on screen are current:\n{bottom}"
    );
    // Back to the top: before the sampler answers, the old values are marked...
    let effects = run.key_unapplied(KeyCode::Home);
    let old = run.render();
    let p1 = old
        .lines()
        .find(|l| l.contains("p1.slice"))
        .expect("p1.slice on screen");
    assert!(p1.contains("~2.0M"), "{p1}");
    // ...and once they are read (at once, not at the next pass), they are current again; a
    // rate over the time the row was off screen stays marked until the next pass.
    run.apply(effects);
    let row = |run: &Loop| {
        run.render()
            .lines()
            .find(|l| l.contains("p1.slice"))
            .expect("p1.slice on screen")
            .to_string()
    };
    let caught_up = row(&run);
    assert!(
        caught_up.contains(" 2.0M") && !caught_up.contains("~2.0M"),
        "{caught_up}"
    );
    run.pass();
    let next = row(&run);
    assert!(!next.contains('~'), "{next}");
}

#[test]
fn sorted_by_memory_the_top_rows_are_those_of_a_full_read() {
    // Most cgroups idle, a few large: the top's total bounds what the unread can hold.
    let big = |i: usize| i.is_multiple_of(7);
    let dir = fixture(80, 3, |i, j| {
        if big(i) {
            ((i + j) as u64 + 1) << 20
        } else {
            0
        }
    });
    let fs = Cgroupfs::fixture(dir.path()).unwrap();
    let mut run = Loop::new(fs.clone(), CgroupPath::root(), Column::Memory);
    let full_read = |fs: &Cgroupfs| {
        let mut reference = Loop::new(fs.clone(), CgroupPath::root(), Column::Memory);
        let tree = sample_tree(fs, &CgroupPath::root(), None, false);
        let effects = reference.app.update(Event::Tree(tree));
        reference.apply(effects);
        reference.rows_on_screen()
    };
    let mut reads = Vec::new();
    for _ in 0..4 {
        reads.push(run.pass().cgroups);
    }
    assert_eq!(run.rows_on_screen(), full_read(&fs));
    let shown = run.rows_on_screen().len();
    assert!(
        *reads.last().unwrap() <= shown + 2,
        "the unread siblings are bounded by the top's total: {reads:?}, {shown} rows"
    );
    // An idle cgroup below the screen grows past every other: the top's total says so, and it
    // is on screen within the interval.
    let grown = dir.path().join("p79.slice");
    assert!(!run.rows_on_screen().contains(&"/p79.slice".to_string()));
    let top: u64 = std::fs::read_to_string(dir.path().join("memory.current"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    write_values(&grown, 1 << 30);
    write_values(&grown.join("c0.scope"), 1 << 30);
    write_values(dir.path(), top + (1 << 30));
    run.pass();
    let rows = run.rows_on_screen();
    assert_eq!(rows[1], "/p79.slice", "{rows:?}");
    assert_eq!(rows, full_read(&fs));
}

#[test]
fn the_flat_list_sorted_by_memory_reads_the_hot_branches_and_matches_a_full_read() {
    // Most cgroups idle, a few large; flat (`t`), every cgroup is one ranking.
    let big = |i: usize| i.is_multiple_of(7);
    let dir = fixture(80, 3, |i, j| {
        if big(i) {
            ((i + j) as u64 + 1) << 20
        } else {
            0
        }
    });
    let fs = Cgroupfs::fixture(dir.path()).unwrap();
    let flat = |fs: &Cgroupfs| {
        let mut run = Loop::new(fs.clone(), CgroupPath::root(), Column::Memory);
        run.key(KeyCode::Char('t'));
        run
    };
    let full_read = |fs: &Cgroupfs| {
        let mut reference = flat(fs);
        let tree = sample_tree(fs, &CgroupPath::root(), None, false);
        let effects = reference.app.update(Event::Tree(tree));
        reference.apply(effects);
        reference.rows_on_screen()
    };
    let mut run = flat(&fs);
    let mut reads = Vec::new();
    for _ in 0..4 {
        reads.push(run.pass().cgroups);
    }
    assert_eq!(run.rows_on_screen(), full_read(&fs));
    let total = run.app.cgroup_count();
    eprintln!("flat, sorted by memory: cgroups read per pass {reads:?} of {total}");
    // The screen, the top's 80 children and the children of the hot parents above the lowest
    // row shown: not the idle branches' 3 children each.
    assert!(
        *reads.last().unwrap() < total / 2,
        "idle branches are bounded by their parents: {reads:?} of {total} cgroups"
    );
    // A leaf of an idle branch grows past every other cgroup: its parent's total shows it at
    // the next pass, its own read follows at once, and it is on screen.
    let parent = dir.path().join("p78.slice");
    assert!(
        !run.rows_on_screen()
            .contains(&"/p78.slice/c2.scope".to_string())
    );
    let top: u64 = std::fs::read_to_string(dir.path().join("memory.current"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    write_values(&parent.join("c2.scope"), 1 << 30);
    write_values(&parent, 1 << 30);
    write_values(dir.path(), top + (1 << 30));
    run.pass();
    run.pass();
    let rows = run.rows_on_screen();
    assert_eq!(rows[0], "/", "{rows:?}");
    assert!(
        rows[1..3].contains(&"/p78.slice/c2.scope".to_string()),
        "{rows:?}"
    );
    assert_eq!(rows, full_read(&fs));
}

/// The top-level cgroup of a live test, as the app names it.
fn live_base(fs: &Cgroupfs, dir: &Path) -> CgroupPath {
    fs.resolve(dir).expect("the test cgroup is on the mount")
}

#[test]
fn new_cgroups_arrive_by_inotify_and_only_an_overflow_walks_the_tree() {
    let cg = live_or_skip!("onscreen");
    for i in 0..20 {
        std::fs::create_dir(cg.child(&format!("c{i}"))).unwrap();
    }
    let fs = Cgroupfs::system().unwrap();
    let base = live_base(&fs, &cg.dir());
    let (events, received) = std::sync::mpsc::channel();
    let watcher = Watcher::new(fs.clone(), base.clone()).unwrap();
    let mut run = Loop::new(fs, base.clone(), Column::Name);
    let (ready_tx, ready) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut watcher = watcher;
        watcher.watch_existing(&mut |_| true);
        let _ = ready_tx.send(());
        let _ = watcher.run(move |event| events.send(event).is_ok());
    });
    ready
        .recv_timeout(Duration::from_secs(60))
        .expect("the watcher watches the test cgroup");
    for _ in 0..3 {
        let pass = run.pass();
        assert_eq!((pass.walked, pass.io.listed), (false, 0), "{pass:?}");
    }
    // A new cgroup: reported by inotify, shown without any directory listed by the sampler.
    std::fs::create_dir(cg.child("new")).unwrap();
    let new = base.join(std::ffi::OsStr::new("new"));
    let deadline = Instant::now() + Duration::from_secs(60);
    while !run.app.knows(&new) {
        let left = deadline.saturating_duration_since(Instant::now());
        let event = received
            .recv_timeout(left)
            .expect("inotify reports the new cgroup (waited 60 s)");
        let effects = run.app.update(Event::Watch(event));
        run.apply(effects);
    }
    let pass = run.pass();
    assert_eq!((pass.walked, pass.io.listed), (false, 0), "{pass:?}");
    assert!(run.render().contains("new"), "{}", run.render());
    // A cgroup inotify did not report (as after a lost event): only a walk finds it, and
    // the walk happens after an overflow, once.
    let missed = base.join(std::ffi::OsStr::new("missed"));
    std::fs::create_dir(cg.child("missed")).unwrap();
    run.pass();
    assert!(!run.app.knows(&missed), "no walk, no news");
    let effects = run.app.update(Event::Watch(WatchEvent::Overflow));
    assert!(
        effects.iter().any(|e| matches!(e, Effect::RefreshNow)),
        "{effects:?}"
    );
    run.apply(effects);
    let walked = run.pass();
    // (Only directories with subdirectories are listed: a leaf's link count says it has none.)
    assert!(walked.walked && walked.io.listed >= 1, "{walked:?}");
    assert!(run.app.knows(&missed), "the walk found it");
    let after = run.pass();
    assert_eq!(
        (after.walked, after.io.listed),
        (false, 0),
        "once: {after:?}"
    );
}

/// A loop sorted by name over a fixture whose CPU counters grow at every pass, as the
/// kernel's do: three passes made.
struct Growing {
    dir: tempfile::TempDir,
    parents: usize,
    children: usize,
    passes: u64,
    run: Loop,
}

impl Growing {
    fn new(parents: usize, children: usize) -> Growing {
        let dir = fixture(parents, children, |_, _| 4096);
        let fs = Cgroupfs::fixture(dir.path()).unwrap();
        let run = Loop::new(fs, CgroupPath::root(), Column::Name);
        let mut growing = Growing {
            dir,
            parents,
            children,
            passes: 0,
            run,
        };
        for _ in 0..3 {
            growing.pass();
        }
        growing
    }

    fn pass(&mut self) {
        self.passes += 1;
        grow(self.dir.path(), self.parents, self.children, self.passes);
        self.run.pass();
    }
}

/// Let every child of the fixture use `step` µs of CPU more, and its parents their sum, as the
/// kernel counts (cpu.stat covers the subtree).
fn grow(dir: &Path, parents: usize, children: usize, pass: u64) {
    let step = |i: usize, j: usize| ((i * 7 + j * 13) % 50 + 1) as u64 * 1_000;
    let mut top = 0;
    for i in 0..parents {
        let parent = dir.join(format!("p{i}.slice"));
        let mut sum = 0;
        for j in 0..children {
            let usage = 1000 + step(i, j) * pass;
            sum += usage;
            let text = format!("usage_usec {usage}\nuser_usec 0\nsystem_usec 0\n");
            std::fs::write(parent.join(format!("c{j}.scope")).join("cpu.stat"), text).unwrap();
        }
        top += sum;
        let text = format!("usage_usec {sum}\nuser_usec 0\nsystem_usec 0\n");
        std::fs::write(parent.join("cpu.stat"), text).unwrap();
    }
    let text = format!("usage_usec {top}\nuser_usec 0\nsystem_usec 0\n");
    std::fs::write(dir.join("cpu.stat"), text).unwrap();
}

/// Every row on screen that shows a rate shows one over the same two passes as its parent's
/// (when the parent shows one too). Returns how many rows on screen showed a rate.
fn rates_share_their_parents_window(run: &Loop, step: &str) -> usize {
    let model = run.app.model();
    let mut shown = 0;
    for path in run.app.rows_on_screen() {
        let node = model.get(&path).expect("a row's node");
        if node.shown_rates().cpu_pct.is_none() {
            continue;
        }
        shown += 1;
        let Some(parent) = path.parent().and_then(|p| model.get(&p)) else {
            continue;
        };
        if parent.shown_rates().cpu_pct.is_some() {
            assert_eq!(
                node.rate_window, parent.rate_window,
                "{step}: {path} shows a rate over other passes than its parent's"
            );
        }
    }
    shown
}

#[test]
fn a_row_that_comes_on_screen_never_shows_a_rate_over_another_window_than_its_parents() {
    let mut g = Growing::new(40, 3);
    assert!(rates_share_their_parents_window(&g.run, "steady") > 10);
    // A filter brings children onto the screen; they are read at once, between passes.
    g.run.key(KeyCode::Char('/'));
    for c in "c2.scope".chars() {
        g.run.key(KeyCode::Char(c));
    }
    g.run.key(KeyCode::Enter);
    let filtered = g.run.rows_on_screen();
    assert!(
        filtered
            .iter()
            .any(|p| p.to_string().ends_with("/c2.scope")),
        "{filtered:?}"
    );
    rates_share_their_parents_window(&g.run, "caught up after the filter");
    g.pass();
    rates_share_their_parents_window(&g.run, "the pass after the filter");
    g.pass();
    let shown = rates_share_their_parents_window(&g.run, "two passes after the filter");
    assert!(
        shown >= filtered.len() - 1,
        "{shown} of {} rows show a rate",
        filtered.len()
    );
    // A taller terminal brings more rows on screen.
    g.run.key(KeyCode::Esc);
    let effects = g.run.app.update(Event::Resize(SIZE.0, SIZE.1 * 3));
    g.run.apply(effects);
    rates_share_their_parents_window(&g.run, "caught up after the resize");
    g.pass();
    rates_share_their_parents_window(&g.run, "the pass after the resize");
}

/// Sorted by name, a parent scrolled off screen is not read: its children on screen still show
/// their rates (a review found them hidden for as long as the parent stayed off screen).
#[test]
fn children_of_a_parent_scrolled_off_screen_keep_showing_their_rates() {
    let mut g = Growing::new(1, 100);
    g.run.key(KeyCode::End);
    g.run.key(KeyCode::Right);
    g.pass();
    g.run.key(KeyCode::End);
    for _ in 0..4 {
        g.pass();
    }
    let model = g.run.app.model();
    let rows = g.run.app.rows_on_screen();
    assert!(
        !rows.contains(&CgroupPath::from_relative(Path::new("p0.slice")).unwrap()),
        "the parent is off screen: {rows:?}"
    );
    let with_rates = |shown: bool| {
        rows.iter()
            .filter(|p| {
                let node = model.get(p).unwrap();
                let rates = if shown {
                    node.shown_rates()
                } else {
                    node.rates()
                };
                rates.cpu_pct.is_some()
            })
            .count()
    };
    assert!(with_rates(false) > 10, "{rows:?}");
    assert_eq!(
        with_rates(true),
        with_rates(false),
        "rates hidden:\n{}",
        g.run.render()
    );
    rates_share_their_parents_window(&g.run, "scrolled to the end");
}

//! Render cost: frame time with 10,000 cgroups at 200×60, the tree collapsed and fully
//! expanded, and the time from a key press to the next frame. Synthetic samples, TestBackend.
//!
//!     cargo bench --bench render

use cgtui::app::{Action, App, Event};
use cgtui::cgroup::{CgroupPath, CgroupSample, parse};
use cgtui::model::TreeSample;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::{Duration, Instant};

fn sample(i: u64) -> CgroupSample {
    let mut s = CgroupSample {
        inode: i + 1,
        cpu: parse::cpu_stat(&format!(
            "usage_usec {}\nuser_usec 0\nsystem_usec 0\n",
            i * 1000
        ))
        .ok(),
        ..CgroupSample::default()
    };
    s.memory.current = Some(i * 4096);
    s.pids.current = Some(i % 17);
    s
}

fn tree(count: usize, at: Instant) -> TreeSample {
    let fan = (count as f64).sqrt().ceil() as usize;
    let mut cgroups = vec![(CgroupPath::root(), Some(Box::new(sample(0))))];
    let mut n = 1;
    'outer: for i in 0..fan {
        let parent = CgroupPath::root().join(std::ffi::OsStr::new(&format!("p{i}.slice")));
        cgroups.push((parent.clone(), Some(Box::new(sample(n as u64)))));
        n += 1;
        for j in 0..fan {
            if n >= count {
                break 'outer;
            }
            cgroups.push((
                parent.join(std::ffi::OsStr::new(&format!("c{j}.scope"))),
                Some(Box::new(sample(n as u64))),
            ));
            n += 1;
        }
    }
    TreeSample {
        started: at,
        finished: at,
        complete: true,
        cgroups,
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn frames(app: &App, terminal: &mut Terminal<TestBackend>, n: usize) -> Duration {
    median(
        (0..n)
            .map(|_| {
                let start = Instant::now();
                terminal.draw(|f| cgtui::ui::render(app, f)).unwrap();
                start.elapsed()
            })
            .collect(),
    )
}

fn main() {
    let count = 10_000;
    let now = Instant::now();
    let mut app = App::new(
        cgtui::app::Options::new(CgroupPath::root(), Default::default(), "bench"),
        now,
    );
    app.resize(200, 60);
    app.update(Event::Tree(tree(count, now)));
    app.update(Event::Tree(tree(count, now + Duration::from_secs(1))));
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    let collapsed = frames(&app, &mut terminal, 50);

    // Expand everything below the root.
    app.act(Action::First);
    app.act(Action::ExpandAll);
    let rows = count;
    let expanded = frames(&app, &mut terminal, 50);

    let key = |code| Event::Key(KeyEvent::new(code, KeyModifiers::NONE));
    let key_to_frame = median(
        (0..200)
            .map(|i| {
                let start = Instant::now();
                app.update(key(if i % 2 == 0 {
                    KeyCode::Down
                } else {
                    KeyCode::Up
                }));
                terminal.draw(|f| cgtui::ui::render(&app, f)).unwrap();
                start.elapsed()
            })
            .collect(),
    );
    let rss = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .map(|v| v.trim().to_string())
        })
        .unwrap_or_default();
    println!("render at 200x60 with {count} cgroups (median); RSS of this process {rss}");
    println!(
        "  frame, tree collapsed ({:>5} rows)   {:>7.3} ms",
        1 + (count as f64).sqrt() as usize,
        collapsed.as_secs_f64() * 1e3
    );
    println!(
        "  frame, tree expanded  ({rows:>5} rows)   {:>7.3} ms",
        expanded.as_secs_f64() * 1e3
    );
    println!(
        "  key press to frame (expanded)       {:>7.3} ms",
        key_to_frame.as_secs_f64() * 1e3
    );
}

//! A monitor left open: the real cgtui binary in a pseudo-terminal on a tree of cgroups, as a
//! person leaves it, its CPU over a minute (utime + stime from /proc/PID/stat, start included)
//! against a floor reader doing the same refreshes in the same run: list the tree, then open,
//! read and close cgroup.events, cpu.stat, memory.current, io.stat and pids.current of every
//! cgroup. For each tree size, interval and view (the tree collapsed to its top's children, or
//! expanded with `*`), plus the CPU of one pass in the steady state (after the first screen,
//! from /proc/PID/task/*/schedstat), the inotify watches it holds then (/proc/PID/fdinfo) and,
//! with `--stats`, what the latest pass read.
//!
//!     cargo bench --bench left_open                       (as root; about 5 minutes)
//!     CGTUI_BENCH_SECONDS=20 CGTUI_BENCH_CGROUPS=2000 CGTUI_BENCH_VIEWS=collapsed \
//!         cargo bench --bench left_open                   (a shorter run: CI, VM)
//!
//! Environment: CGTUI_BENCH_CGROUPS (sizes, default 2000,10000), CGTUI_BENCH_INTERVALS
//! (seconds, default 1,10), CGTUI_BENCH_VIEWS (collapsed,expanded), CGTUI_BENCH_SECONDS
//! (default 60), CGTUI_BENCH_BINARY (another build, to compare before and after),
//! CGTUI_BENCH_FLOOR_REFRESHES (measure the floor on at most this many refreshes and scale
//! to the count cgtui made: for slow machines such as the VM guest).
//!
//! Where the tree is under /sys/fs/cgroup and systemd-cgtop runs (the Debian guest, VM scenario
//! 08), an interactive `systemd-cgtop -d INTERVAL --depth=100` on the same tree is left open
//! beside cgtui for each interval, and the ratios printed.
//!
//! The instances of one tree size run side by side (they are idle most of the time); the
//! floor readers run meanwhile, in threads of this process, on their own thread CPU clocks.

mod common;

use common::BenchTree;
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The terminal: 95 rows leave about 50 for the tree beside the details pane.
const COLS: u16 = 200;
const ROWS: u16 = 95;

/// Seconds after the first screen before the steady state is measured.
const SETTLE: Duration = Duration::from_secs(3);

use common::{env_list, floor_refresh, inotify_watches, process_cpu, thread_cpu};

/// CPU of every thread of a process in nanoseconds, from schedstat: finer than clock ticks,
/// for the few milliseconds a pass costs.
fn process_cpu_fine(pid: u32) -> Duration {
    let mut total = 0u64;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let text = std::fs::read_to_string(task.path().join("schedstat")).unwrap_or_default();
        total += text
            .split_whitespace()
            .next()
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0);
    }
    Duration::from_nanos(total)
}

/// CPU of each thread of a process by its name (threads of one name summed), from schedstat,
/// in the order first seen.
fn threads_cpu(pid: u32) -> Vec<(String, Duration)> {
    let mut threads: Vec<(String, Duration)> = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let name = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        let text = std::fs::read_to_string(task.path().join("schedstat")).unwrap_or_default();
        let ns = text
            .split_whitespace()
            .next()
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0);
        let name = name.trim().to_string();
        match threads.iter_mut().find(|(n, _)| *n == name) {
            Some((_, cpu)) => *cpu += Duration::from_nanos(ns),
            None => threads.push((name, Duration::from_nanos(ns))),
        }
    }
    threads
}

/// One line: each thread's CPU until the steady state began, and over it (ms), busiest first
/// (threads that ended are not listed: the caller counts them from the process's total).
fn threads_line(before: &[(String, Duration)], after: &[(String, Duration)]) -> String {
    let mut rows: Vec<(String, f64, f64)> = after
        .iter()
        .map(|(name, total)| {
            let start = before
                .iter()
                .find(|(n, _)| n == name)
                .map_or(Duration::ZERO, |(_, c)| *c);
            let start = start.min(*total);
            (
                name.clone(),
                start.as_secs_f64() * 1e3,
                (*total - start).as_secs_f64() * 1e3,
            )
        })
        .collect();
    rows.sort_by(|a, b| (b.1 + b.2).total_cmp(&(a.1 + a.2)));
    let rows: Vec<String> = rows
        .iter()
        .map(|(name, start, steady)| format!("{name} {start:.0}+{steady:.0}"))
        .collect();
    format!(
        "threads, ms of CPU to the steady state + over it: {}",
        rows.join(", ")
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum View {
    Collapsed,
    Expanded,
}

impl View {
    fn name(self) -> &'static str {
        match self {
            View::Collapsed => "collapsed",
            View::Expanded => "expanded",
        }
    }
}

/// A program in a pseudo-terminal of the bench's size, its screen kept by a reader thread (which
/// also keeps the program from blocking on a full pty).
struct Pty {
    child: Box<dyn portable_pty::Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    screen: Arc<Mutex<vt100::Parser>>,
    pid: u32,
    // Keeps the pty open.
    _master: Box<dyn portable_pty::MasterPty + Send>,
}

impl Pty {
    fn spawn(mut command: CommandBuilder) -> Pty {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("openpty");
        command.env("TERM", "xterm-256color");
        let child = pair.slave.spawn_command(command).expect("spawn in a pty");
        drop(pair.slave);
        let screen = Arc::new(Mutex::new(vt100::Parser::new(
            ROWS.try_into().unwrap(),
            COLS.try_into().unwrap(),
            0,
        )));
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let parser = screen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 65536];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                parser.lock().unwrap().process(&buf[..n]);
            }
        });
        let writer = pair.master.take_writer().expect("pty writer");
        let pid = child.process_id().expect("pid");
        Pty {
            child,
            writer,
            screen,
            pid,
            _master: pair.master,
        }
    }

    fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Instance {
    interval: u64,
    view: View,
    pty: Pty,
    /// When the steady state began, and the fine CPU clock then.
    steady: Option<(Instant, Duration)>,
    /// The inotify watches held when the steady state began (the start's, with the rows on
    /// screen followed).
    watches: Option<usize>,
    /// Each thread's CPU when the steady state began.
    threads_at_steady: Vec<(String, Duration)>,
    /// The first screen with the tree on it, or the expansion shown.
    ready: bool,
    expand_sent: bool,
}

impl Instance {
    fn spawn(binary: &Path, dir: &Path, interval: u64, view: View, stats: bool) -> Instance {
        let mut command = CommandBuilder::new(binary);
        command.args([
            "--root",
            &dir.display().to_string(),
            "--interval",
            &interval.to_string(),
            "--read-only",
        ]);
        if stats {
            command.arg("--stats");
        }
        Instance {
            interval,
            view,
            pty: Pty::spawn(command),
            steady: None,
            watches: None,
            threads_at_steady: Vec::new(),
            ready: false,
            expand_sent: false,
        }
    }

    fn contents(&self) -> String {
        self.pty.contents()
    }

    /// Move on once the screen shows what this view needs: the whole tree counted in the
    /// header, then (expanded) the leaves after `*`.
    fn advance(&mut self, cgroups: usize) {
        let screen = self.contents();
        if self.ready {
            return;
        }
        if !screen.contains(&format!(" {cgroups} cgroups")) || !screen.contains("p0.slice") {
            return;
        }
        match self.view {
            View::Collapsed => self.ready = true,
            View::Expanded if screen.contains("c0.scope") => self.ready = true,
            View::Expanded => {
                // The top is selected at start: expand everything below it (once).
                if !self.expand_sent {
                    self.expand_sent = true;
                    let _ = self.pty.writer.write_all(b"*");
                    let _ = self.pty.writer.flush();
                }
            }
        }
        if self.ready {
            self.steady = Some((Instant::now() + SETTLE, Duration::ZERO));
        }
    }

    /// The `--stats` figures on screen, if shown.
    fn stats_line(&self) -> Option<String> {
        let screen = self.contents();
        let line = screen.lines().next()?;
        let at = line.find("pass ")?;
        let rest = &line[at..];
        let end = rest.find(" · ").unwrap_or(rest.len());
        Some(rest[..end].trim().to_string())
    }

    /// Tree rows on screen (those under the column header, down to the details pane).
    fn tree_rows(&self) -> usize {
        let screen = self.contents();
        screen
            .lines()
            .skip_while(|l| !l.contains("CGROUP"))
            .skip(1)
            .take_while(|l| !l.trim().is_empty() && !l.contains('─'))
            .count()
    }
}

/// The floor's CPU for `refreshes` refreshes: all of them, or `cap` of them scaled.
fn floor(base: PathBuf, refreshes: u64, cap: Option<u64>) -> std::thread::JoinHandle<Duration> {
    std::thread::spawn(move || {
        let made = cap.map_or(refreshes, |c| c.min(refreshes)).max(1);
        let start = thread_cpu();
        for _ in 0..made {
            floor_refresh(&base);
        }
        (thread_cpu() - start) * refreshes as u32 / made as u32
    })
}

/// Why systemd-cgtop cannot be compared here, if it cannot: it reads the host's
/// /sys/fs/cgroup, so the tree must be there (the Debian guest; not this VM's hybrid mount).
fn cgtop_unavailable(mount: &Path) -> Option<String> {
    if mount != Path::new("/sys/fs/cgroup") {
        return Some(format!(
            "the cgroup2 mount is {}, not /sys/fs/cgroup",
            mount.display()
        ));
    }
    match std::process::Command::new("systemd-cgtop")
        .arg("--version")
        .output()
    {
        Ok(o) if o.status.success() => None,
        Ok(o) => Some(format!("systemd-cgtop --version failed: {}", o.status)),
        Err(e) => Some(format!("no systemd-cgtop: {e}")),
    }
}

/// systemd-cgtop left open on the same tree as the issue measured it: interactive, every
/// level (`--depth=100`), restricted to the bench tree (its GROUP argument).
fn spawn_cgtop(mount: &Path, tree: &Path, interval: u64) -> Pty {
    let group = Path::new("/").join(tree.strip_prefix(mount).expect("tree under the mount"));
    let mut command = CommandBuilder::new("systemd-cgtop");
    command.args([
        "-d",
        &interval.to_string(),
        "--depth=100",
        &group.display().to_string(),
    ]);
    Pty::spawn(command)
}

fn supports_stats(binary: &Path) -> bool {
    std::process::Command::new(binary)
        .arg("--help")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("--stats"))
}

fn main() {
    let fs = match cgtui::cgroup::Cgroupfs::system() {
        Ok(fs) => fs,
        Err(e) => {
            println!("left-open bench skipped: {e}");
            return;
        }
    };
    let binary = std::env::var_os("CGTUI_BENCH_BINARY")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_cgtui")));
    let sizes: Vec<usize> = env_list("CGTUI_BENCH_CGROUPS", &[2000, 10000]);
    let intervals: Vec<u64> = env_list("CGTUI_BENCH_INTERVALS", &[1, 10]);
    let views: Vec<View> = {
        let names: Vec<String> = env_list(
            "CGTUI_BENCH_VIEWS",
            &["collapsed".to_string(), "expanded".to_string()],
        );
        names
            .iter()
            .filter_map(|n| match n.as_str() {
                "collapsed" => Some(View::Collapsed),
                "expanded" => Some(View::Expanded),
                _ => None,
            })
            .collect()
    };
    let seconds: u64 = std::env::var("CGTUI_BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let floor_cap: Option<u64> = std::env::var("CGTUI_BENCH_FLOOR_REFRESHES")
        .ok()
        .and_then(|v| v.parse().ok());
    let stats = supports_stats(&binary);
    let cgtop_missing = cgtop_unavailable(fs.mount_point());
    println!(
        "left open on {}: {} in a {COLS}x{ROWS} pty, CPU over {seconds} s from launch \
         (/proc/PID/stat) vs a floor reader doing the same refreshes (list the tree, 5 files \
         per cgroup){}",
        fs.mount_point().display(),
        binary.display(),
        if floor_cap.is_some() {
            " (floor measured on fewer refreshes and scaled)"
        } else {
            ""
        }
    );
    match &cgtop_missing {
        None => println!(
            "systemd-cgtop left open beside it: interactive, -d INTERVAL --depth=100 on the tree"
        ),
        Some(why) => println!("systemd-cgtop not compared: {why}"),
    }
    println!(
        "{:>8} {:>6} {:>10} | {:>9} {:>7} {:>10} | {:>9} {:>6} | {:>6} | tree rows, inotify watches, latest pass",
        "cgroups", "every", "view", "cgtui", "passes", "steady/pass", "floor", "ratio", "x 2k"
    );
    let mut per_pass_2k: std::collections::HashMap<(u64, &str), f64> = Default::default();
    for count in sizes {
        let tree = match BenchTree::create(fs.mount_point(), "left-open", count) {
            Ok(tree) => tree,
            Err(e) => {
                println!(
                    "left-open bench skipped: cannot create cgroups on {}: {e}",
                    fs.mount_point().display()
                );
                return;
            }
        };
        let cgroups = fs
            .walk(&fs.resolve(&tree.dir).expect("tree resolves"))
            .len();
        let mut instances: Vec<Instance> = Vec::new();
        for &interval in &intervals {
            for &view in &views {
                instances.push(Instance::spawn(&binary, &tree.dir, interval, view, stats));
            }
        }
        let mut cgtops: Vec<(u64, Pty)> = match cgtop_missing {
            None => intervals
                .iter()
                .map(|&i| (i, spawn_cgtop(fs.mount_point(), &tree.dir, i)))
                .collect(),
            Some(_) => Vec::new(),
        };
        let floors: Vec<(u64, std::thread::JoinHandle<Duration>)> = intervals
            .iter()
            .map(|&i| {
                let refreshes = seconds / i + 1;
                (i, floor(tree.dir.clone(), refreshes, floor_cap))
            })
            .collect();
        let begin = Instant::now();
        let end = begin + Duration::from_secs(seconds);
        while Instant::now() < end {
            for instance in &mut instances {
                instance.advance(cgroups);
                if let Some((at, cpu)) = &mut instance.steady
                    && *cpu == Duration::ZERO
                    && Instant::now() >= *at
                {
                    *cpu = process_cpu_fine(instance.pty.pid).max(Duration::from_nanos(1));
                    instance.watches = Some(inotify_watches(instance.pty.pid));
                    instance.threads_at_steady = threads_cpu(instance.pty.pid);
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        // cgtui's CPU at the end of the window, before waiting for the floor readers (on a
        // busy machine they take longer than the window, and cgtui keeps refreshing).
        let at_end: Vec<(Duration, Duration, Instant)> = instances
            .iter()
            .map(|i| {
                (
                    process_cpu(i.pty.pid),
                    process_cpu_fine(i.pty.pid),
                    Instant::now(),
                )
            })
            .collect();
        let threads_at_end: Vec<Vec<(String, Duration)>> =
            instances.iter().map(|i| threads_cpu(i.pty.pid)).collect();
        let cgtop_cpu: Vec<Duration> = cgtops.iter().map(|(_, p)| process_cpu(p.pid)).collect();
        let floors: Vec<(u64, Duration)> = floors
            .into_iter()
            .map(|(i, h)| (i, h.join().expect("floor reader")))
            .collect();
        // Per instance: interval, view, CPU over the window, steady CPU per pass.
        let mut cgtui_cpu: Vec<(u64, &str, Duration, Option<f64>)> = Vec::new();
        for ((instance, (cpu, fine, ended)), threads) in
            instances.iter_mut().zip(at_end).zip(threads_at_end)
        {
            // The minute from launch: the instances started a moment apart. The floor made
            // `seconds / interval + 1` refreshes.
            let passes = seconds / instance.interval + 1;
            let floor_cpu = floors
                .iter()
                .find(|(i, _)| *i == instance.interval)
                .map_or(Duration::ZERO, |(_, d)| *d);
            let steady = instance
                .steady
                .filter(|(_, c)| *c > Duration::ZERO)
                .map(|(at, c)| {
                    let window = ended.saturating_duration_since(at).as_secs_f64();
                    let passes = (window / instance.interval as f64).max(1.0);
                    (fine - c).as_secs_f64() / passes
                });
            cgtui_cpu.push((instance.interval, instance.view.name(), cpu, steady));
            let growth = match (steady, count) {
                (Some(s), 2000) => {
                    per_pass_2k.insert((instance.interval, instance.view.name()), s);
                    String::new()
                }
                (Some(s), _) => per_pass_2k
                    .get(&(instance.interval, instance.view.name()))
                    .map_or(String::new(), |k| format!("{:.2}x", s / k)),
                _ => String::new(),
            };
            println!(
                "{:>8} {:>4} s {:>10} | {:>7.2} s {:>7} {:>8.2} ms | {:>7.2} s {:>5.2}x | {:>6} | {} rows, {} watches{}{}",
                cgroups,
                instance.interval,
                instance.view.name(),
                cpu.as_secs_f64(),
                passes,
                steady.map_or(f64::NAN, |s| s * 1e3),
                floor_cpu.as_secs_f64(),
                cpu.as_secs_f64() / floor_cpu.as_secs_f64(),
                growth,
                instance.tree_rows(),
                instance.watches.map_or("-".to_string(), |w| w.to_string()),
                if instance.ready { "" } else { " (never ready)" },
                instance
                    .stats_line()
                    .map_or(String::new(), |s| format!(", {s}")),
            );
            let live: Duration = threads.iter().map(|(_, c)| *c).sum();
            println!(
                "{:>8} {}, ended threads {:.0}",
                "",
                threads_line(&instance.threads_at_steady, &threads),
                cpu.saturating_sub(live).as_secs_f64() * 1e3
            );
            instance.pty.stop();
        }
        for ((interval, cgtop), cpu) in cgtops.iter_mut().zip(cgtop_cpu) {
            // It shows the tree's cgroups by their paths: proof that it read the same tree.
            let shown = cgtop.contents().contains("p0.slice");
            // systemd-cgtop's start is one refresh: its CPU per refresh is its mean.
            let refreshes = seconds / *interval + 1;
            let per_refresh = cpu.as_secs_f64() / refreshes as f64;
            let ratios: Vec<String> = cgtui_cpu
                .iter()
                .filter(|(i, ..)| i == interval)
                .map(|(_, view, c, steady)| {
                    format!(
                        "{view} {:.3}x (steady state {})",
                        c.as_secs_f64() / cpu.as_secs_f64(),
                        steady.map_or("-".to_string(), |s| format!("{:.3}x", s / per_refresh))
                    )
                })
                .collect();
            println!(
                "{:>8} {:>4} s {:>10} | {:>7.2} s {:>7} {:>8.2} ms | cgtui / systemd-cgtop: {}{}",
                cgroups,
                interval,
                "cgtop",
                cpu.as_secs_f64(),
                refreshes,
                per_refresh * 1e3,
                ratios.join(", "),
                if shown {
                    ""
                } else {
                    " (never showed the tree)"
                },
            );
            cgtop.stop();
        }
        drop(tree);
    }
}

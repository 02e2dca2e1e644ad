//! Shared by the benchmarks: a throwaway tree of cgroups, CPU clocks, settings from the
//! environment.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// A tree of cgroups made for a benchmark, removed again on drop.
pub struct BenchTree {
    pub dir: PathBuf,
}

impl BenchTree {
    /// `count` cgroups in two levels under a fresh directory, with every controller the
    /// mount passes on to it enabled all the way down (as on a host with all controllers).
    pub fn create(mount: &Path, label: &str, count: usize) -> std::io::Result<BenchTree> {
        let dir = mount.join(format!("cgtui-{label}-{}", std::process::id()));
        std::fs::create_dir(&dir)?;
        let tree = BenchTree { dir };
        let controllers = std::fs::read_to_string(tree.dir.join("cgroup.controllers"))?;
        let enable: Vec<String> = controllers
            .split_whitespace()
            .map(|c| format!("+{c}"))
            .collect();
        let enable = enable.join(" ");
        let pass_on = |dir: &Path| -> std::io::Result<()> {
            if enable.is_empty() {
                return Ok(());
            }
            std::fs::write(dir.join("cgroup.subtree_control"), &enable)
        };
        pass_on(&tree.dir)?;
        let fan = (count as f64).sqrt().ceil() as usize;
        let mut made = 0;
        'outer: for i in 0..fan {
            let parent = tree.dir.join(format!("p{i}.slice"));
            std::fs::create_dir(&parent)?;
            pass_on(&parent)?;
            made += 1;
            for j in 0..fan {
                if made >= count {
                    break 'outer;
                }
                std::fs::create_dir(parent.join(format!("c{j}.scope")))?;
                made += 1;
            }
        }
        Ok(tree)
    }
}

impl Drop for BenchTree {
    fn drop(&mut self) {
        let mut dirs: Vec<PathBuf> = Vec::new();
        let mut stack = vec![self.dir.clone()];
        while let Some(d) = stack.pop() {
            if let Ok(entries) = std::fs::read_dir(&d) {
                stack.extend(
                    entries
                        .flatten()
                        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                        .map(|e| e.path()),
                );
            }
            dirs.push(d);
        }
        for d in dirs.iter().rev() {
            let _ = std::fs::remove_dir(d);
        }
    }
}

/// The files a floor reader reads of every cgroup: what a monitor's row shows, nothing more.
pub const FLOOR_FILES: [&str; 5] = [
    "cgroup.events",
    "cpu.stat",
    "memory.current",
    "io.stat",
    "pids.current",
];

/// One refresh of the floor: list the tree, open, read and close the five files of every cgroup.
pub fn floor_refresh(base: &Path) {
    let mut stack = vec![base.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for file in FLOOR_FILES {
            let _ = std::hint::black_box(std::fs::read(dir.join(file)));
        }
        if let Ok(entries) = std::fs::read_dir(&dir) {
            stack.extend(
                entries
                    .flatten()
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                    .map(|e| e.path()),
            );
        }
    }
}

/// A comma-separated list from the environment (`CGTUI_BENCH_CGROUPS=2000,10000`), else `default`.
pub fn env_list<T: std::str::FromStr + Clone>(name: &str, default: &[T]) -> Vec<T> {
    std::env::var(name)
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .filter(|v: &Vec<T>| !v.is_empty())
        .unwrap_or_else(|| default.to_vec())
}

/// One number from the environment, else `default`.
pub fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// CPU time of the calling thread.
pub fn thread_cpu() -> std::time::Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    std::time::Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

fn ticks(ticks: u64) -> std::time::Duration {
    std::time::Duration::from_millis(ticks * 1000 / procfs::ticks_per_second())
}

/// User + system CPU time of a process so far (clock ticks); zero once it is gone.
pub fn process_cpu(pid: u32) -> std::time::Duration {
    procfs::process::Process::new(pid as i32)
        .and_then(|p| p.stat())
        .map_or(std::time::Duration::ZERO, |s| ticks(s.utime + s.stime))
}

/// CPU time the waited-for children of this process have used so far.
pub fn children_cpu() -> std::time::Duration {
    procfs::process::Process::myself()
        .and_then(|p| p.stat())
        .map_or(std::time::Duration::ZERO, |s| {
            ticks((s.cutime + s.cstime).max(0) as u64)
        })
}

pub fn median(mut values: Vec<std::time::Duration>) -> std::time::Duration {
    values.sort();
    values[values.len() / 2]
}

/// This thread's CPU time for `f`: the median of `runs` runs after one warm-up.
pub fn measure_cpu(runs: usize, mut f: impl FnMut()) -> std::time::Duration {
    f();
    median(
        (0..runs)
            .map(|_| {
                let start = thread_cpu();
                f();
                thread_cpu() - start
            })
            .collect(),
    )
}

/// The inotify watches process `pid` holds (one `inotify wd:` line each in the fdinfo of its
/// inotify descriptors).
pub fn inotify_watches(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|fd| {
            std::fs::read_link(fd.path()).is_ok_and(|l| l.to_string_lossy().contains("inotify"))
        })
        .map(|fd| {
            std::fs::read_to_string(format!(
                "/proc/{pid}/fdinfo/{}",
                fd.file_name().to_string_lossy()
            ))
            .map_or(0, |t| {
                t.lines().filter(|l| l.starts_with("inotify wd:")).count()
            })
        })
        .sum()
}

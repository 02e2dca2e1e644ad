//! Event latency: from a mkdir, and from a process entering an empty cgroup, to cgtui's model
//! showing it (the inotify watcher and the model, as the TUI runs them). p50 and p99 over 200
//! trials each, on a real cgroupfs (as root).
//!
//!     cargo bench --bench latency

use cgtui::cgroup::watch::{WatchEvent, Watcher};
use cgtui::cgroup::{CgroupPath, Cgroupfs};
use cgtui::model::Model;
use std::sync::mpsc;
use std::time::{Duration, Instant};

const TRIALS: usize = 200;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn until(
    model: &mut Model,
    rx: &mpsc::Receiver<WatchEvent>,
    done: impl Fn(&Model) -> bool,
) -> Option<()> {
    let deadline = Instant::now() + Duration::from_secs(2);
    while !done(model) {
        let left = deadline.checked_duration_since(Instant::now())?;
        let event = rx.recv_timeout(left).ok()?;
        model.apply_watch(event, Instant::now());
    }
    Some(())
}

fn report(what: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "{what:<36} p50 {:>8.3} ms   p99 {:>8.3} ms   max {:>8.3} ms   ({} trials)",
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
        times.last().unwrap().as_secs_f64() * 1e3,
        times.len()
    );
}

fn main() {
    let Ok(fs) = Cgroupfs::system() else {
        println!("latency bench skipped: no cgroup2 hierarchy");
        return;
    };
    let dir = fs
        .mount_point()
        .join(format!("cgtui-latency-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir(&dir) {
        println!(
            "latency bench skipped: cannot create {}: {e}",
            dir.display()
        );
        return;
    }
    let base = fs.resolve(&dir).unwrap();
    let mut model = Model::new(base.clone(), fs.devices());
    model.apply_tree(cgtui::collect::sample_tree(&fs, &base, None, false));
    let (tx, rx) = mpsc::channel();
    let mut watcher = Watcher::new(fs.clone(), base.clone()).unwrap();
    let (ready_tx, ready_rx) = mpsc::channel();
    std::thread::spawn(move || {
        watcher.watch_existing(&mut |_| true);
        ready_tx.send(()).unwrap();
        let _ = watcher.run(move |e| tx.send(e).is_ok());
    });
    ready_rx.recv().unwrap();

    let mut mkdirs = Vec::new();
    let mut populates = Vec::new();
    for i in 0..TRIALS {
        let name = format!("t{i}");
        let path = base.join(std::ffi::OsStr::new(&name));
        let start = Instant::now();
        std::fs::create_dir(dir.join(&name)).unwrap();
        until(&mut model, &rx, |m| m.get(&path).is_some()).expect("mkdir seen");
        mkdirs.push(start.elapsed());

        let mut child = std::process::Command::new("sleep")
            .arg("10")
            .spawn()
            .unwrap();
        let start = Instant::now();
        std::fs::write(dir.join(&name).join("cgroup.procs"), child.id().to_string()).unwrap();
        until(&mut model, &rx, |m| {
            m.get(&path).and_then(|n| n.populated()) == Some(true)
        })
        .expect("populated seen");
        populates.push(start.elapsed());
        child.kill().unwrap();
        child.wait().unwrap();
        let deadline = Instant::now() + Duration::from_secs(2);
        while std::fs::remove_dir(dir.join(&name)).is_err() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    let _ = std::fs::remove_dir(&dir);
    println!(
        "event latency on {} (inotify watcher → model)",
        fs.mount_point().display()
    );
    report("mkdir → row in the model", mkdirs);
    report("process enters → populated", populates);
    let _ = CgroupPath::root();
}

//! Helpers shared by the integration tests: the fixture tree, a terminal in a pty, and
//! throwaway cgroups on the real cgroupfs.
#![allow(dead_code)]

use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The inotify watches process `pid` holds (the `inotify wd:` lines of its descriptors'
/// fdinfo); 0 if it is gone.
pub fn inotify_watches(pid: u32) -> usize {
    let dir = PathBuf::from(format!("/proc/{pid}"));
    std::fs::read_dir(dir.join("fd"))
        .map(|fds| {
            fds.flatten()
                .filter(|fd| {
                    std::fs::read_link(fd.path())
                        .is_ok_and(|t| t.as_os_str() == "anon_inode:inotify")
                })
                .map(|fd| {
                    std::fs::read_to_string(dir.join("fdinfo").join(fd.file_name()))
                        .map_or(0, |t| {
                            t.lines().filter(|l| l.starts_with("inotify wd:")).count()
                        })
                })
                .sum()
        })
        .unwrap_or(0)
}

pub fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/cgroupv2/tests/fixtures/debian12")
}

/// The cgtui under test; `CGTUI_TEST_BINARY` points the tests at another build (to check
/// that a test fails on an older one).
pub fn binary() -> &'static str {
    static BINARY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    BINARY.get_or_init(|| {
        std::env::var("CGTUI_TEST_BINARY").unwrap_or_else(|_| env!("CARGO_BIN_EXE_cgtui").into())
    })
}

/// A program of Debian's `prometheus` package (`promtool`, `prometheus`; .ci/run unpacks it
/// with tests/tools/prometheus.sh, and `env` may point at one), or `None` with the reason
/// printed: a test then skips, except in CI (`CI=true`), where it must run.
pub fn prometheus_program(name: &str, env: &str) -> Option<PathBuf> {
    let candidates = std::env::var_os(env).map(PathBuf::from).into_iter().chain(
        [
            format!("/usr/bin/{name}"),
            format!("/opt/cgtui-ci/prometheus/usr/bin/{name}"),
        ]
        .map(PathBuf::from),
    );
    for candidate in candidates {
        if candidate.is_file() {
            return Some(candidate);
        }
    }
    let why = format!("{name} not found (tests/tools/prometheus.sh, or {env}=path)");
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{why}: CI must run this check"
    );
    println!("skipped: {why}");
    None
}

pub fn promtool() -> Option<PathBuf> {
    prometheus_program("promtool", "PROMTOOL")
}

/// Date every counter file of `tree` as read at `ns` (a test's clock, [`clock_ns`]): a fixture
/// is read in microseconds, and a rate needs two reads of a file at least 100 ms apart.
pub fn read_at(tree: &mut cgtui::model::TreeSample, ns: u64) {
    for sample in tree.cgroups.iter_mut().filter_map(|(_, s)| s.as_mut()) {
        let times = &mut sample.read_at;
        for time in [
            &mut times.cpu_stat,
            &mut times.io_stat,
            &mut times.cpu_pressure,
            &mut times.memory_pressure,
            &mut times.io_pressure,
        ] {
            *time = time.map(|_| ns);
        }
    }
}

/// `at` in nanoseconds on one clock for the whole test process (from an hour before its first
/// use, so that moments a little earlier than now are still on it).
pub fn clock_ns(at: Instant) -> u64 {
    static ORIGIN: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let origin = *ORIGIN.get_or_init(|| {
        let now = Instant::now();
        now.checked_sub(Duration::from_secs(3600)).unwrap_or(now)
    });
    at.saturating_duration_since(origin).as_nanos() as u64
}

/// Processes of a test, killed and reaped when it ends, however it ends.
pub struct Killed(pub Vec<std::process::Child>);

impl Drop for Killed {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `cgtui ARGS` (an `export` command line) started, and what it says it serves (the text after
/// `cgtui export: serving `: `http://ADDR/metrics`, or the unix socket).
pub fn start_export(args: &[&str]) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(binary())
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start cgtui export");
    let mut line = String::new();
    std::io::BufReader::new(child.stderr.take().expect("its stderr"))
        .read_line(&mut line)
        .expect("read what cgtui export says");
    let serving = line
        .trim()
        .strip_prefix("cgtui export: serving ")
        .unwrap_or_else(|| panic!("cgtui export did not start: {line:?}"))
        .to_string();
    (child, serving)
}

/// cgtui running in a pseudo-terminal, its screen kept by a vt100 emulator.
pub struct Pty {
    parser: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    master: Box<dyn portable_pty::MasterPty + Send>,
}

impl Pty {
    pub fn spawn(args: &[&str], cols: u16, rows: u16) -> Pty {
        Pty::spawn_env(args, &[], cols, rows)
    }

    pub fn spawn_env(args: &[&str], env: &[(&str, &str)], cols: u16, rows: u16) -> Pty {
        Pty::spawn_with(binary(), args, env, cols, rows)
    }

    /// Another program (such as strace running cgtui) in the pty.
    pub fn spawn_program(program: &str, args: &[&str], cols: u16, rows: u16) -> Pty {
        Pty::spawn_with(program, args, &[], cols, rows)
    }

    fn spawn_with(program: &str, args: &[&str], env: &[(&str, &str)], cols: u16, rows: u16) -> Pty {
        let system = native_pty_system();
        let pair = system
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("openpty");
        let mut command = CommandBuilder::new(program);
        command.args(args);
        command.env("TERM", "xterm-256color");
        for (key, value) in env {
            command.env(key, value);
        }
        let child = pair.slave.spawn_command(command).expect("spawn cgtui");
        drop(pair.slave);
        let parser = Arc::new(Mutex::new(vt100::Parser::new(
            rows.try_into().expect("rows > 0"),
            cols.try_into().expect("cols > 0"),
            0,
        )));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let (p, r) = (parser.clone(), raw.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                p.lock().unwrap().process(&buf[..n]);
                r.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        let writer = pair.master.take_writer().expect("pty writer");
        Pty {
            parser,
            raw,
            writer,
            child,
            master: pair.master,
        }
    }

    /// Change the terminal's size, as a window resize does (the program gets SIGWINCH).
    /// Resize as a terminal does: its own grid first, then the pty (which sends SIGWINCH), so
    /// whatever the program draws after the signal lands on a grid of the new size.
    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.parser.lock().unwrap().set_size(
            rows.try_into().expect("rows > 0"),
            cols.try_into().expect("cols > 0"),
        );
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("resize the pty");
    }

    /// Is the program still running?
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    pub fn alternate_screen(&self) -> bool {
        self.parser.lock().unwrap().screen().alternate_screen()
    }

    /// Every byte the program wrote to the terminal so far.
    pub fn raw_output(&self) -> Vec<u8> {
        self.raw.lock().unwrap().clone()
    }

    pub fn send(&mut self, keys: &str) {
        self.writer
            .write_all(keys.as_bytes())
            .expect("write to pty");
        self.writer.flush().expect("flush pty");
    }

    /// Wait until the screen satisfies `check`; panics with the screen after `timeout`.
    pub fn wait_for(
        &self,
        what: &str,
        timeout: Duration,
        check: impl Fn(&str) -> bool,
    ) -> Duration {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if check(&screen) {
                return start.elapsed();
            }
            if start.elapsed() > timeout {
                panic!("timed out after {timeout:?} waiting for {what}; screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn wait_text(&self, text: &str, timeout: Duration) -> Duration {
        self.wait_for(&format!("{text:?}"), timeout, |s| s.contains(text))
    }

    /// Wait for the program to exit; returns its success.
    pub fn wait_exit(&mut self, timeout: Duration) -> bool {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                // Let the reader drain what was written last.
                std::thread::sleep(Duration::from_millis(100));
                return status.success();
            }
            if start.elapsed() > timeout {
                let _ = self.child.kill();
                panic!(
                    "cgtui did not exit within {timeout:?}; screen:\n{}",
                    self.screen()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.process_id()
    }

    /// True if the terminal is back in cooked mode with echo (raw mode was left).
    pub fn cooked_mode(&self) -> bool {
        use std::os::fd::BorrowedFd;
        let fd = self.master.as_raw_fd().expect("master fd");
        // SAFETY: the master fd stays open for as long as `self.master` lives.
        let fd = unsafe { BorrowedFd::borrow_raw(fd) };
        let termios = rustix::termios::tcgetattr(fd).expect("tcgetattr");
        let local = termios.local_modes;
        local.contains(rustix::termios::LocalModes::ICANON)
            && local.contains(rustix::termios::LocalModes::ECHO)
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
    }
}

/// A uniquely named cgroup on the real cgroup2 mount, removed (with everything in it) on drop,
/// even when the test fails.
pub struct LiveCgroup {
    pub mount: PathBuf,
    /// Path relative to the mount, e.g. `cgtui-test-1234-0`.
    pub relative: PathBuf,
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

impl LiveCgroup {
    /// Create a test cgroup, or return why this machine cannot have one (the test then skips).
    pub fn create(label: &str) -> Result<LiveCgroup, String> {
        let fs =
            cgtui::cgroup::Cgroupfs::system().map_err(|e| format!("no cgroup2 hierarchy: {e}"))?;
        let mount = fs.mount_point().to_path_buf();
        let name = format!(
            "cgtui-test-{label}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        // The mount root as root, or else our own cgroup's parent when it is delegated to us.
        let mut candidates = vec![PathBuf::new()];
        if let Some(own) =
            cgtui::cgroup::process::cgroup_of(&fs, cgtui::cgroup::process::ProcRef::Own, None)
                .and_then(|o| o.parent())
        {
            candidates.push(own.as_path().to_path_buf());
        }
        let mut errors = Vec::new();
        for parent in candidates {
            let relative = parent.join(&name);
            match std::fs::create_dir(mount.join(&relative)) {
                Ok(()) => return Ok(LiveCgroup { mount, relative }),
                Err(e) => errors.push(format!("mkdir {}: {e}", mount.join(&relative).display())),
            }
        }
        Err(format!(
            "no writable cgroup2 directory ({})",
            errors.join("; ")
        ))
    }

    pub fn dir(&self) -> PathBuf {
        self.mount.join(&self.relative)
    }

    pub fn child(&self, name: &str) -> PathBuf {
        self.dir().join(name)
    }

    /// Start `argv` and move it into `cgroup_dir` (from here, not between fork and exec, where a
    /// threaded test process must not allocate).
    pub fn spawn_in(cgroup_dir: &Path, argv: &[&str]) -> std::process::Child {
        let mut child = std::process::Command::new(argv[0])
            .args(&argv[1..])
            .spawn()
            .expect("spawn a process for the test cgroup");
        if let Err(e) = std::fs::write(cgroup_dir.join("cgroup.procs"), child.id().to_string()) {
            let _ = child.kill();
            panic!("move pid {} into {}: {e}", child.id(), cgroup_dir.display());
        }
        child
    }
}

fn remove_tree(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                remove_tree(&entry.path());
            }
        }
    }
    let _ = std::fs::write(dir.join("cgroup.kill"), "1");
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::fs::remove_dir(dir).is_err() && dir.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Drop for LiveCgroup {
    fn drop(&mut self) {
        remove_tree(&self.dir());
    }
}

/// Skip a test with a printed reason.
#[macro_export]
macro_rules! live_or_skip {
    ($label:expr) => {
        match common::LiveCgroup::create($label) {
            Ok(cg) => cg,
            Err(reason) => {
                eprintln!("SKIPPED: {reason}");
                return;
            }
        }
    };
}

/// How many live tests currently need a controller enabled at the mount root, and whether it
/// was this process that enabled it (and so must disable it again).
static ROOT_CONTROLLERS: Mutex<Vec<(String, usize, bool)>> = Mutex::new(Vec::new());

/// Keeps `controller` enabled in the mount root's cgroup.subtree_control while alive. If the
/// root did not have it, it is enabled now and disabled again when the last user drops it, so
/// the host is left as it was found.
pub struct RootController {
    mount: PathBuf,
    name: String,
}

impl RootController {
    /// Declare the guard before the test's [`LiveCgroup`], so that it is dropped after it: a
    /// controller cannot be disabled while a child cgroup still enables it.
    pub fn enable(name: &str) -> Result<RootController, String> {
        let fs =
            cgtui::cgroup::Cgroupfs::system().map_err(|e| format!("no cgroup2 hierarchy: {e}"))?;
        let mount = fs.mount_point();
        let control = mount.join("cgroup.subtree_control");
        let available =
            std::fs::read_to_string(mount.join("cgroup.controllers")).unwrap_or_default();
        if !available.split_whitespace().any(|c| c == name) {
            return Err(format!(
                "the {name} controller is not in this cgroup2 hierarchy"
            ));
        }
        let mut users = ROOT_CONTROLLERS.lock().unwrap();
        match users.iter_mut().find(|(n, _, _)| n == name) {
            Some(entry) => entry.1 += 1,
            None => {
                let enabled = std::fs::read_to_string(&control).unwrap_or_default();
                let already = enabled.split_whitespace().any(|c| c == name);
                if !already {
                    std::fs::write(&control, format!("+{name}"))
                        .map_err(|e| format!("enable {name} at the root: {e}"))?;
                }
                users.push((name.to_string(), 1, !already));
            }
        }
        Ok(RootController {
            mount: mount.to_path_buf(),
            name: name.to_string(),
        })
    }
}

impl Drop for RootController {
    fn drop(&mut self) {
        let mut users = ROOT_CONTROLLERS.lock().unwrap();
        if let Some(index) = users.iter().position(|(n, _, _)| *n == self.name) {
            users[index].1 -= 1;
            if users[index].1 == 0 {
                let (_, _, we_enabled) = users.remove(index);
                if we_enabled {
                    let _ = std::fs::write(
                        self.mount.join("cgroup.subtree_control"),
                        format!("-{}", self.name),
                    );
                }
            }
        }
    }
}

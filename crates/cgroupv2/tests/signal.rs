//! Signals through a pidfd (`process::ProcessHandle`): the listed process gets the signal, a
//! reused PID or an exited process is refused before anything is sent, and another user's
//! process refuses with EPERM, said in words.

use cgroupv2::process::{ProcessHandle, ProcessSignal, SignalError, read_process};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

/// A `sleep 1000` of the test, killed when it ends, however it ends.
struct Sleeper(Child);

impl Drop for Sleeper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `sleep 1000`, once it runs sleep (right after the fork it is still the test's copy), and
/// its start time.
fn sleeper() -> (Sleeper, u64) {
    let child = Sleeper(Command::new("sleep").arg("1000").spawn().unwrap());
    for _ in 0..500 {
        if let Some(sample) = read_process(Path::new("/proc"), child.0.id())
            && !sample.cmdline.is_empty()
        {
            return (child, sample.start_ticks);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("sleep never started");
}

#[test]
fn the_listed_process_gets_the_signal() {
    let (mut child, start) = sleeper();
    let pid = child.0.id();
    let handle = ProcessHandle::open(Path::new("/proc"), pid, start).unwrap();
    handle.send(ProcessSignal::Term).unwrap();
    let status = child.0.wait().unwrap();
    assert_eq!(status.signal(), Some(15), "{status:?}");
    // Exited and reaped: the pidfd still names it, and says it is gone.
    let err = handle.send(ProcessSignal::Term).unwrap_err();
    assert_eq!(err, SignalError::Gone { pid });
    assert!(err.to_string().contains("has exited (ESRCH"), "{err}");
}

#[test]
fn a_pid_whose_start_time_changed_is_not_held() {
    let (mut child, start) = sleeper();
    let pid = child.0.id();
    // As if the listed process had exited and another had taken its PID since.
    let err = ProcessHandle::open(Path::new("/proc"), pid, start + 1).unwrap_err();
    assert_eq!(err, SignalError::Reused { pid });
    assert!(err.to_string().contains("PID was reused"), "{err}");
    assert!(child.0.try_wait().unwrap().is_none(), "nothing was sent");
}

#[test]
fn an_exited_process_is_not_held() {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    match ProcessHandle::open(Path::new("/proc"), pid, 0) {
        Err(SignalError::Gone { pid: p }) => assert_eq!(p, pid),
        // The PID was taken again already: its start time tells.
        Err(SignalError::Reused { pid: p }) => assert_eq!(p, pid),
        other => panic!("an exited process was held: {other:?}"),
    }
}

#[test]
fn another_users_process_refuses_with_eperm_in_words() {
    let setpriv = Command::new("setpriv")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !setpriv || !rustix::process::geteuid().is_root() {
        eprintln!("SKIPPED: needs root and setpriv (to signal root's process as uid 65534)");
        return;
    }
    let (mut child, start) = sleeper();
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", "signal_as_uid_65534", "--ignored", "--nocapture"])
        .env("CGTUI_SIGNAL_PID", child.0.id().to_string())
        .env("CGTUI_SIGNAL_START", start.to_string())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("REFUSED: not permitted (EPERM): only the process's owner, or root"),
        "{said}"
    );
    assert!(
        child.0.try_wait().unwrap().is_none(),
        "root's sleep lives on"
    );
}

/// Run by `another_users_process_refuses_with_eperm_in_words` as uid 65534: holds root's
/// process (a pidfd needs no permission) and is refused the signal.
#[test]
#[ignore = "run as uid 65534 by another_users_process_refuses_with_eperm_in_words"]
fn signal_as_uid_65534() {
    let number = |name: &str| -> u64 {
        std::env::var(name)
            .unwrap_or_else(|_| panic!("{name} not set: run by another test"))
            .parse()
            .unwrap()
    };
    let pid = number("CGTUI_SIGNAL_PID") as u32;
    let handle =
        ProcessHandle::open(Path::new("/proc"), pid, number("CGTUI_SIGNAL_START")).unwrap();
    let err = handle.send(ProcessSignal::Term).unwrap_err();
    println!("REFUSED: {err}");
    assert_eq!(err, SignalError::NotPermitted { pid });
    assert_eq!(err.errno_name(), Some("EPERM"));
}

//! Predict, then verify: a lesson's exercise ([`crate::lessons::Exercise`]) is set up in a
//! fresh cgroup of its own (the scene), the student's guess is taken, then the write is made as
//! the student and the kernel's real answer is graded against the guess. Answers are kept per
//! user in `$XDG_STATE_HOME/cgtui/lessons.json`, beside the journal.
//!
//! As root the scene is made under the cgroup2 mount's root and handed to the student the way
//! the exercise says (a delegation by hand, a chown of the directory only, ...); the write is
//! then made by a child process running as the student. Without root the scene is made inside
//! a cgroup the caller already owns (a playground) and only exercises that chown nothing can
//! run there.

use crate::cgroup::escape::visible_path;
use crate::lessons::{Attempt, Exercise, Setup};
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Who the exercise's writes are made as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Student {
    pub uid: u32,
    pub gid: u32,
    pub name: String,
}

impl Student {
    /// The student named by `spec` (a user name or uid), else by `SUDO_UID`, else by
    /// `CGTUI_STUDENT`, else the caller.
    pub fn resolve(spec: Option<&str>) -> Result<Student> {
        let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let spec = spec
            .map(str::to_string)
            .or_else(|| from_env("SUDO_UID"))
            .or_else(|| from_env("CGTUI_STUDENT"));
        let user = match &spec {
            None => uzers::get_user_by_uid(rustix::process::geteuid().as_raw()),
            Some(spec) => match spec.trim().parse::<u32>() {
                Ok(uid) => uzers::get_user_by_uid(uid).or_else(|| {
                    // A uid without a passwd entry is a student too (its group is its uid).
                    Some(uzers::User::new(uid, spec.trim(), uid))
                }),
                Err(_) => uzers::get_user_by_name(spec.trim()),
            },
        };
        let user = user.with_context(|| {
            format!(
                "no such user {:?}: name the student by user name or uid",
                spec.unwrap_or_default()
            )
        })?;
        Ok(Student {
            uid: user.uid(),
            gid: user.primary_group_id(),
            name: user.name().to_string_lossy().into_owned(),
        })
    }
}

/// `ok`, or an errno's name such as `EACCES` (upper case); anything else is refused.
pub fn normalise_guess(guess: &str) -> Result<String> {
    let guess = guess.trim();
    if guess.eq_ignore_ascii_case("ok") || guess.eq_ignore_ascii_case("allowed") {
        return Ok("ok".into());
    }
    let upper = guess.to_ascii_uppercase();
    let errno = upper.len() > 1
        && upper.starts_with('E')
        && upper.chars().all(|c| c.is_ascii_alphanumeric());
    if errno {
        Ok(upper)
    } else {
        bail!("guess {guess:?}: answer ok or an errno such as EACCES, EBUSY, ENOENT")
    }
}

/// A guess next to the kernel's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub exercise: String,
    pub guess: String,
    /// What the kernel answered: `ok` or an errno name.
    pub kernel: String,
    pub right: bool,
    /// The write that was made, as a shell command relative to the scene.
    pub attempt: String,
    pub rule: String,
    /// Seconds since the epoch.
    pub at: u64,
}

/// Grade `guess` (see [`normalise_guess`]) against the kernel's answer.
pub fn grade(exercise: &Exercise, guess: &str, kernel: &str) -> Result<Verdict> {
    let guess = normalise_guess(guess)?;
    Ok(Verdict {
        exercise: exercise.id.clone(),
        right: guess == kernel,
        guess,
        kernel: kernel.to_string(),
        attempt: exercise.attempt.to_string(),
        rule: exercise.rule.clone(),
        at: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    })
}

/// The kernel's answer as a name: `ok` or the errno.
fn answer_of(result: std::io::Result<()>) -> String {
    match result {
        Ok(()) => "ok".into(),
        Err(e) => match e.raw_os_error() {
            Some(code) => crate::cgroup::rules::errno_name(code),
            None => format!("error: {e}"),
        },
    }
}

/// A scene: the cgroup made for one exercise, and the student's placeholder. Dropping it
/// ends the placeholder and removes the cgroups, deepest first.
struct Scene {
    root: PathBuf,
    placeholder: Option<Child>,
}

impl Drop for Scene {
    fn drop(&mut self) {
        if let Some(mut child) = self.placeholder.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let mut dirs = Vec::new();
        collect_dirs(&self.root, &mut dirs);
        dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
        for dir in dirs {
            // A killed process leaves its cgroup a moment later: retry EBUSY briefly.
            let start = Instant::now();
            while std::fs::remove_dir(&dir).is_err() && dir.exists() {
                if start.elapsed() > Duration::from_secs(3) {
                    crate::errln!(
                        "cgtui: could not remove the exercise's cgroup {}",
                        visible_path(&dir)
                    );
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

fn collect_dirs(dir: &Path, out: &mut Vec<PathBuf>) {
    out.push(dir.to_path_buf());
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                collect_dirs(&entry.path(), out);
            }
        }
    }
}

fn chown(path: &Path, student: &Student) -> Result<()> {
    std::os::unix::fs::chown(path, Some(student.uid), Some(student.gid))
        .with_context(|| format!("cannot chown {} to the student", visible_path(path)))
}

/// The placeholder: a process of the student's that only waits.
fn spawn_placeholder(student: &Student, as_root: bool) -> Result<Child> {
    let sleep = ["/usr/bin/sleep", "/bin/sleep"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .unwrap_or("/bin/sleep");
    let mut cmd = Command::new(sleep);
    cmd.arg("infinity")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if as_root {
        cmd.uid(student.uid).gid(student.gid);
    }
    cmd.spawn()
        .with_context(|| format!("cannot start the placeholder {sleep}"))
}

fn write_pid(file: &Path, pid: u32) -> Result<()> {
    std::fs::write(file, format!("{pid}\n"))
        .with_context(|| format!("cannot place the placeholder in {}", visible_path(file)))
}

/// Set the scene up in `base/NAME` as the exercise says.
fn set_up(base: &Path, exercise: &Exercise, student: &Student, as_root: bool) -> Result<Scene> {
    let root = base.join(format!(
        "cgtui-exercise-{}-{}",
        exercise.id,
        std::process::id()
    ));
    std::fs::create_dir(&root)
        .with_context(|| format!("cannot create the scene {}", visible_path(&root)))?;
    let mut scene = Scene {
        root,
        placeholder: None,
    };
    let scene_root = scene.root.clone();
    let at = |rel: &str| {
        if rel == "." {
            scene_root.clone()
        } else {
            scene_root.join(rel)
        }
    };
    for action in &exercise.setup {
        match action {
            Setup::Mkdir(paths) => {
                for p in paths {
                    std::fs::create_dir(at(p))
                        .with_context(|| format!("cannot create {}", visible_path(&at(p))))?;
                }
            }
            Setup::Delegate(paths) => {
                for p in paths {
                    chown(&at(p), student)?;
                    for file in crate::cgroup::explain::DELEGATED_FILES {
                        chown(&at(p).join(file), student)?;
                    }
                }
            }
            Setup::Own(paths) => {
                for p in paths {
                    chown(&at(p), student)?;
                    let entries = std::fs::read_dir(at(p))
                        .with_context(|| format!("cannot list {}", visible_path(&at(p))))?;
                    for entry in entries.flatten() {
                        if entry.file_type().is_ok_and(|t| t.is_file()) {
                            chown(&entry.path(), student)?;
                        }
                    }
                }
            }
            Setup::ChownDir(paths) => {
                for p in paths {
                    chown(&at(p), student)?;
                }
            }
            Setup::Place(p) => {
                if scene.placeholder.is_none() {
                    scene.placeholder = Some(spawn_placeholder(student, as_root)?);
                }
                let pid = scene.placeholder.as_ref().map_or(0, Child::id);
                write_pid(&at(p).join("cgroup.procs"), pid)?;
            }
        }
    }
    Ok(scene)
}

/// Make `attempt` as the student: in a child process that drops to the student's uid and gid
/// (when they are not the caller's), so the kernel judges the student's credentials.
fn attempt_as(attempt: &Attempt, scene: &Scene, student: &Student) -> Result<String> {
    let pid = scene.placeholder.as_ref().map_or(0, Child::id);
    let (path, value) = match attempt {
        Attempt::Write { path, value } => (
            scene.root.join(path),
            Some(value.replace("PID", &pid.to_string())),
        ),
        Attempt::Mkdir(path) => (scene.root.join(path), None),
    };
    if student.uid == rustix::process::geteuid().as_raw() {
        let result = match &value {
            Some(v) => std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .and_then(|mut f| std::io::Write::write_all(&mut f, v.as_bytes())),
            None => std::fs::create_dir(&path),
        };
        return Ok(answer_of(result));
    }
    // The child makes the write between fork and exec, after dropping to the student: an
    // error there comes back from spawn() with its errno; success execs `true`.
    let c_path =
        CString::new(path.as_os_str().as_bytes()).context("the scene's path has a NUL byte")?;
    let bytes = value.unwrap_or_default().into_bytes();
    let is_mkdir = matches!(attempt, Attempt::Mkdir(_));
    let truth = ["/usr/bin/true", "/bin/true"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .unwrap_or("/bin/true");
    let mut cmd = Command::new(truth);
    cmd.uid(student.uid)
        .gid(student.gid)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: the closure only makes system calls on memory prepared before the fork (no
    // allocation, no locks), as pre_exec requires.
    unsafe {
        cmd.pre_exec(move || {
            if is_mkdir {
                rustix::fs::mkdir(c_path.as_c_str(), rustix::fs::Mode::from_raw_mode(0o755))?;
                return Ok(());
            }
            let fd = rustix::fs::open(
                c_path.as_c_str(),
                rustix::fs::OFlags::WRONLY | rustix::fs::OFlags::CLOEXEC,
                rustix::fs::Mode::empty(),
            )?;
            rustix::io::write(&fd, &bytes)?;
            Ok(())
        });
    }
    let result = match cmd.spawn() {
        Ok(mut child) => child
            .wait()
            .context("waiting for the student's write")
            .map(|_| Ok(()))?,
        Err(e) => Err(e),
    };
    Ok(answer_of(result))
}

/// Set `exercise` up below `base` (a directory of the cgroup2 mount), make its write as
/// `student` and return the kernel's answer (`ok` or an errno name). The scene is removed
/// afterwards.
pub fn run(base: &Path, exercise: &Exercise, student: &Student) -> Result<String> {
    let as_root = rustix::process::geteuid().is_root();
    if !as_root && exercise.needs_root() {
        bail!(
            "exercise {} hands cgroups to the student (a chown), which needs root: run it as root \
             with --student NAME",
            exercise.id
        );
    }
    if !as_root && student.uid != rustix::process::geteuid().as_raw() {
        bail!(
            "only root can make the writes as another user ({})",
            student.name
        );
    }
    let scene = set_up(base, exercise, student, as_root)?;
    attempt_as(&exercise.attempt, &scene, student)
}

/// The answers given so far, by exercise id: the latest verdict of each.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answers {
    pub answers: BTreeMap<String, Verdict>,
}

const ANSWERS_FILE: &str = "lessons.json";

/// Where this user's answers are kept: beside the journal.
pub fn default_path() -> Result<PathBuf> {
    let journal = crate::journal::Journal::default_path()?;
    Ok(journal.with_file_name(ANSWERS_FILE))
}

impl Answers {
    /// The answers at `path` (none yet when there is no file), read only through directories
    /// and a file that nobody but us and root can change.
    pub fn load(path: &Path) -> Result<Answers> {
        let (dir_path, name) = split(path)?;
        let Some(dir) = crate::trusted::open_private_dir(dir_path, false)? else {
            return Ok(Answers::default());
        };
        let Some((file, _)) = crate::trusted::open_private_file(&dir, dir_path, name, false)?
        else {
            return Ok(Answers::default());
        };
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::fs::File::from(file), &mut text)
            .with_context(|| format!("cannot read {}", visible_path(path)))?;
        if text.trim().is_empty() {
            return Ok(Answers::default());
        }
        serde_json::from_str(&text)
            .with_context(|| format!("{} is not cgtui's answers file", visible_path(path)))
    }

    /// Keep `verdict` (replacing an earlier answer to the same exercise) in the file at `path`.
    pub fn record(path: &Path, verdict: Verdict) -> Result<Answers> {
        let mut answers = Answers::load(path)?;
        answers.answers.insert(verdict.exercise.clone(), verdict);
        let (dir_path, name) = split(path)?;
        let dir = crate::trusted::open_private_dir(dir_path, true)?
            .context("the state directory vanished")?;
        let (file, _) = crate::trusted::open_private_file(&dir, dir_path, name, true)?
            .context("the answers file vanished while it was opened")?;
        // The file is opened for appending: empty it, then write the whole document.
        rustix::fs::ftruncate(&file, 0)
            .map_err(std::io::Error::from)
            .with_context(|| format!("cannot rewrite {}", visible_path(path)))?;
        let text = serde_json::to_string_pretty(&answers)?;
        std::io::Write::write_all(&mut std::fs::File::from(file), text.as_bytes())
            .with_context(|| format!("cannot write {}", visible_path(path)))?;
        Ok(answers)
    }
}

fn split(path: &Path) -> Result<(&Path, &std::ffi::OsStr)> {
    match (path.parent(), path.file_name()) {
        (Some(dir), Some(name)) => Ok((dir, name)),
        _ => bail!("{} is not a file path", visible_path(path)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses_are_ok_or_an_errno() {
        assert_eq!(normalise_guess(" OK ").unwrap(), "ok");
        assert_eq!(normalise_guess("eacces").unwrap(), "EACCES");
        assert!(normalise_guess("maybe").is_err());
        assert!(normalise_guess("E").is_err());
    }

    #[test]
    fn answers_are_kept_per_exercise_in_a_private_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cgtui").join(ANSWERS_FILE);
        assert_eq!(Answers::load(&path).unwrap(), Answers::default());
        let (_, exercise) = crate::lessons::exercise_by_id("c0-to-c1").unwrap();
        Answers::record(&path, grade(&exercise, "ok", "EACCES").unwrap()).unwrap();
        let answers =
            Answers::record(&path, grade(&exercise, "eacces", "EACCES").unwrap()).unwrap();
        assert_eq!(answers, Answers::load(&path).unwrap());
        let kept = &answers.answers["c0-to-c1"];
        assert!(kept.right && kept.guess == "EACCES", "{kept:?}");
        assert_eq!(answers.answers.len(), 1);
    }
}

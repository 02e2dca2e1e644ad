//! A fixture's writes go to a private copy in memory, never to the fixture itself.

use super::*;

/// A fixture's private copy in memory (`/dev/shm` where there is one): the tree shows what was
/// written, and the fixture itself is never written. Removed with the last handle on it.
#[derive(Debug)]
pub(super) struct Overlay {
    /// The private directory: the copy in `tree/`, the session's journal beside it.
    dir: PathBuf,
    /// The fixture the copy was made of.
    origin: PathBuf,
}

impl Drop for Overlay {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Remove the private copies of cgtui runs that ended without removing theirs (killed, or a
/// panic): `cgtui-fixture-PID-N` whose PID runs no more. Only this user's can be removed.
pub(super) fn remove_abandoned_copies(base: &Path) {
    let Ok(entries) = fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("cgtui-fixture-"))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// Copy the tree at `from` into the new directory `to`: files with their mode bits,
/// directories, symbolic links as links.
pub(super) fn copy_tree(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_tree(&source, &target)?;
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(&source)?, &target)?;
        } else if kind.is_file() {
            fs::copy(&source, &target)?;
        }
    }
    Ok(())
}

impl Cgroupfs {
    pub fn private_copy(self) -> Result<Self> {
        if self.fixture.is_none() || self.overlay.is_some() {
            return Ok(self);
        }
        let origin = self.mount_point.clone();
        let shm = Path::new("/dev/shm");
        let base = if shm.is_dir() && rustix::fs::access(shm, rustix::fs::Access::WRITE_OK).is_ok()
        {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        remove_abandoned_copies(&base);
        let mut dir = None;
        for attempt in 0..100u32 {
            let candidate = base.join(format!("cgtui-fixture-{}-{attempt}", std::process::id()));
            use std::os::unix::fs::DirBuilderExt;
            match fs::DirBuilder::new().mode(0o700).create(&candidate) {
                Ok(()) => {
                    dir = Some(candidate);
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::io(&candidate, e)),
            }
        }
        let Some(dir) = dir else {
            return Err(Error::io(
                &base,
                io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "no free name for a fixture's copy",
                ),
            ));
        };
        let overlay = Arc::new(Overlay { dir, origin });
        let tree = overlay.dir.join("tree");
        copy_tree(&overlay.origin, &tree).map_err(|e| Error::io(&overlay.origin, e))?;
        let mut copy = Cgroupfs::fixture(&tree)?;
        copy.overlay = Some(overlay);
        Ok(copy)
    }

    /// Remove a fixture's private copy now, though handles on it remain (threads that end with
    /// the process); nothing for a real hierarchy.
    pub fn discard_private_copy(&self) {
        if let Some(overlay) = &self.overlay {
            let _ = fs::remove_dir_all(&overlay.dir);
        }
    }

    /// The fixture directory a private copy was made of (see [`Cgroupfs::private_copy`]).
    pub fn fixture_origin(&self) -> Option<&Path> {
        self.overlay.as_ref().map(|o| o.origin.as_path())
    }

    /// Where the changes to a fixture's private copy are journaled: beside the copy, gone with
    /// it, never the user's journal.
    pub fn private_journal(&self) -> Option<PathBuf> {
        self.overlay.as_ref().map(|o| o.dir.join("journal.jsonl"))
    }
}

//! Typed errors of the cgroup layer. Every error names the path it is about, escaped: a path
//! is a name someone else chose, and error messages end on root's terminal.

use crate::escape::{inert, visible_path};
use crate::parse::ParseError;
use std::io;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {}", visible_path(.path), inert(&.source.to_string()))]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("{}: unexpected content: {}", visible_path(.path), inert(&.source.to_string()))]
    Parse {
        path: PathBuf,
        #[source]
        source: ParseError,
    },

    #[error("no cgroup2 filesystem is mounted ({})", inert(.detail))]
    NoCgroup2 { detail: String },

    #[error(
        "{} is not on a cgroup2 filesystem (statfs type {fs_type:#x}); pass --fixture to read a fake tree",
        visible_path(.path)
    )]
    NotCgroup2 { path: PathBuf, fs_type: u64 },

    #[error(
        "{} is not a cgroup under {}: {}",
        visible_path(.path),
        visible_path(.mount),
        inert(.reason)
    )]
    OutsideMount {
        path: PathBuf,
        mount: PathBuf,
        reason: String,
    },

    #[error("cgroup {} does not exist", visible_path(.path))]
    NoSuchCgroup { path: PathBuf },
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// The errno behind this error, when it came from the kernel.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Io { source, .. } => source.raw_os_error(),
            _ => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// True when an I/O error means "the cgroup went away while we looked at it".
/// A removed cgroup's files answer ENODEV; a removed directory answers ENOENT.
pub fn is_gone(err: &io::Error) -> bool {
    matches!(
        err.raw_os_error(),
        Some(code) if code == rustix::io::Errno::NOENT.raw_os_error()
            || code == rustix::io::Errno::NODEV.raw_os_error()
    )
}

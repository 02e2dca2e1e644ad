//! The changes cgroupv2 knows how to make, as plain data: what [`crate::predict`] judges and
//! [`crate::edit`] carries out (kept apart from both so neither imports the other for it).

use crate::path::CgroupPath;

/// A change to the hierarchy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Set {
        cgroup: CgroupPath,
        file: String,
        value: String,
    },
    Mkdir {
        cgroup: CgroupPath,
    },
    Rmdir {
        cgroup: CgroupPath,
    },
    Move {
        pid: u32,
        cgroup: CgroupPath,
    },
}

impl Op {
    pub fn name(&self) -> &'static str {
        match self {
            Op::Set { .. } => "set",
            Op::Mkdir { .. } => "mkdir",
            Op::Rmdir { .. } => "rmdir",
            Op::Move { .. } => "move",
        }
    }

    pub fn cgroup(&self) -> &CgroupPath {
        match self {
            Op::Set { cgroup, .. }
            | Op::Mkdir { cgroup }
            | Op::Rmdir { cgroup }
            | Op::Move { cgroup, .. } => cgroup,
        }
    }

    /// The interface file the operation writes, if any.
    pub fn file(&self) -> Option<&str> {
        match self {
            Op::Set { file, .. } => Some(file),
            Op::Move { .. } => Some("cgroup.procs"),
            _ => None,
        }
    }
}

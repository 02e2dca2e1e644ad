//! The cgroup v2 library layer: finding the hierarchy, parsing and reading its interface files,
//! and watching it with inotify. It has no UI dependencies and could be published on its own.

pub mod devices;
pub mod edit;
pub mod error;
pub mod escape;
pub mod explain;
pub mod files;
pub mod fs;
pub mod mount;
pub mod parse;
pub mod path;
pub mod predict;
pub mod process;
pub mod rules;
pub mod sample;
pub mod systemd;
pub mod value;
pub mod watch;

pub use error::{Error, Result};
pub use fs::Cgroupfs;
pub use parse::Limit;
pub use path::CgroupPath;
pub use sample::{CgroupSample, Scope};

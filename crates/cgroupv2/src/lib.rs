//! Linux cgroup v2, as the kernel really behaves.
//!
//! - [`Cgroupfs`] finds the cgroup2 hierarchy (or a fixture laid out like it) and reads it at any
//!   depth through `openat`; a vanished cgroup is `None`, not an error.
//! - [`parse`] has a pure parser per interface file format (`&str -> Result<T>`), tested on
//!   kernel text; [`interface`] binds every interface file, in one table, to its parser, how
//!   often it changes and how its write handler judges a value (a typed constant per file:
//!   `fs.get(&cgroup, interface::MEMORY_MAX)`); [`sample`] reads a cgroup's counters into a
//!   [`CgroupSample`].
//! - [`watch`] reports new and removed cgroups, populated/frozen flips and OOM kills through
//!   inotify, asking for exactly the events it needs.
//! - [`predict`] answers "will the kernel allow this write, and if not, which errno and which
//!   rule?" by following the kernel's own checks ([`rules`] names the rules); [`value`] checks a
//!   value as the file's handler would; [`edit`] makes the write, reads it back and explains
//!   the kernel's answer with the same engine ("why did it?").
//! - [`fixture`]: a captured tree behaves like its host (owners, modes, xattrs and users
//!   recorded beside the files), so everything above works on it too.
//! - [`systemd`] tells which systemd manager owns a cgroup (its single-writer rule) and maps
//!   interface files to unit properties; with the `dbus` feature (on by default) it also talks
//!   to the managers, with timeouts and a verified peer.
//! - [`workload`] names what runs in a cgroup from its path alone (units, sessions, Docker,
//!   Podman, Kubernetes pods, machines, LXC, apps); [`workload::engine`] can ask Docker or
//!   Podman for container names, over a socket checked like a user's bus ([`peer`]).
//! - [`escape`] makes names, command lines and unit names, which unprivileged users choose, safe
//!   to show.
//!
//! ```
//! use cgroupv2::edit::Op;
//! use cgroupv2::predict::{predict, Actor};
//! use cgroupv2::{CgroupPath, Cgroupfs};
//! use std::path::Path;
//!
//! // A capture of a Debian 12 / systemd 252 host (the same calls work on `Cgroupfs::system()`).
//! let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/debian12");
//! let fs = Cgroupfs::fixture(&fixture)?;
//! let service = fs.resolve(Path::new("/system.slice/fxload.service"))?;
//!
//! let events = fs.read(&service, "cgroup.events", cgroupv2::parse::cgroup_events)?;
//! assert!(events.is_some_and(|e| e.populated));
//!
//! // Would writing "+memory" to its cgroup.subtree_control work, and why not?
//! let op = Op::Set {
//!     cgroup: service.clone(),
//!     file: "cgroup.subtree_control".into(),
//!     value: "+memory".into(),
//! };
//! let prediction = predict(&fs, &Actor::current(&fs), &op);
//! println!("{:?} {} [{}]", prediction.verdict, prediction.explanation, prediction.rule);
//! println!("the write: {}", prediction.command.unwrap_or_default());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod devices;
pub mod edit;
pub mod error;
pub mod escape;
pub mod explain;
pub mod files;
pub mod fixture;
pub mod fs;
pub mod interface;
pub mod mount;
pub mod op;
pub mod parse;
pub mod path;
pub mod peer;
pub mod predict;
pub mod process;
pub mod rules;
pub mod sample;
pub mod stats;
pub mod systemd;
pub mod users;
pub mod value;
pub mod watch;
pub mod workload;

pub use error::{Error, Result};
pub use fs::Cgroupfs;
pub use parse::Limit;
pub use path::CgroupPath;
pub use sample::{CgroupSample, Scope};

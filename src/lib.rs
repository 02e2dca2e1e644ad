//! cgtui: monitor and edit Linux cgroup v2, and learn how delegation behaves.
//!
//! [`cgroup`] is a self-contained cgroup v2 library (no UI imports). [`model`] turns samples
//! into rates and a tree. The rest is the terminal application.

// First: its macros (`out!`, `errln!`) are used by the modules below.
#[macro_use]
pub mod output;
pub mod app;
pub mod collect;
/// The cgroup v2 library: the `cgroupv2` crate (crates/cgroupv2), named as the app knows it.
pub use cgroupv2 as cgroup;
pub mod cli;
pub mod commands;
pub mod config;
pub mod editor;
pub mod exercises;
pub mod export;
pub mod fleet;
pub mod format;
pub mod history;
pub mod i18n;
pub mod interval;
pub mod journal;
pub mod lessons;
pub mod model;
pub mod playground;
pub mod snapshot;
pub mod theme;
pub mod thread;
pub mod time;
pub mod trusted;
pub mod tui;
pub mod ui;

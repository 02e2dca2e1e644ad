//! Colours and emphasis by meaning. Rendering asks for a [`Role`], never for a colour, so the
//! monochrome theme (chosen by `theme = "mono"`, `NO_COLOR` or `--color never`) keeps every
//! signal readable with bold, underline, reverse and dim alone.

use ratatui::style::{Color, Modifier, Style};

/// What a piece of text means, for styling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The `cgtui` badge in the header.
    Badge,
    /// Column headers of tables.
    ColumnHeader,
    /// The selected row.
    Selected,
    Bold,
    /// Hints, explanations, values that are zero or absent.
    Dim,
    /// Allowed, done.
    Ok,
    /// Warnings, notices, read-only.
    Warning,
    /// Refused, failed.
    Refused,
    /// A row with an OOM kill in the last seconds.
    Oom,
    Frozen,
    Populated,
    Empty,
    Slice,
    Service,
    Scope,
    /// Where ownership changes to the user running cgtui.
    Yours,
    /// cgtui's own cgroup.
    Own,
    /// A value by how alarming it is.
    Level(Level),
    /// History graphs.
    SparkCpu,
    SparkMemory,
    SparkIo,
    /// `code` and commands in lessons.
    Code,
    /// Dialog borders by kind.
    BorderForm,
    BorderConfirm,
    BorderText,
}

/// How alarming a value is, for colouring by value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Zero or nothing to see.
    Idle,
    Normal,
    Elevated,
    High,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThemeName {
    Default,
    Mono,
}

impl ThemeName {
    pub const ALL: [(&'static str, ThemeName); 2] =
        [("default", ThemeName::Default), ("mono", ThemeName::Mono)];

    pub fn parse(text: &str) -> Option<ThemeName> {
        ThemeName::ALL
            .iter()
            .find(|(name, _)| *name == text)
            .map(|(_, t)| *t)
    }
}

/// Whether to use colour at all: `--color never|auto|always`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    Never,
    /// Colour unless `NO_COLOR` is set (to anything but the empty string) or TERM is `dumb`.
    #[default]
    Auto,
    Always,
}

impl ColorChoice {
    pub fn parse(text: &str) -> Option<ColorChoice> {
        match text {
            "never" => Some(ColorChoice::Never),
            "auto" => Some(ColorChoice::Auto),
            "always" => Some(ColorChoice::Always),
            _ => None,
        }
    }

    /// Decide, given the environment's `NO_COLOR` and `TERM`.
    pub fn use_colour(self, no_color: Option<&std::ffi::OsStr>, term: Option<&str>) -> bool {
        match self {
            ColorChoice::Never => false,
            ColorChoice::Always => true,
            ColorChoice::Auto => no_color.is_none_or(|v| v.is_empty()) && term != Some("dumb"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub name: ThemeName,
}

impl Default for Theme {
    fn default() -> Self {
        Theme {
            name: ThemeName::Default,
        }
    }
}

impl Theme {
    /// The theme asked for, or mono when colour is off.
    pub fn new(name: ThemeName, colour: bool) -> Theme {
        Theme {
            name: if colour { name } else { ThemeName::Mono },
        }
    }

    pub fn mono() -> Theme {
        Theme {
            name: ThemeName::Mono,
        }
    }

    pub fn is_mono(&self) -> bool {
        self.name == ThemeName::Mono
    }

    pub fn style(&self, role: Role) -> Style {
        match self.name {
            ThemeName::Default => colour_style(role),
            ThemeName::Mono => mono_style(role),
        }
    }
}

fn fg(color: Color) -> Style {
    Style::default().fg(color)
}

fn modifier(m: Modifier) -> Style {
    Style::default().add_modifier(m)
}

fn colour_style(role: Role) -> Style {
    match role {
        Role::Badge => modifier(Modifier::BOLD | Modifier::REVERSED),
        Role::ColumnHeader => modifier(Modifier::REVERSED),
        Role::Selected => modifier(Modifier::REVERSED),
        Role::Bold => modifier(Modifier::BOLD),
        Role::Dim => fg(Color::DarkGray),
        Role::Ok => fg(Color::Green),
        Role::Warning => fg(Color::Yellow),
        Role::Refused => fg(Color::Red).add_modifier(Modifier::BOLD),
        Role::Oom => Style::default()
            .bg(Color::Red)
            .fg(Color::White)
            .add_modifier(Modifier::BOLD),
        Role::Frozen => fg(Color::Blue).add_modifier(Modifier::BOLD),
        Role::Populated => fg(Color::Green),
        Role::Empty => fg(Color::DarkGray),
        Role::Slice => modifier(Modifier::BOLD),
        Role::Service => fg(Color::Green),
        Role::Scope => fg(Color::Cyan),
        Role::Yours => fg(Color::Magenta),
        Role::Own => fg(Color::Yellow),
        Role::Level(Level::Idle) => fg(Color::DarkGray),
        Role::Level(Level::Normal) => Style::default(),
        Role::Level(Level::Elevated) => fg(Color::Yellow),
        Role::Level(Level::High) => fg(Color::Red).add_modifier(Modifier::BOLD),
        Role::SparkCpu => fg(Color::Green),
        Role::SparkMemory => fg(Color::Magenta),
        Role::SparkIo => fg(Color::Blue),
        Role::Code => fg(Color::Cyan),
        Role::BorderForm => fg(Color::Cyan),
        Role::BorderConfirm => fg(Color::Yellow),
        Role::BorderText => fg(Color::Magenta),
    }
}

/// No colour: emphasis alone. Every signal also carries a word or a marker in the text
/// (`❄`, `OOM`, `refused`, `READ-ONLY`), so nothing depends on the style.
fn mono_style(role: Role) -> Style {
    match role {
        Role::Badge => modifier(Modifier::BOLD | Modifier::REVERSED),
        Role::ColumnHeader | Role::Selected => modifier(Modifier::REVERSED),
        Role::Bold | Role::Slice | Role::Frozen => modifier(Modifier::BOLD),
        Role::Dim | Role::Empty | Role::Level(Level::Idle) => modifier(Modifier::DIM),
        Role::Refused | Role::Level(Level::High) => modifier(Modifier::BOLD | Modifier::UNDERLINED),
        Role::Oom => modifier(Modifier::BOLD | Modifier::UNDERLINED | Modifier::REVERSED),
        Role::Warning | Role::Level(Level::Elevated) => modifier(Modifier::BOLD),
        Role::Yours | Role::Own => modifier(Modifier::ITALIC),
        // Commands and `code` in lessons, told apart from prose without colour.
        Role::Code => modifier(Modifier::BOLD),
        _ => Style::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_and_the_flag() {
        let set = Some(std::ffi::OsStr::new("1"));
        let empty = Some(std::ffi::OsStr::new(""));
        assert!(!ColorChoice::Auto.use_colour(set, Some("xterm")));
        assert!(ColorChoice::Auto.use_colour(empty, Some("xterm")));
        assert!(ColorChoice::Auto.use_colour(None, Some("xterm")));
        assert!(!ColorChoice::Auto.use_colour(None, Some("dumb")));
        assert!(ColorChoice::Always.use_colour(set, Some("dumb")));
        assert!(!ColorChoice::Never.use_colour(None, None));
    }

    #[test]
    fn mono_has_no_colour_for_any_role() {
        let mono = Theme::mono();
        let roles = [
            Role::Oom,
            Role::Refused,
            Role::Frozen,
            Role::Level(Level::High),
            Role::Warning,
            Role::Dim,
            Role::SparkCpu,
            Role::BorderConfirm,
        ];
        for role in roles {
            let style = mono.style(role);
            assert!(style.fg.is_none() && style.bg.is_none(), "{role:?}");
        }
        // High and idle values must not look alike without colour.
        assert_ne!(
            mono.style(Role::Level(Level::High)),
            mono.style(Role::Level(Level::Idle))
        );
        assert_ne!(mono.style(Role::Oom), mono.style(Role::Selected));
    }
}

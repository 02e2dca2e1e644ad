//! The config file: `$XDG_CONFIG_HOME/cgtui/config.toml` (default `~/.config/cgtui/`), or the
//! file given with `--config`. A missing default file is fine; a bad file is an error that
//! names its line and key. Command-line flags override it.
//!
//! ```toml
//! interval = 2.5                      # seconds between polls of the counters
//! columns = ["cpu", "mem", "memlim", "swap", "pids", "psi"]
//! sort = "cpu"                        # name or any column
//! theme = "default"                   # or "mono"
//! color = "auto"                      # never | auto | always (NO_COLOR counts under auto)
//! store_history = true                # sparklines reach back into a recorder's store
//! cpu_scale = "capacity"              # CPU sparkline's top: capacity (CPUs or quota) | peak
//! max_watches = 20000                 # inotify watches at most (as --max-watches), then poll
//! [thresholds]                        # per column: elevated from warn, high from crit
//! cpu = { warn = 50, crit = 90 }
//! mem = { crit = 80 }                 # % of the memory limit
//! [keys]
//! quit = "q"
//! edit = ["e", "F4"]
//! ```

use crate::app::keymap::{Key, Keymap};
use crate::model::column::{ColumnThresholds, Thresholds};
use crate::model::series::CpuScale;
use crate::model::view::Column;
use crate::theme::{ColorChoice, ThemeName};
use anyhow::{Result, bail};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

/// What the file says; `None` where it says nothing.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub interval: Option<Duration>,
    pub columns: Option<Vec<Column>>,
    pub sort: Option<Column>,
    pub theme: Option<ThemeName>,
    pub color: Option<ColorChoice>,
    /// `false`: sparklines from the live samples only, as with `--no-store`.
    pub store_history: Option<bool>,
    /// The top of the CPU sparkline.
    pub cpu_scale: Option<CpuScale>,
    /// At most this many inotify watches, as `--max-watches` (which wins).
    pub max_watches: Option<usize>,
    /// The keymap with the `[keys]` rebindings applied.
    pub keymap: Keymap,
    /// Each column's thresholds, with the `[thresholds]` of the file applied.
    pub thresholds: ColumnThresholds,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawThresholds {
    warn: Option<f64>,
    crit: Option<f64>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum KeyList {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    interval: Option<Spanned<f64>>,
    columns: Option<Spanned<Vec<Spanned<String>>>>,
    sort: Option<Spanned<String>>,
    theme: Option<Spanned<String>>,
    color: Option<Spanned<String>>,
    store_history: Option<bool>,
    cpu_scale: Option<Spanned<String>>,
    max_watches: Option<usize>,
    keys: Option<BTreeMap<Spanned<String>, Spanned<KeyList>>>,
    thresholds: Option<BTreeMap<Spanned<String>, Spanned<RawThresholds>>>,
    /// Credentials for `--prometheus`: read by its command (commands::prometheus).
    #[allow(dead_code)]
    prometheus: Option<toml::Table>,
}

/// The default place: `$XDG_CONFIG_HOME/cgtui/config.toml`, else `$HOME/.config/cgtui/…`.
pub fn default_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|home| PathBuf::from(home).join(".config"))
        })?;
    Some(base.join("cgtui/config.toml"))
}

/// Read the config: `explicit` from `--config` (must exist), else the default place (may not).
pub fn load(explicit: Option<&Path>) -> Result<Config> {
    load_from(explicit, default_path())
}

fn load_from(explicit: Option<&Path>, default: Option<PathBuf>) -> Result<Config> {
    let path = match (explicit, default) {
        (Some(path), _) => path.to_path_buf(),
        (None, Some(path)) => path,
        (None, None) => return Ok(Config::default()),
    };
    // Read through trusted directories only: under `sudo -E` the default place may be in a
    // user's home, and a file they control must not rebind a root session's keys.
    let text = match crate::trusted::read_trusted_config(&path)? {
        Some(text) => text,
        None if explicit.is_none() => return Ok(Config::default()),
        None => anyhow::bail!(
            "cannot read config {}: it does not exist or is not readable",
            crate::cgroup::escape::visible_path(&path)
        ),
    };
    parse(&text)
        .map_err(|e| anyhow::anyhow!("config {}: {e}", crate::cgroup::escape::visible_path(&path)))
}

fn line_of(text: &str, span: Option<Range<usize>>) -> usize {
    span.map_or(1, |s| {
        text[..s.start.min(text.len())].matches('\n').count() + 1
    })
}

/// The bare key a `key = value` line sets, to name it in a type error.
fn key_on_line(text: &str, line: usize) -> Option<&str> {
    let (key, _) = text.lines().nth(line.checked_sub(1)?)?.split_once('=')?;
    let key = key.trim();
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    bare.then_some(key)
}

/// Parse a config file's text. Errors read `line N: key: what is wrong`.
pub fn parse(text: &str) -> Result<Config> {
    let raw: Raw = toml::from_str(text).map_err(|e| {
        let line = line_of(text, e.span());
        match key_on_line(text, line) {
            Some(key) => anyhow::anyhow!("line {line}: {key}: {}", e.message().trim()),
            None => anyhow::anyhow!("line {line}: {}", e.message().trim()),
        }
    })?;
    let fail = |span: Range<usize>, key: &str, why: String| -> anyhow::Error {
        anyhow::anyhow!("line {}: {key}: {why}", line_of(text, Some(span)))
    };
    let column_ids = || Column::all().map(Column::id).collect::<Vec<_>>().join(", ");
    let mut config = Config::default();
    if let Some(interval) = raw.interval {
        use crate::interval::{MAX_INTERVAL, MIN_INTERVAL, secs_text};
        let secs = *interval.get_ref();
        let parsed = crate::interval::from_secs(secs).map_err(|_| {
            fail(
                interval.span(),
                "interval",
                format!(
                    "{secs} is not between {} and {} seconds",
                    secs_text(MIN_INTERVAL),
                    secs_text(MAX_INTERVAL)
                ),
            )
        })?;
        config.interval = Some(parsed);
    }
    if let Some(columns) = raw.columns {
        let mut parsed = Vec::new();
        for id in columns.get_ref() {
            let column = Column::parse(id.get_ref()).ok_or_else(|| {
                fail(
                    id.span(),
                    "columns",
                    format!(
                        "unknown column {:?} (columns: {})",
                        id.get_ref(),
                        column_ids()
                    ),
                )
            })?;
            if parsed.contains(&column) {
                return Err(fail(
                    id.span(),
                    "columns",
                    format!("{:?} is listed twice", id.get_ref()),
                ));
            }
            if column != Column::Name {
                parsed.push(column);
            }
        }
        config.columns = Some(parsed);
    }
    if let Some(sort) = raw.sort {
        config.sort = Some(Column::parse(sort.get_ref()).ok_or_else(|| {
            fail(
                sort.span(),
                "sort",
                format!(
                    "unknown column {:?} (columns: {})",
                    sort.get_ref(),
                    column_ids()
                ),
            )
        })?);
    }
    if let Some(theme) = raw.theme {
        config.theme = Some(ThemeName::parse(theme.get_ref()).ok_or_else(|| {
            let names: Vec<&str> = ThemeName::ALL.iter().map(|(n, _)| *n).collect();
            fail(
                theme.span(),
                "theme",
                format!(
                    "unknown theme {:?} (themes: {})",
                    theme.get_ref(),
                    names.join(", ")
                ),
            )
        })?);
    }
    if let Some(color) = raw.color {
        config.color = Some(ColorChoice::parse(color.get_ref()).ok_or_else(|| {
            fail(
                color.span(),
                "color",
                format!("{:?} is not never, auto or always", color.get_ref()),
            )
        })?);
    }
    config.store_history = raw.store_history;
    config.max_watches = raw.max_watches;
    if let Some(scale) = raw.cpu_scale {
        config.cpu_scale = Some(CpuScale::parse(scale.get_ref()).ok_or_else(|| {
            let names: Vec<&str> = CpuScale::ALL.iter().map(|(_, n)| *n).collect();
            fail(
                scale.span(),
                "cpu_scale",
                format!("{:?} is not {}", scale.get_ref(), names.join(" or ")),
            )
        })?);
    }
    for (name, levels) in raw.thresholds.into_iter().flatten() {
        let key = format!("[thresholds] {}", name.get_ref());
        let column = Column::parse(name.get_ref())
            .filter(|c| *c != Column::Name)
            .ok_or_else(|| {
                fail(
                    name.span(),
                    &key,
                    format!("unknown column (columns: {})", column_ids()),
                )
            })?;
        let RawThresholds { warn, crit } = *levels.get_ref();
        if let (Some(warn), Some(crit)) = (warn, crit)
            && warn > crit
        {
            return Err(fail(
                levels.span(),
                &key,
                format!("warn {warn} is above crit {crit}"),
            ));
        }
        // What the file leaves out keeps the table's value.
        let defaults = config.thresholds.get(column);
        config.thresholds.set(
            column,
            Thresholds {
                warn: warn.or(defaults.warn),
                crit: crit.or(defaults.crit),
            },
        );
    }
    for (name, keys) in raw.keys.into_iter().flatten() {
        let key_name = format!("[keys] {}", name.get_ref());
        let texts = match keys.get_ref() {
            KeyList::One(one) => vec![one.clone()],
            KeyList::Many(many) => many.clone(),
        };
        let parsed = texts
            .iter()
            .map(|t| Key::parse(t))
            .collect::<Result<Vec<Key>, String>>()
            .map_err(|why| fail(keys.span(), &key_name, why))?;
        config
            .keymap
            .rebind(name.get_ref(), &parsed)
            .map_err(|why| fail(name.span(), &key_name, why.0))?;
    }
    Ok(config)
}

/// `text` (a config file's) with `columns` set to `columns`: comments, other keys and their
/// order are kept, as is the comment after an existing `columns` line.
pub fn with_columns(text: &str, columns: &[Column]) -> Result<String> {
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e| anyhow::anyhow!("the config is not valid TOML: {e}"))?;
    let ids: toml_edit::Array = columns.iter().map(|c| c.id()).collect();
    match doc.get_mut("columns").and_then(|item| item.as_value_mut()) {
        Some(value) => {
            let decor = value.decor().clone();
            *value = toml_edit::Value::Array(ids);
            *value.decor_mut() = decor;
        }
        None => {
            doc.insert("columns", toml_edit::value(ids));
        }
    }
    Ok(doc.to_string())
}

/// Save `columns` into the config file at `path` (created if missing), through the same
/// trusted directories as reading it; the rest of the file is kept as it is.
pub fn save_columns(path: &Path, columns: &[Column]) -> Result<()> {
    let text = crate::trusted::read_trusted_config(path)?.unwrap_or_default();
    let saved = with_columns(&text, columns)?;
    // Never leave a file behind that the next start would refuse.
    parse(&saved).map_err(|e| anyhow::anyhow!("the saved config would not load: {e}"))?;
    crate::trusted::write_trusted_config(path, &saved)
}

/// Refuse a config that would leave no way to quit or get help.
pub fn check(config: &Config) -> Result<()> {
    use crate::app::{Action, Context};
    for action in [Action::Quit, Action::Help] {
        if config.keymap.keys_for(Context::Main, action).is_empty() {
            bail!("config: no key left for {}", action.name());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_config() {
        let config = parse(
            r#"
interval = 2.5
columns = ["cpu", "mem", "memlim", "swap", "pids", "psi"]
sort = "cpu"
theme = "mono"
color = "never"
store_history = false
cpu_scale = "peak"
[keys]
quit = "x"
edit = ["E", "F4"]
"#,
        )
        .unwrap();
        assert_eq!(config.store_history, Some(false));
        assert_eq!(config.cpu_scale, Some(CpuScale::Peak));
        assert_eq!(config.interval, Some(Duration::from_millis(2500)));
        assert_eq!(config.columns.as_ref().unwrap().len(), 6);
        assert_eq!(config.sort, Some(Column::Cpu));
        assert_eq!(config.theme, Some(ThemeName::Mono));
        assert_eq!(config.color, Some(ColorChoice::Never));
        use crate::app::{Action, Context};
        assert_eq!(config.keymap.keys_for(Context::Main, Action::Quit), "x");
        assert_eq!(config.keymap.keys_for(Context::Main, Action::Edit), "E");
        check(&config).unwrap();
    }

    #[test]
    fn max_watches_caps_the_inotify_watches() {
        assert_eq!(
            parse("max_watches = 5000\n").unwrap().max_watches,
            Some(5000)
        );
        assert_eq!(parse("").unwrap().max_watches, None);
        let negative = parse("interval = 1\nmax_watches = -1\n").unwrap_err();
        assert!(
            negative.to_string().starts_with("line 2: max_watches: "),
            "{negative}"
        );
    }

    #[test]
    fn errors_name_the_line_and_the_key() {
        let cases = [
            (
                "interval = 2.5\nsort = \"bogus\"\n",
                "line 2: sort: unknown column \"bogus\"",
            ),
            (
                "\n\ninterval = 0.01\n",
                "line 3: interval: 0.01 is not between",
            ),
            (
                "columns = [\"cpu\",\n  \"nope\"]\n",
                "line 2: columns: unknown column \"nope\"",
            ),
            (
                "theme = \"neon\"\n",
                "line 1: theme: unknown theme \"neon\"",
            ),
            (
                "colums = [\"cpu\"]\n",
                "line 1: colums: unknown field `colums`",
            ),
            ("interval = \"fast\"\n", "line 1: interval: invalid type"),
            (
                "store_history = \"no\"\n",
                "line 1: store_history: invalid type",
            ),
            (
                "\ncpu_scale = \"max\"\n",
                "line 2: cpu_scale: \"max\" is not capacity or peak",
            ),
            (
                "[keys]\nquit = \"Hyper-q\"\n",
                "line 2: [keys] quit: \"Hyper-q\" is not a key",
            ),
            (
                "[keys]\n\nfly = \"z\"\n",
                "line 3: [keys] fly: no action called \"fly\"",
            ),
            (
                "[keys]\nedit = \"j\"\n",
                "line 2: [keys] edit: j is already bound to down",
            ),
            ("interval = 1\ninterval = 2\n", "line 2:"),
        ];
        for (text, expected) in cases {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.starts_with(expected), "{text:?}: {err}");
        }
    }

    #[test]
    fn thresholds_replace_the_tables_and_name_their_errors() {
        let config =
            parse("[thresholds]\ncpu = { warn = 60, crit = 95 }\nmem = { crit = 80 }\n").unwrap();
        assert_eq!(
            config.thresholds.get(Column::Cpu),
            Thresholds {
                warn: Some(60.0),
                crit: Some(95.0)
            }
        );
        let mem = config.thresholds.get(Column::Memory);
        assert_eq!((mem.warn, mem.crit), (Some(75.0), Some(80.0)), "warn kept");
        assert_eq!(
            config.thresholds.get(Column::Pids),
            ColumnThresholds::default().get(Column::Pids)
        );
        for (text, expected) in [
            (
                "[thresholds]\nbogus = { warn = 1 }\n",
                "line 2: [thresholds] bogus: unknown column",
            ),
            (
                "[thresholds]\ncpu = { warn = 90, crit = 50 }\n",
                "line 2: [thresholds] cpu: warn 90 is above crit 50",
            ),
            ("[thresholds]\ncpu = { hot = 1 }\n", "line 2"),
        ] {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.starts_with(expected), "{text:?}: {err}");
        }
    }

    #[test]
    fn saving_columns_keeps_comments_and_other_keys() {
        let text = "# my cgtui\ninterval = 2.5 # slow host\ncolumns = [\"cpu\", \"mem\"] # the two I watch\n\n[keys]\n# mine\nquit = \"x\"\n";
        let saved = with_columns(text, &[Column::WorkingSet, Column::Cpu]).unwrap();
        assert_eq!(
            saved,
            "# my cgtui\ninterval = 2.5 # slow host\ncolumns = [\"wss\", \"cpu\"] # the two I watch\n\n[keys]\n# mine\nquit = \"x\"\n"
        );
        // A file without `columns` gains it before its tables, and still loads.
        let added = with_columns("[keys]\nquit = \"x\"\n", &[Column::Anon]).unwrap();
        let config = parse(&added).unwrap();
        assert_eq!(config.columns, Some(vec![Column::Anon]));
        assert!(added.contains("quit = \"x\""), "{added}");
        // Through the trusted path: a file of ours is rewritten in place, a new one made.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.toml");
        std::fs::write(&file, text).unwrap();
        save_columns(&file, &[Column::Psi]).unwrap();
        let written = std::fs::read_to_string(&file).unwrap();
        assert!(written.starts_with("# my cgtui\n"), "{written}");
        assert!(
            written.contains("columns = [\"psi\"] # the two I watch"),
            "{written}"
        );
        let fresh = dir.path().join("new/config.toml");
        save_columns(&fresh, &[Column::Cpu]).unwrap();
        assert_eq!(
            load_from(Some(&fresh), None).unwrap().columns,
            Some(vec![Column::Cpu])
        );
        // A symlink in place of the file is not written through.
        let link = dir.path().join("link.toml");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert!(save_columns(&link, &[Column::Cpu]).is_err());
        assert_eq!(std::fs::read_to_string(&file).unwrap(), written);
    }

    #[test]
    fn a_missing_default_file_is_fine_but_a_missing_explicit_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.toml");
        assert!(load_from(Some(&missing), None).is_err());
        assert!(load_from(None, Some(missing)).unwrap().interval.is_none());
    }

    #[test]
    fn a_config_another_user_controls_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let me = rustix::process::geteuid().as_raw();
        let other = if me == 0 { 65534 } else { 0 };
        let file = dir.path().join("config.toml");
        std::fs::write(&file, "interval = 9\n").unwrap();
        assert_eq!(
            load_from(Some(&file), None).unwrap().interval,
            Some(std::time::Duration::from_secs(9))
        );
        // Writable by others: refused, default place or not.
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
        let err = load_from(None, Some(file.clone())).unwrap_err().to_string();
        assert!(
            err.contains("refusing the config") && err.contains("others may write"),
            "{err}"
        );
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        // A symlink to a good file is refused too: its target could change.
        let link = dir.path().join("link.toml");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert!(load_from(Some(&link), None).is_err());
        if me == 0 {
            // Another user's file, as root under sudo -E would meet it.
            rustix::fs::chown(&file, Some(rustix::fs::Uid::from_raw(other)), None).unwrap();
            let err = load_from(None, Some(file.clone())).unwrap_err().to_string();
            assert!(err.contains("belongs to uid 65534"), "{err}");
            // A directory of another user's on the way is refused as well.
            rustix::fs::chown(&file, Some(rustix::fs::Uid::from_raw(0)), None).unwrap();
            let sub = dir.path().join("home");
            std::fs::create_dir(&sub).unwrap();
            std::fs::copy(&file, sub.join("config.toml")).unwrap();
            rustix::fs::chown(&sub, Some(rustix::fs::Uid::from_raw(other)), None).unwrap();
            assert!(load_from(None, Some(sub.join("config.toml"))).is_err());
        }
    }
}

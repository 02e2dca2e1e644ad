//! `cgtui --prometheus URL [--instance NAME]` and `cgtui replay --prometheus URL --instance
//! NAME [--at TIME]`: the TUI, read-only, on any host's tree as Prometheus holds it (what
//! `cgtui export` on that host sent it). Without `--instance`, an instance picker first; the
//! quit key in a tree comes back to it. The tree is fed by [`crate::fleet::source`], which
//! the runtime knows only as a [`RemoteSource`].

use super::Hierarchy;
use crate::cgroup::escape::visible;
use crate::cli::Global;
use crate::fleet::client::{Auth, Prometheus};
use crate::fleet::source::{self, DEFAULT_SCRAPE_INTERVAL, Mode};
use crate::fleet::{Instance, Subtree};
use crate::tui::{Ended, RemoteSource};
use anyhow::{Context, Result, anyhow, bail};
use std::time::Duration;

/// Where the trees come from: the server, its credentials, the subtree (`--root`, a path on
/// the instance's host).
pub struct Server {
    url: String,
    auth: Option<Auth>,
    subtree: Subtree,
}

impl Server {
    pub fn new(url: &str, global: &Global) -> Result<Server> {
        let prefix = match &global.root {
            Some(root) => root
                .to_str()
                .and_then(crate::fleet::tree::cgroup_path)
                .ok_or_else(|| {
                    anyhow!(
                        "--root {} is not a cgroup path",
                        crate::cgroup::escape::visible_path(root)
                    )
                })?,
            None => crate::cgroup::CgroupPath::root(),
        };
        let server = Server {
            url: url.to_string(),
            auth: auth(global)?,
            subtree: Subtree {
                prefix,
                max_depth: None,
            },
        };
        // A wrong URL is an error now, before any query.
        server.client()?;
        Ok(server)
    }

    fn client(&self) -> Result<Prometheus> {
        Prometheus::new(&self.url, self.auth.clone())
    }

    /// One instance's tree as the TUI's source: its first query is made now, so that a wrong
    /// URL or instance is an error before the terminal is taken.
    fn source(&self, instance: &str, mode: Mode, picker: bool) -> Result<RemoteSource> {
        let prometheus = self.client()?;
        let at = match mode {
            Mode::Replay { at } => at.map(|ms| ms as f64 / 1000.0),
            Mode::Live { .. } => None,
        };
        let times = crate::fleet::scrape_times(&prometheus, instance, at)?;
        let scrape_interval = match times.as_slice() {
            [older, newer] if newer > older => Duration::from_millis((newer - older) as u64),
            _ => DEFAULT_SCRAPE_INTERVAL,
        };
        let (replay, interval) = match mode {
            Mode::Live { interval } => (false, Some(interval.unwrap_or(scrape_interval))),
            Mode::Replay { .. } => (true, None),
        };
        let mut name = format!(
            "prometheus {} · instance {}",
            visible(self.url.as_bytes()),
            visible(instance.as_bytes())
        );
        if picker {
            name.push_str(" · q: back to the instances");
        }
        let remote = crate::fleet::source::Remote {
            prometheus,
            instance: instance.to_string(),
            subtree: self.subtree.clone(),
        };
        Ok(RemoteSource {
            name,
            replay,
            interval,
            start: Box::new(move |feed| source::spawn(remote, mode, feed).map(|(moves, _)| moves)),
        })
    }
}

/// `cgtui --prometheus URL [--instance NAME]`: live.
pub fn live(
    global: &Global,
    hierarchy: Hierarchy,
    url: &str,
    instance: Option<&str>,
) -> Result<i32> {
    let server = Server::new(url, global)?;
    let mode = Mode::Live {
        interval: global.interval,
    };
    if let Some(instance) = instance {
        let remote = server.source(instance, mode, false)?;
        super::tui::run_fed(global, hierarchy, None, Some(remote))?;
        return Ok(0);
    }
    let prometheus = server.client()?;
    let mut picker = Picker::new(crate::fleet::instances(&prometheus, None)?);
    if picker.instances.is_empty() {
        bail!(
            "{} knows no instance exporting cgtui's metrics (cgtui_export_cgroups) in the last {} \
             minutes: is a `cgtui export` scraped?",
            prometheus.url(),
            crate::fleet::LOOKBACK.as_secs() / 60
        );
    }
    loop {
        let Some(instance) = picker.pick(&prometheus)? else {
            return Ok(0);
        };
        let remote = match server.source(&instance, mode, true) {
            Ok(remote) => remote,
            Err(e) => {
                picker.problem = Some(format!("{e:#}"));
                continue;
            }
        };
        let tree = Hierarchy {
            fs: hierarchy.fs.clone(),
            base: hierarchy.base.clone(),
        };
        if super::tui::run_fed(global, tree, None, Some(remote))? == Ended::Signal {
            return Ok(0);
        }
    }
}

/// `cgtui replay --prometheus URL --instance NAME [--at TIME]`: the past, moved through by
/// the replay keys.
pub fn replay(
    global: &Global,
    hierarchy: Hierarchy,
    url: &str,
    instance: &str,
    at: Option<i64>,
) -> Result<i32> {
    let server = Server::new(url, global)?;
    let remote = server.source(instance, Mode::Replay { at }, false)?;
    super::tui::run_fed(global, hierarchy, None, Some(remote))?;
    Ok(0)
}

/// The credentials: from the environment (`CGTUI_PROMETHEUS_*`), else from the config
/// file's `[prometheus]` table (`--config`, else the default place).
pub fn auth(global: &Global) -> Result<Option<Auth>> {
    if let Some(auth) = Auth::from_env()? {
        return Ok(Some(auth));
    }
    let Some(path) = global.config.clone().or_else(crate::config::default_path) else {
        return Ok(None);
    };
    let shown = crate::cgroup::escape::visible_path(&path);
    let Some(text) = crate::trusted::read_trusted_config(&path)? else {
        return Ok(None);
    };
    #[derive(serde::Deserialize)]
    struct File {
        prometheus: Option<crate::fleet::client::CredentialFiles>,
    }
    let file: File = toml::from_str(&text).with_context(|| format!("config {shown}"))?;
    let Some(files) = file.prometheus else {
        return Ok(None);
    };
    let dir = path.parent().unwrap_or(std::path::Path::new("/"));
    Auth::from_files(&files, dir).with_context(|| format!("config {shown}"))
}

/// The local hierarchy the runtime holds (its journal and predictions stay unused: a remote
/// tree is read-only): `--fixture`, else the kernel's.
pub fn hierarchy_fs(global: &Global) -> Result<crate::cgroup::Cgroupfs> {
    match &global.fixture {
        Some(dir) => crate::cgroup::Cgroupfs::fixture(dir).with_context(|| {
            format!(
                "cannot use fixture {}",
                crate::cgroup::escape::visible_path(dir)
            )
        }),
        None => crate::cgroup::Cgroupfs::system().context("cannot find the cgroup2 hierarchy"),
    }
}

/// The instance picker: the instances and their summary, one to open.
pub struct Picker {
    pub instances: Vec<Instance>,
    pub selected: usize,
    /// Why the last refresh or open failed.
    pub problem: Option<String>,
}

/// What a key does in the picker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickerKey {
    Up,
    Down,
    First,
    Last,
    Open,
    Refresh,
    Quit,
}

impl PickerKey {
    pub fn of(key: &crossterm::event::KeyEvent) -> Option<PickerKey> {
        use crossterm::event::{KeyCode, KeyModifiers};
        if key.modifiers.contains(KeyModifiers::CONTROL) {
            return (key.code == KeyCode::Char('c')).then_some(PickerKey::Quit);
        }
        Some(match key.code {
            KeyCode::Up | KeyCode::Char('k') => PickerKey::Up,
            KeyCode::Down | KeyCode::Char('j') => PickerKey::Down,
            KeyCode::Home | KeyCode::Char('g') => PickerKey::First,
            KeyCode::End | KeyCode::Char('G') => PickerKey::Last,
            KeyCode::Enter | KeyCode::Right | KeyCode::Char('l') => PickerKey::Open,
            KeyCode::Char('r') => PickerKey::Refresh,
            KeyCode::Char('q') | KeyCode::Esc => PickerKey::Quit,
            _ => return None,
        })
    }
}

/// The picker's columns, as `snapshot --list-instances` prints them.
fn row(i: &Instance) -> String {
    format!(
        "{:<28} {:<12} {:>7} {:>6} {:>8} {:>7}",
        visible(i.instance.as_bytes()),
        visible(i.job.as_deref().unwrap_or("-").as_bytes()),
        i.cgroups,
        i.cpu_cores.map_or("-".into(), |c| format!("{c:.2}")),
        crate::format::opt_bytes(i.memory_bytes),
        i.oom_kills_1h.map_or("-".into(), |n| n.to_string()),
    )
}

impl Picker {
    pub fn new(instances: Vec<Instance>) -> Picker {
        Picker {
            instances,
            selected: 0,
            problem: None,
        }
    }

    /// Apply a key; the instance to open when it opens one.
    pub fn press(&mut self, key: PickerKey) -> Option<String> {
        let last = self.instances.len().saturating_sub(1);
        match key {
            PickerKey::Up => self.selected = self.selected.saturating_sub(1),
            PickerKey::Down => self.selected = (self.selected + 1).min(last),
            PickerKey::First => self.selected = 0,
            PickerKey::Last => self.selected = last,
            PickerKey::Open => {
                return self
                    .instances
                    .get(self.selected)
                    .map(|i| i.instance.clone());
            }
            PickerKey::Refresh | PickerKey::Quit => {}
        }
        None
    }

    /// The screen's lines: a title, the column heads, the instances, and the keys.
    pub fn lines(&self, url: &str) -> Vec<(String, bool)> {
        let mut lines = vec![
            (
                format!(
                    " cgtui · READ-ONLY · prometheus {} · {} exporting cgtui's metrics",
                    visible(url.as_bytes()),
                    crate::format::plural(self.instances.len(), "instance")
                ),
                false,
            ),
            (
                format!(
                    "  {:<28} {:<12} {:>7} {:>6} {:>8} {:>7}",
                    "INSTANCE", "JOB", "CGROUPS", "CPUS", "MEMORY", "OOM/1h"
                ),
                false,
            ),
        ];
        for (n, instance) in self.instances.iter().enumerate() {
            let chosen = n == self.selected;
            let mark = if chosen { ">" } else { " " };
            lines.push((format!("{mark} {}", row(instance)), chosen));
        }
        lines.push((String::new(), false));
        if let Some(problem) = &self.problem {
            lines.push((format!(" {}", visible(problem.as_bytes())), false));
        }
        lines.push((
            " Enter: open its tree · ↑↓: choose · r: refresh · q: quit".to_string(),
            false,
        ));
        lines
    }

    /// Show the picker until an instance is chosen (`None`: quit).
    fn pick(&mut self, prometheus: &Prometheus) -> Result<Option<String>> {
        use crate::tui::{Next, TerminalInput, termination_requested};
        termination_requested();
        let mut terminal = crate::tui::setup_terminal(false)?;
        let input = TerminalInput::open();
        let chosen = (|| -> Result<Option<String>> {
            loop {
                let lines = self.lines(prometheus.url());
                terminal
                    .draw(|frame| draw(frame, &lines))
                    .context("cannot draw")?;
                // A signal or a terminal that went away quits, as in the tree.
                let event = loop {
                    if termination_requested() {
                        return Ok(None);
                    }
                    match input.next(Some(Duration::from_millis(200))) {
                        Next::Idle => continue,
                        Next::Gone => return Ok(None),
                        Next::Event(event) => break event,
                    }
                };
                let crossterm::event::Event::Key(key) = event else {
                    continue;
                };
                if key.kind != crossterm::event::KeyEventKind::Press {
                    continue;
                }
                match PickerKey::of(&key) {
                    Some(PickerKey::Quit) => return Ok(None),
                    Some(PickerKey::Refresh) => match crate::fleet::instances(prometheus, None) {
                        Ok(list) => {
                            self.instances = list;
                            self.selected =
                                self.selected.min(self.instances.len().saturating_sub(1));
                            self.problem = None;
                        }
                        Err(e) => self.problem = Some(format!("{e:#}")),
                    },
                    Some(other) => {
                        if let Some(instance) = self.press(other) {
                            return Ok(Some(instance));
                        }
                    }
                    None => {}
                }
            }
        })();
        crate::tui::release_terminal(terminal);
        chosen
    }
}

fn draw(frame: &mut ratatui::Frame, lines: &[(String, bool)]) {
    use ratatui::style::{Modifier, Style};
    use ratatui::text::{Line, Span};
    let text: Vec<Line> = lines
        .iter()
        .enumerate()
        .map(|(n, (text, chosen))| {
            let style = if *chosen {
                Style::default().add_modifier(Modifier::REVERSED)
            } else if n < 2 {
                Style::default().add_modifier(Modifier::BOLD)
            } else {
                Style::default()
            };
            Line::from(Span::styled(text.clone(), style))
        })
        .collect();
    frame.render_widget(ratatui::widgets::Paragraph::new(text), frame.area());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(name: &str) -> Instance {
        Instance {
            instance: name.into(),
            job: Some("cgtui".into()),
            cgroups: 3,
            cpu_cores: Some(0.5),
            memory_bytes: Some(1 << 20),
            oom_kills_1h: Some(1),
        }
    }

    #[test]
    fn the_picker_moves_within_its_list_and_opens_the_chosen_one() {
        let mut picker = Picker::new(vec![instance("a:1"), instance("b:2")]);
        assert_eq!(picker.press(PickerKey::Up), None);
        assert_eq!(picker.selected, 0);
        picker.press(PickerKey::Down);
        picker.press(PickerKey::Down);
        assert_eq!(picker.selected, 1, "stays on the last");
        assert_eq!(picker.press(PickerKey::Open).as_deref(), Some("b:2"));
        let lines = picker.lines("http://p:9090");
        assert!(lines[0].0.contains("2 instances"), "{:?}", lines[0]);
        let chosen: Vec<_> = lines.iter().filter(|(_, c)| *c).collect();
        assert_eq!(chosen.len(), 1);
        assert!(chosen[0].0.starts_with("> b:2"), "{:?}", chosen[0]);
        assert!(Picker::new(Vec::new()).press(PickerKey::Open).is_none());
    }

    #[test]
    fn a_hostile_instance_name_is_shown_inert() {
        let picker = Picker::new(vec![instance("evil\x1b[31m")]);
        let lines = picker.lines("http://p");
        assert!(lines.iter().all(|(l, _)| !l.contains('\x1b')), "{lines:?}");
    }
}

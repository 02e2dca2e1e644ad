//! The details pane of the selected cgroup: limits, controllers, events, sparklines, processes.

use crate::app::App;
use crate::app::layout::Layout as Areas;
use crate::app::recorded;
use crate::cgroup::parse::{CpuMax, DeviceId, MemoryEvents, Pressure};
use crate::cgroup::workload::Kind;
use crate::format;
use crate::model::missing::{Metric, missing_reason};
use crate::model::rates::MemoryEventRates;
use crate::model::series::CpuScale;
use crate::model::view::effective_memory_limit;
use crate::model::{Model, Node};
use crate::theme::{Role, Theme};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

const LABEL_WIDTH: usize = 10;

/// One labelled fact of the details pane; long text wraps under its label, not under it.
struct Field {
    label: &'static str,
    text: String,
    style: Style,
}

impl Field {
    fn new(label: &'static str, text: impl Into<String>) -> Self {
        Field {
            label,
            text: text.into(),
            style: Style::default(),
        }
    }

    fn styled(mut self, style: Style) -> Self {
        self.style = style;
        self
    }
}

/// Break `text` into pieces of at most `width` characters, at spaces where possible; a word
/// longer than a line (a path) is broken after a `/` or another separator, and cut inside a
/// name only when it has none.
pub(super) fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(8);
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split(' ') {
        let mut word = word.to_string();
        while word.chars().count() > width {
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
            }
            let chars: Vec<char> = word.chars().collect();
            // After the last separator that fits, unless that leaves the line nearly empty.
            let after = |separators: &[char]| {
                (width / 3..width)
                    .rev()
                    .find(|i| separators.contains(&chars[*i - 1]))
            };
            let at = after(&['/'])
                .or_else(|| after(&['.', '-', '_', '@', ',', ':']))
                .unwrap_or(width);
            lines.push(chars[..at].iter().collect());
            word = chars[at..].iter().collect();
        }
        let needed =
            current.chars().count() + usize::from(!current.is_empty()) + word.chars().count();
        if needed > width && !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(&word);
    }
    lines.push(current);
    lines
}

fn layout_fields(fields: Vec<Field>, width: u16, theme: &Theme) -> Vec<Line<'static>> {
    let text_width = (width as usize).saturating_sub(LABEL_WIDTH);
    let bold = theme.style(Role::Bold);
    let mut lines = Vec::new();
    for field in fields {
        for (i, piece) in wrap(&field.text, text_width).into_iter().enumerate() {
            let label = if i == 0 { field.label } else { "" };
            lines.push(Line::from(vec![
                Span::styled(format!("{label:<LABEL_WIDTH$}"), bold),
                Span::styled(piece, field.style),
            ]));
        }
    }
    lines
}

fn pressure(
    name: &str,
    p: &Option<Pressure>,
    rate: Option<crate::model::rates::PressureRates>,
) -> String {
    match p {
        None => format!("{name} -"),
        Some(p) => {
            let full = p.full.map_or("-".into(), |f| format!("{:.2}", f.avg10));
            let now = rate
                .and_then(|r| r.some_pct)
                .map_or(String::new(), |r| format!(", {r:.1}% last interval"));
            format!("{name} {:.2}/{full}{now}", p.some.avg10)
        }
    }
}

/// Available controllers, `+` marking those enabled for the children.
fn controllers_text(sample: &crate::cgroup::CgroupSample) -> String {
    let available = sample.controllers.clone().unwrap_or_default();
    let enabled = sample.subtree_control.clone().unwrap_or_default();
    if available.is_empty() {
        return "none available (cgroup.controllers is empty)".into();
    }
    let list: Vec<String> = available
        .iter()
        .map(|c| {
            if enabled.contains(c) {
                format!("+{c}")
            } else {
                c.clone()
            }
        })
        .collect();
    format!(
        "{}   (cgroup.controllers; + = also in cgroup.subtree_control)",
        list.join(" ")
    )
}

fn missing_or(
    theme: &Theme,
    model: &Model,
    node: &Node,
    metric: Metric,
    present: impl FnOnce() -> String,
) -> Field {
    match missing_reason(model, node, metric) {
        Some(why) => Field::new("", format!("- ({why})")).styled(theme.style(Role::Dim)),
        None => Field::new("", present()),
    }
}

fn info_fields(app: &App, model: &Model, node: &Node) -> Vec<Field> {
    let theme = &app.theme;
    let mut fields = Vec::new();
    let Some(sample) = node.sample.as_ref() else {
        fields.push(Field::new("", "not read yet"));
        return fields;
    };
    let detail = sample.detail.as_ref();
    let kind = detail
        .and_then(|d| d.cgroup_type)
        .map_or(String::new(), |t| format!(" · type {t}"));
    fields.push(Field::new(
        "owner",
        format!(
            "{} (uid {}){kind}",
            app.users.get(sample.owner_uid),
            sample.owner_uid
        ),
    ));
    let state = match sample.events {
        Some(e) => format!(
            "{} · {}",
            if e.populated { "populated" } else { "empty" },
            if e.frozen { "FROZEN" } else { "not frozen" }
        ),
        None => "root cgroup".into(),
    };
    let procs = sample.nr_procs.map_or("- processes".into(), |n| {
        crate::format::plural(n, "process")
    });
    let descendants = detail.and_then(|d| d.stat).map_or(String::new(), |s| {
        format!(
            " · {} ({} dying)",
            format::plural(s.nr_descendants as usize, "descendant"),
            s.nr_dying_descendants
        )
    });
    fields.push(Field::new(
        "state",
        format!("{state} · {procs}{descendants}"),
    ));
    // Only what the name alone does not say: a plain unit's line would repeat it.
    let workload = app.names.workload(&node.path);
    let plain = matches!(
        workload.kind,
        Some(Kind::Slice | Kind::Service | Kind::Scope)
    ) && workload.pod_uid.is_none()
        && workload.short_label(node.path.name(), None).is_none();
    if let Some(mut what) = workload.describe().filter(|_| !plain) {
        if let Some(c) = app.names.container(&workload) {
            what.push_str(&format!(" · {} · image {} ({})", c.name, c.image, c.engine));
        }
        fields.push(Field::new("workload", what));
    }
    fields.push(Field::new("ctrl", controllers_text(sample)));

    let r = node.rates();
    let mut cpu = match r.cpu_pct {
        Some(pct) => format!(
            "{pct:.1}% (user {}, sys {})",
            format::percent(r.cpu_user_pct),
            format::percent(r.cpu_system_pct)
        ),
        None => "- (a rate needs a second sample)".into(),
    };
    if let Some(t) = r.cpu_throttled_pct {
        cpu.push_str(&format!(" · throttled in {t:.1}% of periods"));
        if let Some(usec) = r.cpu_throttled_usec_per_sec {
            cpu.push_str(&format!(", {:.0} ms/s", usec / 1000.0));
        }
    }
    fields.push(Field::new("CPU", cpu));
    if let Some(d) = detail {
        let mut limits = Vec::new();
        if let Some(m) = d.cpu_max {
            limits.push(format!(
                "cpu.max {} {} ({})",
                m.quota,
                m.period_usec,
                cpus_of_quota(m)
            ));
        }
        if let Some(w) = d.cpu_weight {
            limits.push(format!("cpu.weight {w}"));
        }
        if !limits.is_empty() {
            fields.push(Field::new("", limits.join(" · ")));
        }
    }

    let m = &sample.memory;
    let mut memory = missing_or(theme, model, node, Metric::Memory, || {
        format!(
            "{} · swap {}",
            format::opt_bytes(m.current),
            format::opt_bytes(m.swap_current)
        )
    });
    memory.label = "memory";
    fields.push(memory);
    if let Some((limit, source)) = effective_memory_limit(node) {
        fields.push(Field::new(
            "",
            format!(
                "limit {} from {source} · max {} high {} low {} min {} swap.max {}",
                format::limit(Some(limit)),
                format::limit(m.max),
                format::limit(m.high),
                format::limit(m.low),
                format::limit(m.min),
                format::limit(m.swap_max)
            ),
        ));
    }
    if let Some(e) = m.events {
        let style = if e.oom_kill > 0 {
            theme.style(Role::Refused)
        } else {
            Style::default()
        };
        fields.push(Field::new("", memory_events_text(&e, r.memory_events.as_ref())).styled(style));
    }

    // A device by its kernel name where /sys/dev/block knows it, with its number.
    let device_name = |device: DeviceId| match r
        .io_devices
        .iter()
        .find(|d| d.device == device)
        .and_then(|d| d.name.clone())
    {
        Some(name) => format!("{name} ({device})"),
        None => device.to_string(),
    };
    let mut io = missing_or(theme, model, node, Metric::Io, || match r.io {
        None => "waiting for a second sample".into(),
        Some(io) => format!(
            "R {}/s {:.0} IOPS · W {}/s {:.0} IOPS",
            format::bytes(io.read_bps),
            io.read_iops,
            format::bytes(io.write_bps),
            io.write_iops
        ),
    });
    io.label = "IO";
    // io.pressure is on the PSI line; io.weight here, beside what it shares out.
    if let Some(weight) = detail.and_then(|d| d.io_weight.as_ref()) {
        io.text
            .push_str(&format!(" · io.weight {}", weight.default));
        for (device, value) in &weight.devices {
            io.text
                .push_str(&format!(", {} {value}", device_name(*device)));
        }
    }
    fields.push(io);
    for d in &r.io_devices {
        fields.push(Field::new(
            "",
            format!(
                "{} R {}/s {:.0} IOPS · W {}/s {:.0} IOPS",
                device_name(d.device),
                format::bytes(d.rates.read_bps),
                d.rates.read_iops,
                format::bytes(d.rates.write_bps),
                d.rates.write_iops
            ),
        ));
    }
    for entry in detail.and_then(|d| d.io_max.as_ref()).into_iter().flatten() {
        fields.push(Field::new(
            "",
            format!(
                "io.max {} rbps={} wbps={} riops={} wiops={}",
                device_name(entry.device),
                entry.rbps,
                entry.wbps,
                entry.riops,
                entry.wiops
            ),
        ));
    }
    if let Some(d) = detail {
        let mut other = vec![format!(
            "cgroup.max.depth {} · cgroup.max.descendants {}",
            format::plain_limit(d.max_depth),
            format::plain_limit(d.max_descendants)
        )];
        if let (Some(cpus), Some(mems)) = (&d.cpuset_cpus, &d.cpuset_mems) {
            other.push(format!("cpuset.cpus {cpus:?} · cpuset.mems {mems:?}"));
        }
        fields.push(Field::new("limits", other.join(" · ")));
    }

    let mut pids = missing_or(theme, model, node, Metric::Pids, || {
        let events = sample
            .pids
            .events
            .map_or(String::new(), |e| format!(" · forks refused {}", e.max));
        format!(
            "{} of {}{events}",
            sample.pids.current.map_or("-".into(), |c| c.to_string()),
            format::plain_limit(sample.pids.max)
        )
    });
    pids.label = "pids";
    fields.push(pids);

    let mut psi = missing_or(theme, model, node, Metric::Psi, || {
        format!(
            "{} · {} · {}",
            pressure("cpu", &sample.psi.cpu, r.psi.cpu),
            pressure("mem", &sample.psi.memory, r.psi.memory),
            pressure("io", &sample.psi.io, r.psi.io)
        )
    });
    psi.label = "PSI";
    fields.push(psi);
    fields.push(Field::new("", "(some/full avg10 %)").styled(theme.style(Role::Dim)));
    fields.extend(memory_stat_fields(node));
    for problem in &sample.unreadable {
        fields.push(
            Field::new("unread", format!("{}: {}", problem.file, problem.reason))
                .styled(theme.style(Role::Warning)),
        );
    }
    fields
}

/// `1.5 CPUs`: what cpu.max's quota over its period allows.
fn cpus_of_quota(max: CpuMax) -> String {
    match max.quota.value() {
        None => "no limit".into(),
        Some(_) if max.period_usec == 0 => "no period".into(),
        Some(quota) => {
            let cpus = quota as f64 / max.period_usec as f64;
            let text = format!("{cpus:.2}");
            let text = text.trim_end_matches('0').trim_end_matches('.');
            format!("{text} {}", if cpus == 1.0 { "CPU" } else { "CPUs" })
        }
    }
}

/// memory.events, each count with its rate over the last interval where it grew.
fn memory_events_text(events: &MemoryEvents, rates: Option<&MemoryEventRates>) -> String {
    let rate = |rate: Option<f64>| match rate {
        Some(r) if r > 0.0 => format!(" ({}/s)", per_second(r)),
        _ => String::new(),
    };
    let rates = rates.copied().unwrap_or_default();
    let mut text = format!(
        "events low {}{} high {}{} max {}{} oom {}{} oom_kill {}{}",
        events.low,
        rate(rates.low),
        events.high,
        rate(rates.high),
        events.max,
        rate(rates.max),
        events.oom,
        rate(rates.oom),
        events.oom_kill,
        rate(rates.oom_kill)
    );
    if let Some(group) = events.oom_group_kill {
        text.push_str(&format!(
            " oom_group_kill {group}{}",
            rate(rates.oom_group_kill)
        ));
    }
    text
}

/// A rate per second: whole from 10 up, with a tenth below.
fn per_second(value: f64) -> String {
    if value >= 10.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

/// What memory.current is made of (memory.stat), and faults and refaults per second. Only
/// where memory.stat was read: the cgroup a person looks at, rows with a WSS or ANON column.
fn memory_stat_fields(node: &Node) -> Vec<Field> {
    let Some(sample) = node.sample.as_ref() else {
        return Vec::new();
    };
    let Some(stat) = sample.memory.stat else {
        return Vec::new();
    };
    let b = format::opt_bytes;
    let listed = |parts: &[(&str, Option<u64>)]| {
        parts
            .iter()
            .filter_map(|(name, value)| value.map(|v| format!("{name} {}", b(Some(v)))))
            .collect::<Vec<_>>()
            .join(" · ")
    };
    let mut fields = vec![
        Field::new(
            "mem.stat",
            format!(
                "working set {} · anon {} (active {}, inactive {})",
                b(crate::model::column::working_set(node)),
                b(stat.anon),
                b(stat.active_anon),
                b(stat.inactive_anon),
            ),
        ),
        Field::new(
            "",
            format!(
                "file {} (active {}, inactive {}) · {}",
                b(stat.file),
                b(stat.active_file),
                b(stat.inactive_file),
                listed(&[("shmem", stat.shmem), ("swapcached", stat.swapcached)])
            ),
        ),
        Field::new(
            "",
            listed(&[
                ("file_mapped", stat.file_mapped),
                ("file_dirty", stat.file_dirty),
                ("file_writeback", stat.file_writeback),
                ("zswap", stat.zswap),
            ]),
        ),
        Field::new(
            "",
            format!(
                "kernel {}: {}",
                b(stat.kernel),
                listed(&[
                    ("stack", stat.kernel_stack),
                    ("pagetables", stat.pagetables),
                    ("slab", stat.slab),
                    ("sock", stat.sock),
                ])
            ),
        ),
    ];
    let rate = |value: Option<f64>| value.map_or("-".into(), per_second);
    let faults = match node.rates().memory {
        Some(m) => format!(
            "faults {}/s (major {}/s) · refaults anon {}/s file {}/s",
            rate(m.pgfault),
            rate(m.pgmajfault),
            rate(m.workingset_refault_anon),
            rate(m.workingset_refault_file)
        ),
        None => "faults - (a rate needs a second read of memory.stat)".into(),
    };
    fields.push(Field::new("", faults));
    fields
}

/// The last `width` of `values`, padded with absent ones in front to `width`.
fn right_aligned<T: Copy>(values: &[T], width: usize, absent: T) -> Vec<T> {
    let shown = &values[values.len().saturating_sub(width)..];
    let mut out = vec![absent; width - shown.len()];
    out.extend_from_slice(shown);
    out
}

/// The eighths of a cell's height, one to eight.
const BARS: [&str; 8] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];

/// Zero: a point was taken and it was nothing (never mistaken for a small value).
const ZERO: &str = "·";

/// No point: nothing was sampled or recorded then.
const NONE: &str = " ";

/// The glyph of `value` on a scale from 0 to `top`: blank without a value, a dot for zero,
/// else at least one eighth (a little is never drawn as nothing) and at most a full cell.
fn bar(value: Option<f64>, top: f64) -> &'static str {
    match value {
        None => NONE,
        Some(v) if v.is_nan() => NONE,
        Some(v) if v <= 0.0 => ZERO,
        Some(v) => {
            let eighths = if top > 0.0 {
                (v / top * 8.0).round().clamp(1.0, 8.0)
            } else {
                8.0
            };
            BARS[eighths as usize - 1]
        }
    }
}

/// One sparkline's columns, oldest first: a value or none, and whether it is recorded (from
/// the store, drawn dim) rather than live.
struct Columns(Vec<(Option<f64>, bool)>);

impl Columns {
    /// The `recorded` columns, then the `live` points (newest at the right). Without a
    /// recorded value, the live points alone, as many as fit.
    fn new(width: usize, recorded: &[Option<f64>], live: &[Option<f64>]) -> Columns {
        let mut columns: Vec<(Option<f64>, bool)> = Vec::with_capacity(width);
        let live = &live[live.len().saturating_sub(width)..];
        if recorded.iter().any(Option::is_some) {
            let room = width.saturating_sub(live.len());
            let recorded = right_aligned(recorded, room, None);
            columns.extend(recorded.into_iter().map(|v| (v, true)));
        } else {
            columns.extend(std::iter::repeat_n((None, false), width - live.len()));
        }
        columns.extend(live.iter().map(|v| (*v, false)));
        Columns(columns)
    }

    /// The highest value shown, if any.
    fn peak(&self) -> Option<f64> {
        self.0.iter().filter_map(|(v, _)| *v).reduce(f64::max)
    }

    fn line(&self, top: f64, style: Style) -> Line<'static> {
        let dim = style.add_modifier(Modifier::DIM);
        Line::from(
            self.0
                .iter()
                .map(|(value, recorded)| {
                    Span::styled(bar(*value, top), if *recorded { dim } else { style })
                })
                .collect::<Vec<_>>(),
        )
    }
}

/// One sparkline: its title (the latest value, how far back it reaches, the top of its
/// scale) and its columns below it.
fn spark(frame: &mut Frame, area: Rect, title: String, columns: &Columns, top: f64, style: Style) {
    if area.height == 0 {
        return;
    }
    let [title_area, bars] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    frame.render_widget(Paragraph::new(title), title_area);
    frame.render_widget(Paragraph::new(columns.line(top, style)), bars);
}

/// How far back a recorded series reaches on screen (` (recorded 2h)`).
fn reach(columns: &Columns, bucket_ms: i64) -> String {
    let recorded = columns.0.iter().take_while(|(_, recorded)| *recorded);
    let count = recorded.clone().count();
    match recorded.clone().position(|(v, _)| v.is_some()) {
        Some(first) => format!(
            " (recorded {})",
            crate::time::format_span((count - first) as i64 * bucket_ms)
        ),
        None => String::new(),
    }
}

/// Bytes with their unit: `512 B`, `1.5GiB`.
fn bytes_unit(value: f64) -> String {
    let text = format::bytes(value);
    if text.ends_with(|c: char| c.is_ascii_digit()) {
        format!("{text} B")
    } else {
        format!("{text}iB")
    }
}

/// A scale's top in %: whole above 10 (`200%`), else with a tenth (`2.5%`).
fn top_pct(value: f64) -> String {
    if value >= 10.0 {
        format!("{value:.0}%")
    } else {
        format!("{value:.1}%")
    }
}

/// The top of `node`'s CPU sparkline and what it is: its capacity (CPUs × 100 %, or its own
/// cpu.max quota when lower), or the highest value shown.
fn cpu_top(app: &App, node: &Node, columns: &Columns) -> (f64, String) {
    // Without the host's CPUs (another host's tree) the capacity is not known: the peak.
    if app.cpu_scale == CpuScale::Peak || app.cpus == 0 {
        let peak = columns.peak().unwrap_or(0.0);
        return (peak, format!("top {} (peak)", top_pct(peak)));
    }
    let cpus = app.cpus.max(1) as f64 * 100.0;
    let quota = node
        .sample
        .as_ref()
        .and_then(|s| s.detail.as_ref())
        .and_then(|d| d.cpu_max)
        .and_then(|m| Some(m.quota.value()? as f64 * 100.0 / m.period_usec.max(1) as f64))
        .filter(|q| *q < cpus);
    match quota {
        Some(q) => (q, format!("top {} (cpu.max)", top_pct(q))),
        None => (
            cpus,
            format!(
                "top {} ({})",
                top_pct(cpus),
                format::plural(app.cpus.max(1), "CPU")
            ),
        ),
    }
}

/// The CPU, memory and IO sparklines of the selected cgroup. Each column is one live sample
/// (while the cgroup is read every pass) or, before them, one column of what a recorder
/// stored of this very cgroup (path and inode); in replay, the store's columns up to the
/// moment on screen.
fn sparklines(app: &App, frame: &mut Frame, area: Rect, node: &Node) {
    if area.height == 0 {
        return;
    }
    let [cpu, mem, io] = Layout::vertical([Constraint::Length(2); 3]).areas(area);
    let width = usize::from(area.width);
    let series = &node.series;
    let theme = &app.theme;
    let memory_now = node.sample.as_ref().and_then(|s| s.memory.current);
    let io_now = node.rates().io.map(|io| io.read_bps + io.write_bps);
    let stored = node
        .sample
        .as_ref()
        .and_then(|s| app.recorded.get(&node.path, s.inode));
    let bucket_ms = stored.map_or(0, |r| r.bucket_ms);
    let live_count = recorded::live_points(node, area.width, app.replay.is_some());
    let recorded_of = |value: fn(&crate::history::backfill::Point) -> Option<f64>| {
        stored
            .map(|r| r.points.iter().map(value).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let live_of = |ring: &crate::model::series::Ring| {
        let points: Vec<Option<f64>> = ring.iter().map(|v| v.map(f64::from)).collect();
        points
    };
    // With recorded columns before them, the live points are the latest `live_count`; alone,
    // all that fit. Replay draws no live points: its columns are the store's.
    let columns = |recorded: Vec<Option<f64>>, live: Vec<Option<f64>>| {
        let live = if app.replay.is_some() {
            Vec::new()
        } else if recorded.iter().any(Option::is_some) {
            live[live.len().saturating_sub(live_count)..].to_vec()
        } else {
            live
        };
        Columns::new(width, &recorded, &live)
    };

    let cpu_columns = columns(recorded_of(|p| p.cpu_pct), live_of(&series.cpu_pct));
    let (cpu_top, cpu_scale) = cpu_top(app, node, &cpu_columns);
    spark(
        frame,
        cpu,
        format!(
            "CPU% {}{} · {cpu_scale}",
            format::percent(node.rates().cpu_pct),
            reach(&cpu_columns, bucket_ms)
        ),
        &cpu_columns,
        cpu_top,
        theme.style(Role::SparkCpu),
    );
    let memory_columns = columns(
        recorded_of(|p| p.memory.map(|m| m as f64)),
        live_of(&series.memory),
    );
    let memory_top = memory_columns.peak();
    spark(
        frame,
        mem,
        format!(
            "memory {}{}{}",
            memory_now.map_or("-".into(), |m| bytes_unit(m as f64)),
            reach(&memory_columns, bucket_ms),
            memory_top.map_or(String::new(), |top| format!(" · top {}", bytes_unit(top)))
        ),
        &memory_columns,
        memory_top.unwrap_or(0.0),
        theme.style(Role::SparkMemory),
    );
    let io_columns = columns(recorded_of(|p| p.io_bps), live_of(&series.io_bps));
    let io_top = io_columns.peak();
    spark(
        frame,
        io,
        format!(
            "IO {}{}{}",
            io_now.map_or("-".into(), |v| format!("{}/s", bytes_unit(v))),
            reach(&io_columns, bucket_ms),
            io_top.map_or(String::new(), |top| format!(" · top {}/s", bytes_unit(top)))
        ),
        &io_columns,
        io_top.unwrap_or(0.0),
        theme.style(Role::SparkIo),
    );
}

pub fn render(app: &App, frame: &mut Frame, areas: &Areas) {
    let area = areas.details;
    if area.height == 0 || area.width == 0 {
        return;
    }
    let block = Block::default().borders(Borders::TOP).title(" details ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(node) = app.model.get(app.tree.selected()) else {
        frame.render_widget(Paragraph::new("nothing selected"), inner);
        return;
    };
    let [title, facts] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(areas.facts);
    let path = Span::styled(
        // One cell short of the pane, so the path never runs into what is beside it.
        format::fit_left(
            &node.path.to_string(),
            (title.width as usize).saturating_sub(1),
        ),
        app.theme.style(Role::Bold),
    );
    frame.render_widget(Paragraph::new(Line::from(path)), title);
    let lines = layout_fields(
        info_fields(app, &app.model, node),
        facts.width.saturating_sub(1),
        &app.theme,
    );
    frame.render_widget(Paragraph::new(lines), facts);
    sparklines(app, frame, areas.history, node);
    super::processes::render(app, frame, areas.processes, areas.process_rows(), node);
}

#[cfg(test)]
mod tests;

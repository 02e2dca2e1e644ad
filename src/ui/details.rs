//! The details pane of the selected cgroup: limits, controllers, events, history, processes.

use crate::app::App;
use crate::cgroup::escape;
use crate::cgroup::parse::Pressure;
use crate::model::missing::{Metric, missing_reason};
use crate::model::view::effective_memory_limit;
use crate::model::{Model, Node};
use crate::ui::format;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Sparkline, Table, Wrap};

fn label(text: &str) -> Span<'static> {
    Span::styled(format!("{text:<9}"), Style::default().add_modifier(Modifier::BOLD))
}

fn dim(text: String) -> Span<'static> {
    Span::styled(text, Style::default().fg(Color::DarkGray))
}

fn pressure(name: &str, p: &Option<Pressure>, rate: Option<crate::model::rates::PressureRates>) -> String {
    match p {
        None => format!("{name} -"),
        Some(p) => {
            let full = p.full.map_or("-".into(), |f| format!("{:.2}", f.avg10));
            let now = rate.and_then(|r| r.some_pct).map_or(String::new(), |r| format!(" ({r:.1}% now)"));
            format!("{name} some {:.2} full {full}{now}", p.some.avg10)
        }
    }
}

fn controllers_line(sample: &crate::cgroup::CgroupSample) -> Line<'static> {
    let available = sample.controllers.clone().unwrap_or_default();
    let enabled = sample.subtree_control.clone().unwrap_or_default();
    let mut spans = vec![label("ctrl")];
    if available.is_empty() {
        spans.push(dim("none available (cgroup.controllers is empty)".into()));
    }
    for c in &available {
        if enabled.contains(c) {
            spans.push(Span::styled(format!("+{c} "), Style::default().fg(Color::Green)));
        } else {
            spans.push(dim(format!("{c} ")));
        }
    }
    spans.push(dim("(+ = in cgroup.subtree_control)".into()));
    Line::from(spans)
}

fn info_lines(app: &App, model: &Model, node: &Node) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let Some(sample) = node.sample.as_ref() else {
        lines.push(Line::from("not read yet"));
        return lines;
    };
    let owner = format!("owner {} ({})", app.user_name(sample.owner_uid), sample.owner_uid);
    let kind = sample
        .detail
        .as_ref()
        .and_then(|d| d.cgroup_type)
        .map_or(String::new(), |t| format!(" · type {t}"));
    lines.push(Line::from(vec![
        Span::styled(node.path.to_string(), Style::default().add_modifier(Modifier::BOLD)),
        dim(format!("  {owner}{kind}")),
    ]));
    let state = match sample.events {
        Some(e) => format!(
            "{} · {}",
            if e.populated { "populated" } else { "empty" },
            if e.frozen { "FROZEN" } else { "not frozen" }
        ),
        None => "root: always populated".into(),
    };
    let procs = sample.nr_procs.map_or("-".into(), |n| n.to_string());
    let descendants = sample
        .detail
        .as_ref()
        .and_then(|d| d.stat)
        .map_or(String::new(), |s| format!(" · {} descendants ({} dying)", s.nr_descendants, s.nr_dying_descendants));
    lines.push(Line::from(vec![label("state"), Span::raw(format!("{state} · {procs} processes{descendants}"))]));
    lines.push(controllers_line(sample));

    let r = &node.rates;
    let mut cpu = format!(
        "{}% (user {}, sys {})",
        format::percent(r.cpu_pct),
        format::percent(r.cpu_user_pct),
        format::percent(r.cpu_system_pct)
    );
    if let Some(t) = r.cpu_throttled_pct {
        cpu.push_str(&format!(" · throttled {t:.1}% of periods"));
    }
    if let Some(d) = sample.detail.as_ref() {
        if let Some(m) = d.cpu_max {
            cpu.push_str(&format!(" · cpu.max {} {}", m.quota, m.period_usec));
        }
        if let Some(w) = d.cpu_weight {
            cpu.push_str(&format!(" · cpu.weight {w}"));
        }
    }
    lines.push(Line::from(vec![label("CPU"), Span::raw(cpu)]));

    let m = &sample.memory;
    let mut mem = match missing_reason(model, node, Metric::Memory) {
        None => format!("{} · swap {}", format::opt_bytes(m.current), format::opt_bytes(m.swap_current)),
        Some(why) => format!("- ({why})"),
    };
    if m.max.is_some() || m.high.is_some() {
        mem.push_str(&format!(
            " · max {} high {} low {} min {} swap.max {}",
            format::limit(m.max),
            format::limit(m.high),
            format::limit(m.low),
            format::limit(m.min),
            format::limit(m.swap_max)
        ));
        if let Some((limit, source)) = effective_memory_limit(node) {
            mem.push_str(&format!(" · limit {} from {source}", format::limit(Some(limit))));
        }
    }
    lines.push(Line::from(vec![label("memory"), Span::raw(mem)]));
    if let Some(e) = m.events {
        let style = if e.oom_kill > 0 { Style::default().fg(Color::Red) } else { Style::default() };
        lines.push(Line::from(vec![
            label(""),
            Span::styled(
                format!("events low {} high {} max {} oom {} oom_kill {}", e.low, e.high, e.max, e.oom, e.oom_kill),
                style,
            ),
        ]));
    }

    let io = match (r.io, missing_reason(model, node, Metric::Io)) {
        (_, Some(why)) => format!("- ({why})"),
        (None, None) => "waiting for a second sample".into(),
        (Some(io), None) => {
            let mut text = format!(
                "R {}/s {:.0} IOPS · W {}/s {:.0} IOPS",
                format::bytes(io.read_bps),
                io.read_iops,
                format::bytes(io.write_bps),
                io.write_iops
            );
            for d in &r.io_devices {
                let name = d.name.clone().unwrap_or_else(|| d.device.to_string());
                text.push_str(&format!(
                    " · {name} ({}) R {}/s W {}/s",
                    d.device,
                    format::bytes(d.rates.read_bps),
                    format::bytes(d.rates.write_bps)
                ));
            }
            text
        }
    };
    lines.push(Line::from(vec![label("IO"), Span::raw(io)]));
    if let Some(d) = sample.detail.as_ref() {
        for entry in d.io_max.iter().flatten() {
            lines.push(Line::from(vec![
                label(""),
                Span::raw(format!(
                    "io.max {} rbps={} wbps={} riops={} wiops={}",
                    entry.device, entry.rbps, entry.wbps, entry.riops, entry.wiops
                )),
            ]));
        }
    }

    let pids = match missing_reason(model, node, Metric::Pids) {
        Some(why) => format!("- ({why})"),
        None => {
            let events = sample.pids.events.map_or(String::new(), |e| format!(" · forks refused {}", e.max));
            format!(
                "{} of {}{events}",
                sample.pids.current.map_or("-".into(), |c| c.to_string()),
                format::plain_limit(sample.pids.max)
            )
        }
    };
    lines.push(Line::from(vec![label("pids"), Span::raw(pids)]));

    let psi = match missing_reason(model, node, Metric::Psi) {
        Some(why) => format!("- ({why})"),
        None => format!(
            "{} | {} | {}",
            pressure("cpu", &sample.psi.cpu, r.psi.cpu),
            pressure("mem", &sample.psi.memory, r.psi.memory),
            pressure("io", &sample.psi.io, r.psi.io)
        ),
    };
    lines.push(Line::from(vec![label("PSI avg10"), Span::raw(psi)]));
    if let Some(why) = missing_reason(model, node, Metric::MemoryLimit).filter(|_| !node.path.is_root()) {
        lines.push(Line::from(vec![label("no limit"), dim(why)]));
    }
    for problem in &sample.unreadable {
        lines.push(Line::from(vec![
            label("unread"),
            Span::styled(format!("{}: {}", problem.file, problem.reason), Style::default().fg(Color::Yellow)),
        ]));
    }
    lines
}

fn spark(frame: &mut Frame, area: Rect, title: String, values: Vec<u64>, color: Color) {
    let block = Block::default().title(title);
    let widget = Sparkline::default().block(block).data(&values).style(Style::default().fg(color));
    frame.render_widget(widget, area);
}

fn history_and_processes(app: &App, frame: &mut Frame, area: Rect, node: &Node) {
    let [cpu, mem, io, procs] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(2),
        Constraint::Length(2),
        Constraint::Min(0),
    ])
    .areas(area);
    let h = &node.history;
    let last = |r: &crate::model::history::Ring| r.iter().last();
    spark(
        frame,
        cpu,
        format!("CPU% {}", format::percent(last(&h.cpu_pct).map(f64::from))),
        h.cpu_pct.iter().map(|v| (v * 10.0) as u64).collect(),
        Color::Green,
    );
    spark(
        frame,
        mem,
        format!("memory {}", format::opt_rate(last(&h.memory).map(f64::from))),
        h.memory.iter().map(|v| v as u64).collect(),
        Color::Magenta,
    );
    spark(
        frame,
        io,
        format!("IO {}/s", format::opt_rate(last(&h.io_bps).map(f64::from))),
        h.io_bps.iter().map(|v| v as u64).collect(),
        Color::Blue,
    );

    let table = &app.processes;
    let shown = if table.cgroup == node.path { table.rows.as_slice() } else { &[] };
    let rows = shown.iter().map(|p| {
        let command = if p.sample.cmdline.is_empty() {
            format!("[{}]", escape::visible(&p.sample.comm))
        } else {
            escape::visible(&p.sample.cmdline).into_owned()
        };
        Row::new(vec![
            Cell::from(p.sample.pid.to_string()),
            Cell::from(p.user.clone()),
            Cell::from(p.sample.state.to_string()),
            Cell::from(format::percent(p.cpu_pct)),
            Cell::from(format::bytes(p.sample.rss_bytes as f64)),
            Cell::from(command),
        ])
    });
    let title = format!("processes ({})", shown.len());
    let widget = Table::new(
        rows,
        [
            Constraint::Length(7),
            Constraint::Length(9),
            Constraint::Length(1),
            Constraint::Length(5),
            Constraint::Length(6),
            Constraint::Min(10),
        ],
    )
    .header(Row::new(["PID", "USER", "S", "CPU%", "RSS", "COMMAND"]).style(Style::default().add_modifier(Modifier::BOLD)))
    .block(Block::default().borders(Borders::TOP).title(title));
    frame.render_widget(widget, procs);
}

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let block = Block::default().borders(Borders::TOP).title(" details ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(node) = app.model.get(app.view.selected()) else {
        frame.render_widget(Paragraph::new("nothing selected"), inner);
        return;
    };
    let [left, right] = Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)]).areas(inner);
    let info = Paragraph::new(info_lines(app, &app.model, node)).wrap(Wrap { trim: false });
    frame.render_widget(info, left);
    history_and_processes(app, frame, right, node);
}

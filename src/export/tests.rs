use super::*;

#[test]
fn accept_negotiation() {
    let prometheus_default = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    assert_eq!(
        Format::from_accept(Some(prometheus_default)),
        Format::OpenMetrics
    );
    assert_eq!(Format::from_accept(None), Format::OpenMetrics);
    assert_eq!(Format::from_accept(Some("*/*")), Format::OpenMetrics);
    assert_eq!(
        Format::from_accept(Some("text/plain;version=0.0.4;q=0.5,*/*;q=0.1")),
        Format::Prometheus
    );
    assert_eq!(
        Format::from_accept(Some("application/openmetrics-text;q=0.2, text/plain")),
        Format::Prometheus
    );
    assert_eq!(
        Format::from_accept(Some("application/openmetrics-text;q=0, text/plain;q=0.1")),
        Format::Prometheus
    );
}

#[test]
fn selection_globs_and_depth() {
    let args = SelectionArgs {
        include: vec!["/system.slice/**".into(), "user.slice".into()],
        exclude: vec!["system.slice/*.scope".into()],
        max_depth: Some(2),
        max_cgroups: 10,
        max_bytes: DEFAULT_MAX_BYTES,
    };
    let s = Selection::new(&args).unwrap();
    let p = |x: &str| CgroupPath::from_relative(std::path::Path::new(x)).unwrap();
    assert!(s.admits(&p("system.slice/a.service"), 2));
    assert!(!s.admits(&p("system.slice/a.scope"), 2));
    assert!(s.admits(&p("user.slice"), 1));
    assert!(!s.admits(&p("user.slice/user-1.slice"), 2));
    assert!(!s.admits(&p("system.slice/a.service/b/c"), 4));
    let bad = SelectionArgs {
        include: vec!["a[".into()],
        ..SelectionArgs::default()
    };
    assert!(Selection::new(&bad).is_err());
}

/// A cgroup with cpu.max, cpu.weight, memory.swap.max, memory.stat and io.max (the hybrid
/// host and the fixture have none of io.max's lines): each becomes its series.
#[test]
fn limits_working_set_and_memory_stat_are_exported() {
    use crate::cgroup::parse;
    let mut sample = CgroupSample::default();
    sample.memory.current = Some(1000);
    sample.memory.swap_max = Some(Limit::Max);
    sample.memory.stat =
        Some(parse::memory_stat("anon 300\ninactive_file 400\nsome_new_kind 5\n").unwrap());
    sample.detail = Some(Box::new(crate::cgroup::sample::DetailSample {
        cpu_max: Some(parse::cpu_max("150000 100000\n").unwrap()),
        cpu_weight: Some(200),
        io_max: Some(parse::io_max("254:0 rbps=1048576 wbps=max riops=max wiops=100\n").unwrap()),
        ..Default::default()
    }));
    let row = Row {
        labels: vec![("cgroup", "/a".into())],
        sample,
        devices: Vec::new(),
        io_max_devices: vec![("254:0".into(), Some("vda".into()))],
    };
    let rows = Arc::new(Scrape {
        rows: vec![row],
        omitted_by_cap: 0,
        omitted_by_deadline: 0,
        omitted_by_bytes: 0,
        bytes: 0,
        unreadable_files: 0,
        read_seconds: 0.0,
        host_cpus: Some(8),
        listed_tree: true,
    });
    let text = rows.encode(Format::Prometheus);
    for line in [
        "cgroup_memory_working_set_bytes{cgroup=\"/a\"} 600",
        "cgroup_memory_stat_bytes{cgroup=\"/a\",kind=\"anon\"} 300",
        "cgroup_memory_stat_bytes{cgroup=\"/a\",kind=\"inactive_file\"} 400",
        "cgroup_memory_swap_max_bytes{cgroup=\"/a\"} +Inf",
        "cgtui_host_cpus 8",
        "cgroup_cpu_quota_seconds{cgroup=\"/a\"} 0.15",
        "cgroup_cpu_period_seconds{cgroup=\"/a\"} 0.1",
        "cgroup_cpu_weight{cgroup=\"/a\"} 200",
        "cgroup_io_max_bytes_per_second{cgroup=\"/a\",device=\"254:0\",direction=\"read\",device_name=\"vda\"} 1048576",
        "cgroup_io_max_bytes_per_second{cgroup=\"/a\",device=\"254:0\",direction=\"write\",device_name=\"vda\"} +Inf",
        "cgroup_io_max_operations_per_second{cgroup=\"/a\",device=\"254:0\",direction=\"write\",device_name=\"vda\"} 100",
    ] {
        assert!(text.contains(line), "{line} missing:\n{text}");
    }
    assert!(!text.contains("some_new_kind"), "kinds are a fixed set");
}

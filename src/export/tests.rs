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

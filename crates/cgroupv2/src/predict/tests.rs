use super::*;
use std::path::Path;

#[test]
fn shell_words_are_quoted_and_inert() {
    assert_eq!(
        shell_word(b"/sys/fs/cgroup/a.slice"),
        "/sys/fs/cgroup/a.slice"
    );
    assert_eq!(shell_word(b"+memory -io"), "'+memory -io'");
    assert_eq!(shell_word(b"it's"), "'it'\\''s'");
    assert_eq!(shell_word(b"evil\x1b]0;x\x07"), "'evil\\e]0;x\\x07'");
}

#[test]
fn threaded_controllers_on_a_cgroup_with_processes_warn_of_a_thread_root() {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("cgroup.controllers", "cpu memory\n");
    write("cgroup.subtree_control", "cpu memory\n");
    for (file, text) in [
        ("cgroup.controllers", "cpu memory\n"),
        ("cgroup.subtree_control", "\n"),
        ("cgroup.type", "domain\n"),
        ("cgroup.procs", "4242\n"),
        ("cgroup.threads", "4242\n"),
        ("cgroup.events", "populated 1\nfrozen 0\n"),
    ] {
        write(&format!("busy/{file}"), text);
    }
    let fs = Cgroupfs::fixture(dir.path()).unwrap();
    let busy = CgroupPath::from_relative(Path::new("busy")).unwrap();
    let set = |value: &str| Op::Set {
        cgroup: busy.clone(),
        file: "cgroup.subtree_control".into(),
        value: value.into(),
    };
    let actor = Actor::current(&fs);
    let threaded = predict(&fs, &actor, &set("+cpu"));
    assert!(threaded.allowed(), "{threaded:?}");
    assert!(
        threaded
            .warnings
            .iter()
            .any(|w| w.contains("makes it a thread root")),
        "{threaded:?}"
    );
    // A domain controller is refused there (no internal processes), with no such warning.
    let domain = predict(&fs, &actor, &set("+memory"));
    assert_eq!(domain.errno.as_deref(), Some("EBUSY"), "{domain:?}");
    assert!(domain.warnings.iter().all(|w| !w.contains("thread root")));
}

#[test]
fn common_ancestors() {
    let p = |s: &str| CgroupPath::from_relative(Path::new(s)).unwrap();
    assert_eq!(common_ancestor(&p("a/c0/c01"), &p("a/c1/c11")), p("a"));
    assert_eq!(common_ancestor(&p("x/y"), &p("z")), CgroupPath::root());
    assert_eq!(common_ancestor(&p("a/b"), &p("a/b/c")), p("a/b"));
}

//! The Debian 12 fixture behaves like the host it was captured from: owners and modes from its
//! `.owners`, xattrs from `.xattrs`, users from `.passwd`, and systemd recognised by init.scope.
//! These tests need only the crate (no cgtui).

use cgroupv2::edit::Op;
use cgroupv2::predict::{Actor, predict};
use cgroupv2::systemd::{self, DelegationMark, Manager};
use cgroupv2::{CgroupPath, Cgroupfs};
use std::path::Path;

const USER_SERVICE: &str = "/user.slice/user-1000.slice/user@1000.service";

fn fixture() -> Cgroupfs {
    Cgroupfs::fixture(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/debian12"))
        .unwrap()
}

#[test]
fn owners_and_xattrs_are_the_hosts() {
    let fs = fixture();
    let service = fs.resolve(Path::new(USER_SERVICE)).unwrap();
    let dir = fs.stat(&service).unwrap().unwrap();
    assert_eq!((dir.uid, dir.gid, dir.mode & 0o7777), (1000, 1000, 0o755));
    assert!(dir.mode & 0o040000 != 0, "still a directory");
    assert_eq!(
        fs.stat_file(&service, "cgroup.procs").unwrap().unwrap().uid,
        1000
    );
    assert_eq!(
        fs.stat_file(&service, "memory.max").unwrap().unwrap().uid,
        0
    );
    assert_eq!(
        fs.stat(&CgroupPath::root()).unwrap().unwrap().mode & 0o7777,
        0o555
    );
    assert_eq!(fs.user_name(1000), "alice");
    assert_eq!(
        fs.xattr(&service, "trusted.delegate").as_deref(),
        Some(&b"1"[..])
    );
    assert_eq!(fs.xattr(&CgroupPath::root(), "trusted.delegate"), None);
}

#[test]
fn systemd_and_alices_delegation_are_recognised() {
    let fs = fixture();
    assert!(systemd::is_systemd_hierarchy(&fs), "init.scope is there");
    let service = fs.resolve(Path::new(USER_SERVICE)).unwrap();
    let owner = systemd::ownership(&fs, &service, &|_, _| None);
    assert_eq!(owner.manager, Some(Manager::System));
    assert_eq!(
        owner.unit.as_ref().and_then(|u| u.raw_str()),
        Some("user@1000.service")
    );
    assert!(owner.unit_delegated);
    let delegation = owner
        .delegation
        .expect("the unit's own cgroup is a delegation root");
    assert_eq!(delegation.root, service);
    assert_eq!(
        delegation.mark,
        DelegationMark::Xattr("trusted.delegate".into())
    );
}

#[test]
fn explain_shows_alices_delegation_of_her_user_manager() {
    let fs = fixture();
    let service = fs.resolve(Path::new(USER_SERVICE)).unwrap();
    let explanation = cgroupv2::explain::explain(&fs, &service);
    let delegation = explanation.delegation.as_ref().expect("a delegation root");
    assert_eq!(delegation.cgroup, service);
    assert_eq!(delegation.delegatee.as_deref(), Some("alice"));
    assert_eq!(delegation.delegatee_uid, Some(1000));
    let text = explanation.lines().join("\n");
    assert!(
        text.contains(&format!(
            "delegation root: {USER_SERVICE}, delegated to alice (uid 1000) (by xattr trusted.delegate"
        )),
        "{text}"
    );
    assert!(
        text.contains("(directory)              alice (uid 1000) mode 755"),
        "{text}"
    );
    assert!(
        text.contains("managed by: the system manager (systemd, PID 1; system bus), as the cgroup of user@1000.service"),
        "{text}"
    );
}

#[test]
fn predictions_name_the_hosts_owners() {
    let fs = fixture();
    let service = fs.resolve(Path::new(USER_SERVICE)).unwrap();
    // A move out of alice's cgroup to the parent: root may, and the explanation is about the
    // hierarchy as captured.
    let op = Op::Set {
        cgroup: service.clone(),
        file: "memory.maxx".into(),
        value: "1".into(),
    };
    let prediction = predict(&fs, &Actor::current(&fs), &op);
    assert_eq!(prediction.errno.as_deref(), Some("ENOENT"));
    assert!(
        prediction
            .fix
            .as_deref()
            .is_some_and(|f| f.contains("memory.max")),
        "{prediction:?}"
    );
}

#[test]
fn an_unknown_owner_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".owners"), "mallory root 755 \n").unwrap();
    let err = Cgroupfs::fixture(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains(".owners") && err.contains("unknown user \"mallory\""),
        "{err}"
    );
}

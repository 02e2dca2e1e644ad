use super::*;

#[test]
fn permission_bits_as_the_kernel_reads_them() {
    let stat = |uid, mode| DirStat {
        inode: 1,
        uid,
        gid: 1000,
        mode,
    };
    let alices_dir = stat(1000, 0o040755);
    assert!(dac_allows(&alices_dir, 1000, true, true));
    assert!(!dac_allows(&alices_dir, 1001, true, true), "group r-x only");
    assert!(
        dac_allows(&alices_dir, 0, false, true),
        "root by capability"
    );
    let root_file = stat(0, 0o100644);
    assert!(!dac_allows(&root_file, 1000, true, false));
    assert!(dac_allows(&root_file, 0, false, false));
    assert!(
        dac_allows(&stat(0, 0o100664), 7, true, false),
        "group writable"
    );
    assert!(
        !dac_allows(&stat(0, 0o040600), 0, false, true),
        "no x bit at all"
    );
}

#[test]
fn fixture_resolve_and_walk() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("a.slice/b.service")).unwrap();
    fs::write(dir.path().join("a.slice/memory.max"), "max\n").unwrap();
    std::os::unix::fs::symlink("/", dir.path().join("a.slice/escape")).unwrap();
    let fs = Cgroupfs::fixture(dir.path()).unwrap();

    let b = fs.resolve(Path::new("/a.slice/b.service")).unwrap();
    assert_eq!(b.to_string(), "/a.slice/b.service");
    let abs = fs.mount_point().join("a.slice");
    assert_eq!(fs.resolve(&abs).unwrap().to_string(), "/a.slice");
    assert!(matches!(
        fs.resolve(Path::new("a.slice/../..")),
        Err(Error::OutsideMount { .. })
    ));
    assert!(matches!(
        fs.resolve(Path::new("a.slice/escape")),
        Err(Error::OutsideMount { .. })
    ));
    assert!(matches!(
        fs.resolve(Path::new("a.slice/memory.max")),
        Err(Error::OutsideMount { .. })
    ));
    assert!(matches!(
        fs.resolve(Path::new("nope")),
        Err(Error::NoSuchCgroup { .. })
    ));

    let all: Vec<String> = fs
        .walk(&CgroupPath::root())
        .iter()
        .map(|p| p.to_string())
        .collect();
    assert_eq!(all, ["/", "/a.slice", "/a.slice/b.service"]);

    let a = fs.resolve(Path::new("a.slice")).unwrap();
    assert_eq!(
        fs.read(&a, "memory.max", crate::parse::limit).unwrap(),
        Some(crate::Limit::Max)
    );
    assert_eq!(fs.read_text(&a, "memory.high").unwrap(), None);
}

#[test]
fn a_fixtures_private_copy_takes_the_writes_and_goes_away() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("cgroup.procs"), "").unwrap();
    fs::create_dir(dir.path().join("a.slice")).unwrap();
    fs::write(dir.path().join("a.slice/memory.max"), "max\n").unwrap();
    let copy = Cgroupfs::fixture(dir.path())
        .unwrap()
        .private_copy()
        .unwrap();
    assert_eq!(
        copy.fixture_origin(),
        Some(fs::canonicalize(dir.path()).unwrap().as_path())
    );
    let a = copy.resolve(Path::new("a.slice")).unwrap();
    copy.write_file(&a, "memory.max", "1024").unwrap();
    copy.create_dir(&a.join(OsStr::new("b"))).unwrap();
    assert_eq!(
        copy.read_text(&a, "memory.max").unwrap().as_deref(),
        Some("1024")
    );
    assert!(copy.exists(&a.join(OsStr::new("b"))));
    assert_eq!(
        fs::read_to_string(dir.path().join("a.slice/memory.max")).unwrap(),
        "max\n"
    );
    assert!(!dir.path().join("a.slice/b").exists());
    let place = copy
        .private_journal()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    assert!(place.is_dir());
    drop(copy);
    assert!(!place.exists(), "the copy outlived its last handle");
}

/// Nested 250-byte names pass PATH_MAX at depth 17: every level is still listed, read,
/// created and removed, through descriptors relative to the levels above.
#[test]
fn paths_longer_than_path_max_are_walked_and_read() {
    let dir = tempfile::tempdir().unwrap();
    let name = "d".repeat(250);
    let levels = 20;
    let mut parent = rustix::fs::openat(
        rustix::fs::CWD,
        dir.path(),
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .unwrap();
    for _ in 0..levels {
        rustix::fs::mkdirat(&parent, name.as_str(), Mode::from_raw_mode(0o755)).unwrap();
        parent = rustix::fs::openat(
            &parent,
            name.as_str(),
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .unwrap();
    }
    let file = rustix::fs::openat(
        &parent,
        "memory.max",
        OFlags::WRONLY | OFlags::CREATE | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o644),
    )
    .unwrap();
    rustix::io::write(&file, b"4096\n").unwrap();
    let fs = Cgroupfs::fixture(dir.path()).unwrap();

    let all = fs.walk(&CgroupPath::root());
    assert_eq!(all.len(), levels + 1, "every level is listed");
    let deepest = all.last().unwrap().clone();
    assert_eq!(deepest.depth(), levels);
    assert!(fs.dir(&deepest).as_os_str().len() > 4096);
    assert_eq!(
        fs.read(&deepest, "memory.max", crate::parse::limit)
            .unwrap(),
        Some(crate::Limit::Value(4096))
    );
    assert!(fs.stat(&deepest).unwrap().is_some());
    assert_eq!(
        fs.resolve(&fs.dir(&deepest)).unwrap(),
        deepest,
        "an absolute path past PATH_MAX resolves"
    );
    fs.write_file(&deepest, "memory.max", "max").unwrap();
    assert_eq!(
        fs.read_text(&deepest, "memory.max").unwrap().as_deref(),
        Some("max")
    );
    let child = deepest.join(OsStr::new("child"));
    fs.create_dir(&child).unwrap();
    assert_eq!(
        fs.children(&deepest).unwrap().unwrap(),
        [OsString::from("child")]
    );
    fs.remove_dir(&child).unwrap();
    assert!(!fs.exists(&child));
}

#[test]
fn reads_stop_at_the_cap() {
    assert_eq!(read_capped(&b"12345"[..], 5).unwrap(), "12345");
    let err = read_capped(&b"123456"[..], 5).unwrap_err();
    assert!(err.to_string().contains("larger than"), "{err}");
}

/// A walk within a path length lists what fits, whatever the depth, and counts the tops of the
/// subtrees it leaves out without building their paths (a chain of long names would cost
/// depth squared to hold).
#[test]
fn a_walk_within_a_path_length_leaves_out_longer_paths_and_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    let name = "n".repeat(100);
    let chain = [name.as_str(); 6].join("/");
    std::fs::create_dir_all(dir.path().join("a").join(&chain)).unwrap();
    std::fs::create_dir_all(dir.path().join("b/c")).unwrap();
    std::fs::create_dir_all(dir.path().join(&name).join("d")).unwrap();
    let fs = Cgroupfs::fixture(dir.path()).unwrap();
    let root = CgroupPath::root();
    assert_eq!(fs.walk_within(&root, usize::MAX).cgroups, fs.walk(&root));
    assert_eq!(fs.walk(&root).len(), 1 + 1 + 6 + 2 + 2);
    // "a/" and 2 names fit in 203 bytes; the third level of a's chain (304 bytes) does not,
    // nor does anything below it.
    let walk = fs.walk_within(&root, 203);
    let listed: Vec<usize> = walk.cgroups.iter().map(|c| c.as_bytes().len()).collect();
    assert_eq!(listed, [0, 1, 102, 203, 1, 3, 100, 102]);
    assert_eq!(walk.beyond_max_path, 1);
    let walk = fs.walk_within(&root, 101);
    assert_eq!(walk.cgroups.len(), 5, "{:?}", walk.cgroups);
    assert_eq!(walk.beyond_max_path, 2, "a's chain and NAME/d");
    // The base is listed whatever its length.
    let deep = CgroupPath::from_relative(&Path::new("a").join(&chain)).unwrap();
    assert_eq!(fs.walk_within(&deep, 10).cgroups, [deep]);
}

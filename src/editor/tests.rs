use super::*;

struct Bench {
    _dir: tempfile::TempDir,
    fs: Cgroupfs,
    journal: std::path::PathBuf,
    svc: CgroupPath,
}

fn bench() -> Bench {
    let dir = tempfile::tempdir().unwrap();
    let svc_dir = dir.path().join("tree/system.slice/fx.service");
    std::fs::create_dir_all(&svc_dir).unwrap();
    std::fs::write(svc_dir.join("memory.max"), "max\n").unwrap();
    std::fs::write(svc_dir.join("pids.max"), "max\n").unwrap();
    let fs = Cgroupfs::fixture(&dir.path().join("tree")).unwrap();
    Bench {
        journal: dir.path().join("state/cgtui/journal.jsonl"),
        _dir: dir,
        fs,
        svc: CgroupPath::from_relative(std::path::Path::new("system.slice/fx.service")).unwrap(),
    }
}

impl Bench {
    fn editor(&self) -> Editor {
        Editor::new(self.fs.clone(), Journal::open(self.journal.clone()), false)
    }

    fn set(&self, editor: &Editor, file: &str, value: &str) {
        let op = Op::Set {
            cgroup: self.svc.clone(),
            file: file.into(),
            value: value.into(),
        };
        assert!(editor.run(&op).unwrap().ok());
    }
}

#[test]
fn a_session_undoes_only_its_own_changes_and_each_once() {
    let b = bench();
    let (mine, theirs) = (b.editor(), b.editor());
    assert_ne!(mine.session_id(), theirs.session_id());
    b.set(&mine, "memory.max", "512M");
    b.set(&theirs, "pids.max", "64");

    let plan = mine
        .plan_undo(UndoScope::Session(mine.session_id().into()))
        .unwrap();
    assert_eq!(
        plan.description,
        "set memory.max of /system.slice/fx.service from 536870912 back to max"
    );
    assert_eq!(plan.route, Route::Fs);
    // Any: the latest change, whoever's run made it.
    let latest = mine.plan_undo(UndoScope::Any).unwrap();
    assert!(latest.description.starts_with("set pids.max"), "{latest:?}");

    // Another run undoes it first: the plan is re-checked under the lock and refused.
    assert!(theirs.undo_planned(&plan).unwrap().ok());
    let again = mine.undo_planned(&plan).unwrap_err().to_string();
    assert!(again.contains("undone already"), "{again}");
    let none = mine
        .plan_undo(UndoScope::Session(mine.session_id().into()))
        .unwrap_err()
        .to_string();
    assert!(none.contains("made in this session"), "{none}");
}

#[test]
fn a_plan_is_refused_when_the_value_changed_after_it_was_made() {
    let b = bench();
    let editor = b.editor();
    b.set(&editor, "memory.max", "512M");
    let plan = editor.plan_undo(UndoScope::Any).unwrap();
    std::fs::write(b.fs.dir(&b.svc).join("memory.max"), "4096\n").unwrap();
    let err = editor.undo_planned(&plan).unwrap_err().to_string();
    assert!(err.contains("now holds 4096, not 536870912"), "{err}");
    assert_eq!(
        std::fs::read_to_string(b.fs.dir(&b.svc).join("memory.max")).unwrap(),
        "4096\n"
    );
}

#[test]
fn a_manager_that_does_not_answer_is_a_permission_refusal() {
    let op = Op::Set {
        cgroup: CgroupPath::root(),
        file: "memory.max".into(),
        value: "1".into(),
    };
    let err = BusError {
        name: None,
        message: "systemd did not answer within 5 s (connecting)".into(),
    };
    let outcome = bus_refusal(
        Outcome::new(&op, None),
        &err,
        Manager::User { uid: 1000 },
        &SysText::from("x.service"),
    );
    assert_eq!(outcome.rule, Rule::Permission);
    assert!(outcome.explanation.contains("did not answer within 5 s"));
}

use super::*;

// Text below was captured from Linux 6.1 (Debian 12) and 6.18.

#[test]
fn cpu_stat_with_and_without_throttling_keys() {
    let basic = "usage_usec 1107794\nuser_usec 196544\nsystem_usec 911250\n";
    let stat = cpu_stat(basic).unwrap();
    assert_eq!(stat.usage_usec, 1107794);
    assert_eq!(stat.user_usec, 196544);
    assert_eq!(stat.nr_periods, None);

    let full = "usage_usec 51316\nuser_usec 31233\nsystem_usec 20083\ncore_sched.force_idle_usec 0\n\
                nr_periods 12\nnr_throttled 3\nthrottled_usec 4506\nnr_bursts 0\nburst_usec 0\n";
    let stat = cpu_stat(full).unwrap();
    assert_eq!(stat.nr_periods, Some(12));
    assert_eq!(stat.nr_throttled, Some(3));
    assert_eq!(stat.throttled_usec, Some(4506));
}

#[test]
fn cpu_stat_rejects_garbage() {
    assert!(cpu_stat("usage_usec x\n").is_err());
    assert!(cpu_stat("user_usec 1\nsystem_usec 2\n").is_err());
    assert!(cpu_stat("usage_usec 1 2\n").is_err());
}

#[test]
fn cgroup_events_populated_and_frozen() {
    assert_eq!(
        cgroup_events("populated 1\nfrozen 0\n").unwrap(),
        CgroupEvents {
            populated: true,
            frozen: false
        }
    );
    assert!(cgroup_events("populated 0\nfrozen 1\n").unwrap().frozen);
    assert!(cgroup_events("frozen 1\n").is_err());
}

#[test]
fn memory_and_pids_events() {
    let text = "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n";
    let ev = memory_events(text).unwrap();
    assert_eq!(
        (ev.max, ev.oom, ev.oom_kill, ev.oom_group_kill),
        (12, 1, 1, Some(0))
    );
    assert_eq!(pids_events("max 3\n").unwrap().max, 3);
}

#[test]
fn cgroup_stat_counts() {
    let st = cgroup_stat("nr_descendants 34\nnr_dying_descendants 2\n").unwrap();
    assert_eq!((st.nr_descendants, st.nr_dying_descendants), (34, 2));
}

#[test]
fn io_stat_full_bare_and_extra_keys() {
    // A bare `MAJ:MIN` line, and iocost's extra keys (cost.vrate is a decimal).
    let text = "254:0 rbytes=209932288 wbytes=0 rios=207 wios=0 dbytes=0 dios=0\n7:0 \n\
                8:16 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=5 dios=6 cost.vrate=100.00 cost.usage=77\n";
    let st = io_stat(text).unwrap();
    assert_eq!(st.len(), 3);
    assert_eq!(
        st[0].device,
        Some(DeviceId {
            major: 254,
            minor: 0
        })
    );
    assert_eq!(st[0].rbytes, 209932288);
    assert_eq!(st[0].rios, 207);
    assert_eq!(st[1].rbytes, 0);
    assert_eq!(st[2].dios, 6);
    assert_eq!(
        st[2].extra[0],
        ("cost.vrate".to_string(), "100.00".to_string())
    );
    assert!(io_stat("").unwrap().is_empty());
    assert!(io_stat("8:0 rbytes=x\n").is_err());
    assert!(io_stat("8:x rbytes=1\n").is_err());
}

#[test]
fn pressure_some_and_full() {
    let text = "some avg10=0.32 avg60=0.15 avg300=0.03 total=124851\n\
                full avg10=0.21 avg60=0.10 avg300=0.02 total=84086\n";
    let p = pressure(text).unwrap();
    assert_eq!(p.some.avg10, 0.32);
    assert_eq!(p.some.total, 124851);
    assert_eq!(p.full.unwrap().total, 84086);
    let p = pressure("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n").unwrap();
    assert!(p.full.is_none());
    assert!(pressure("full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n").is_err());
    assert!(pressure("some avg10=nan avg60=0.00 avg300=0.00 total=0\n").is_err());
    assert!(pressure("some avg10=0.00\n").is_err());
}

#[test]
fn limits_are_max_or_numbers() {
    assert_eq!(limit("max\n").unwrap(), Limit::Max);
    assert_eq!(limit("209715200\n").unwrap(), Limit::Value(209715200));
    assert!(limit("-1\n").is_err());
    assert!(limit("").is_err());
    assert_eq!(single_u64("4096\n").unwrap(), 4096);
}

#[test]
fn cpu_max_quota_and_period() {
    assert_eq!(
        cpu_max("max 100000\n").unwrap(),
        CpuMax {
            quota: Limit::Max,
            period_usec: 100000
        }
    );
    assert_eq!(
        cpu_max("20000 100000\n").unwrap().quota,
        Limit::Value(20000)
    );
    assert!(cpu_max("20000\n").is_err());
}

#[test]
fn controller_lists() {
    assert_eq!(
        controllers("cpuset cpu io memory hugetlb pids rdma misc\n").unwrap(),
        [
            "cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"
        ]
    );
    assert!(controllers("\n").unwrap().is_empty());
    assert!(controllers("mem\u{1b}[2J\n").is_err());
}

#[test]
fn cgroup_types() {
    assert_eq!(cgroup_type("domain\n").unwrap(), CgroupType::Domain);
    assert_eq!(
        cgroup_type("domain threaded\n").unwrap(),
        CgroupType::DomainThreaded
    );
    assert_eq!(
        cgroup_type("domain invalid\n").unwrap(),
        CgroupType::DomainInvalid
    );
    assert_eq!(cgroup_type("threaded\n").unwrap(), CgroupType::Threaded);
    assert!(cgroup_type("thread\n").is_err());
}

#[test]
fn pid_lists() {
    assert_eq!(pid_list("336\n343\n").unwrap(), [336, 343]);
    assert!(pid_list("").unwrap().is_empty());
    assert!(pid_list("12a\n").is_err());
}

#[test]
fn io_max_and_weight() {
    let m = io_max("254:0 rbps=2097152 wbps=max riops=max wiops=120\n").unwrap();
    assert_eq!(m[0].rbps, Limit::Value(2097152));
    assert_eq!(m[0].wiops, Limit::Value(120));
    assert_eq!(m[0].wbps, Limit::Max);
    assert!(io_max("254:0 foo=1\n").is_err());
    let w = io_weight("default 100\n254:0 200\n").unwrap();
    assert_eq!(w.default, 100);
    assert_eq!(
        w.devices,
        [(
            DeviceId {
                major: 254,
                minor: 0
            },
            200
        )]
    );
    assert!(io_weight("254:0 200\n").is_err());
}

#[test]
fn memory_stat_keeps_the_keys_this_kernel_has() {
    let text = "anon 2191360\nfile 2252800\nkernel 704512\ninactive_file 1949696\nsome_new_key 7\npgmajfault 19\n";
    let stat = memory_stat(text).unwrap();
    assert_eq!(stat.anon, Some(2191360));
    assert_eq!(stat.inactive_file, Some(1949696));
    assert_eq!(stat.pgmajfault, Some(19));
    assert_eq!(stat.zswap, None, "absent on this kernel");
    assert!(memory_stat("anon x\n").is_err());
}

/// The files of a real kernel (Debian 12, 6.1): a service doing direct IO, and the root.
#[test]
fn memory_stat_and_io_stat_of_the_fixture() {
    let stat = memory_stat(include_str!(
        "../../tests/fixtures/debian12/system.slice/fxload.service/memory.stat"
    ))
    .unwrap();
    assert_eq!(stat.anon, Some(225280));
    assert_eq!(stat.file, Some(217088));
    assert_eq!(stat.kernel, Some(176128));
    assert_eq!(stat.slab, Some(47576));
    assert_eq!(stat.inactive_file, Some(204800));
    assert_eq!(stat.zswap, Some(0));
    assert_eq!(stat.pgfault, Some(762));
    assert_eq!(stat.workingset_refault_file, Some(0));

    // The root lists devices without IO as a bare `MAJ:MIN`.
    let io = io_stat(include_str!("../../tests/fixtures/debian12/io.stat")).unwrap();
    let vda = io
        .iter()
        .find(|d| {
            d.device
                == Some(DeviceId {
                    major: 254,
                    minor: 0,
                })
        })
        .expect("vda is listed");
    assert_eq!(
        (vda.rbytes, vda.wbytes, vda.rios, vda.wios),
        (253309952, 2465792, 1324, 71)
    );
    let loop0 = io
        .iter()
        .find(|d| d.device == Some(DeviceId { major: 7, minor: 0 }))
        .expect("a bare line is a device too");
    assert_eq!((loop0.rbytes, loop0.rios), (0, 0));
}

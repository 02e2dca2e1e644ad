use super::*;

struct Disks;
impl DeviceLookup for Disks {
    fn is_partition(&self, id: DeviceId) -> Option<bool> {
        match (id.major, id.minor) {
            (254, 0) => Some(false),
            (254, 1) => Some(true),
            _ => None,
        }
    }
}

fn ok(file: &str, value: &str) -> String {
    let ctx = Context {
        devices: Some(&Disks),
        ..Context::default()
    };
    normalize(file, value, &ctx).unwrap_or_else(|e| panic!("{e}"))
}

fn bad(file: &str, value: &str) -> InvalidValue {
    let ctx = Context {
        devices: Some(&Disks),
        ..Context::default()
    };
    normalize(file, value, &ctx).expect_err("must be refused")
}

#[test]
fn sizes_with_units() {
    assert_eq!(ok("memory.max", "512M"), "536870912");
    assert_eq!(ok("memory.max", "1.5G"), "1610612736");
    assert_eq!(ok("memory.high", "max"), "max");
    assert_eq!(ok("memory.low", " 4096 "), "4096");
    assert_eq!(ok("hugetlb.2MB.max", "4M"), "4194304");
    assert_eq!(bad("memory.max", "-1").errno, "EINVAL");
    assert_eq!(bad("memory.max", "12Q").errno, "EINVAL");
    assert!(bad("memory.max", "max\u{1b}").reason.contains("control"));
}

#[test]
fn cpu_max_forms_and_limits() {
    assert_eq!(ok("cpu.max", "max"), "max 100000");
    assert_eq!(ok("cpu.max", "50%"), "50000 100000");
    assert_eq!(ok("cpu.max", "200%"), "200000 100000");
    assert_eq!(ok("cpu.max", "20000 50000"), "20000 50000");
    let ctx = Context {
        cpu_period: Some(10_000),
        ..Context::default()
    };
    assert_eq!(normalize("cpu.max", "50%", &ctx).unwrap(), "5000 10000");
    assert!(
        bad("cpu.max", "999 100000")
            .reason
            .contains("minimum of 1000")
    );
    assert!(bad("cpu.max", "5000 2000000").reason.contains("period"));
    assert_eq!(bad("cpu.max", "abc").errno, "EINVAL");
    assert_eq!(bad("cpu.max", "0.5%").errno, "EINVAL"); // 500 µs
}

#[test]
fn weights_and_counts() {
    assert_eq!(ok("cpu.weight", "100"), "100");
    assert_eq!(bad("cpu.weight", "0").errno, "ERANGE");
    assert_eq!(bad("cpu.weight", "10001").errno, "ERANGE");
    assert_eq!(ok("pids.max", "max"), "max");
    assert_eq!(ok("pids.max", "42"), "42");
    assert_eq!(bad("pids.max", "-3").errno, "EINVAL");
    assert_eq!(ok("cgroup.max.descendants", "10"), "10");
    // Derived from each handler: kstrtoull refuses a sign, kstrtoint overflows to ERANGE.
    assert_eq!(bad("cpu.weight", "-1").errno, "EINVAL");
    assert_eq!(ok("cpu.weight", "0x10"), "16");
    assert_eq!(bad("cpu.weight.nice", "20").errno, "ERANGE");
    assert_eq!(ok("cpu.weight.nice", "-20"), "-20");
    assert_eq!(ok("pids.max", "4194304"), "4194304");
    assert_eq!(bad("pids.max", "4194305").errno, "EINVAL");
    assert_eq!(bad("cgroup.max.depth", "99999999999").errno, "ERANGE");
    assert_eq!(ok("cgroup.max.depth", "0x1"), "1");
    assert_eq!(bad("memory.oom.group", "2").errno, "EINVAL");
    assert_eq!(bad("memory.oom.group", "x").errno, "EINVAL");
    assert_eq!(bad("cpu.idle", "2").errno, "EINVAL");
    assert_eq!(bad("io.weight", "10001").errno, "EINVAL");
    assert_eq!(bad("io.bfq.weight", "1001").errno, "ERANGE");
    assert_eq!(ok("memory.max", "9223372036854775807"), "max");
}

#[test]
fn kernel_integer_parsing() {
    assert_eq!(kstrtoull("0x1f"), Ok(31));
    assert_eq!(kstrtoull("017"), Ok(15));
    assert_eq!(kstrtoull("+5\n"), Ok(5));
    assert_eq!(kstrtoull("08"), Err("EINVAL"));
    assert_eq!(kstrtoull("0x"), Err("EINVAL"));
    assert_eq!(kstrtoull(""), Err("EINVAL"));
    assert_eq!(kstrtoull("-1"), Err("EINVAL"));
    assert_eq!(kstrtoull("99999999999999999999"), Err("ERANGE"));
    assert_eq!(kstrtoll("-9223372036854775808"), Ok(i64::MIN));
    assert_eq!(kstrtoll("9223372036854775808"), Err("ERANGE"));
    assert_eq!(kstrtoint("2147483648"), Err("ERANGE"));
    assert_eq!(kstrtoint("-0x10"), Ok(-16));
}

#[test]
fn io_max_devices_and_zero() {
    assert_eq!(
        ok("io.max", "254:0 rbps=10M wiops=max"),
        "254:0 rbps=10485760 wiops=max"
    );
    assert_eq!(bad("io.max", "254:1 rbps=1").errno, "ENODEV");
    assert_eq!(bad("io.max", "9:9 rbps=1").errno, "ENODEV");
    assert_eq!(bad("io.max", "254:0 rbps=0").errno, "ERANGE");
    assert_eq!(bad("io.max", "254:0 foo=1").errno, "EINVAL");
    assert_eq!(bad("io.max", "254:0").errno, "EINVAL");
    assert_eq!(ok("io.weight", "200"), "default 200");
    assert_eq!(ok("io.weight", "254:0 50"), "254:0 50");
}

#[test]
fn core_files() {
    assert_eq!(ok("cgroup.subtree_control", "+memory  -io"), "+memory -io");
    assert_eq!(bad("cgroup.subtree_control", "memory").errno, "EINVAL");
    assert_eq!(ok("cgroup.procs", "1234"), "1234");
    assert_eq!(bad("cgroup.procs", "abc").errno, "EINVAL");
    assert_eq!(ok("cgroup.freeze", "1"), "1");
    assert_eq!(bad("cgroup.freeze", "2").errno, "ERANGE");
    assert_eq!(bad("cgroup.freeze", "x").errno, "EINVAL");
    assert_eq!(ok("cgroup.freeze", "0x1"), "1");
    assert_eq!(bad("cgroup.kill", "x").errno, "EINVAL");
    assert_eq!(bad("cgroup.kill", "2").errno, "ERANGE");
    assert_eq!(ok("cgroup.subtree_control", "  "), "");
    assert_eq!(bad("cgroup.max.depth", "-1").errno, "ERANGE");
    assert_eq!(bad("cgroup.kill", "0").errno, "ERANGE");
    assert_eq!(ok("cgroup.type", "threaded"), "threaded");
    assert_eq!(ok("cpuset.cpus", "0-3,5"), "0-3,5");
    assert_eq!(bad("cpuset.cpus", "3-1").errno, "EINVAL");
    assert!(is_known("memory.max"));
    assert!(!is_known("memory.something_new"));
}

#[test]
fn sizes_as_memparse_reads_them() {
    // Answers of 6.18 to writes of hugetlb.2MB.max (page_counter_memparse, like memory.*).
    assert_eq!(memparse(b"0x100000"), (1 << 20, 8));
    assert_eq!(ok("memory.max", "0x100000"), "1048576");
    assert_eq!(ok("memory.max", "1E"), "1152921504606846976");
    assert_eq!(ok("memory.max", "1P"), "1125899906842624");
    assert_eq!(ok("memory.max", "1g"), "1073741824");
    assert_eq!(ok("memory.max", "010"), "8"); // octal, as base 0 reads it
    assert_eq!(ok("memory.max", "16E"), "0"); // 2^64 wraps to 0
    assert_eq!(ok("memory.max", "17E"), "1152921504606846976");
    assert_eq!(ok("memory.max", "12345678901234567890"), "max");
    assert_eq!(
        ok("memory.max", "99999999999999999999"),
        "7766279631452241919"
    );
    assert_eq!(ok("memory.max", " "), "0"); // a blank is 0
    assert_eq!(bad("memory.max", "").reason, "empty value"); // zero bytes: never written
    for refused in ["+1", "-1", "0x", "08", "1.5.1G", "1KK", "max "] {
        let refused = refused.trim_end();
        if refused == "max" {
            continue;
        }
        assert_eq!(bad("memory.max", refused).errno, "EINVAL", "{refused}");
    }
    // cgtui's own forms the kernel refuses, converted.
    assert_eq!(ok("memory.max", "1.5G"), "1610612736");
    assert_eq!(ok("memory.max", "512MB"), "536870912");
    assert!(memparse_wraps("16E") && memparse_wraps("99999999999999999999"));
    assert!(!memparse_wraps("15E") && !memparse_wraps("18446744073709551615"));
    assert!(memparse_wraps("18446744073709551616") && !memparse_wraps("1.5G"));
}

#[test]
fn cpu_max_as_sscanf_reads_it() {
    // The rest after "%20s %llu" is ignored, a period that is no number keeps the current.
    assert_eq!(ok("cpu.max", "1000 100000 5"), "1000 100000");
    assert_eq!(ok("cpu.max", "max abc"), "max 100000");
    assert_eq!(ok("cpu.max", "5000abc"), "5000 100000");
    assert_eq!(ok("cpu.max", "1000 50000x"), "1000 50000");
    assert_eq!(bad("cpu.max", "+5000").errno, "EINVAL");
    assert_eq!(bad("cpu.max", "0x5000").errno, "EINVAL"); // %llu is decimal: 0 µs
    // MAX_BW: 2^44 - 1 µs is the largest quota.
    assert_eq!(
        ok("cpu.max", "17592186044415 100000"),
        "17592186044415 100000"
    );
    let above = bad("cpu.max", "20000000000000 100000");
    assert_eq!(above.errno, "EINVAL");
    assert!(above.reason.contains("maximum"), "{above}");
    // A token of 21 digits: 20 are the quota, the 21st is read as the period.
    assert_eq!(
        cpu_max_sscanf("123456789012345678901", 7),
        Some((Some(12345678901234567890), 1))
    );
    // The burst bounds the quota from below.
    let ctx = Context {
        cpu_burst: Some(50_000),
        ..Context::default()
    };
    assert_eq!(
        normalize("cpu.max", "20000", &ctx).unwrap_err().errno,
        "EINVAL"
    );
    assert_eq!(normalize("cpu.max", "50000", &ctx).unwrap(), "50000 100000");
}

#[test]
fn pids_as_kstrtoint_reads_them() {
    assert_eq!(kernel_pid("0x1a2b"), Some(6699));
    assert_eq!(kernel_pid(" 42\n"), Some(42));
    assert_eq!(kernel_pid("+7"), Some(7));
    assert_eq!(kernel_pid("010"), Some(8));
    assert_eq!(kernel_pid("-1"), None);
    assert_eq!(kernel_pid("2147483648"), None);
    assert_eq!(kernel_pid("12abc"), None);
    assert_eq!(ok("cgroup.procs", "0x1a2b"), "6699");
    assert_eq!(ok("cgroup.threads", " 12 "), "12");
    assert_eq!(pid_arg("0x10"), Ok(16));
    assert_eq!(pid_arg("4294967295"), Ok(u32::MAX)); // predicted EINVAL, not refused
    assert!(pid_arg("ten").is_err() && pid_arg("-1").is_err());
    assert_eq!(ok("pids.max", "0x10"), "16");
}

#[test]
fn pressure_files() {
    assert_eq!(ok("cgroup.pressure", "0"), "0");
    assert_eq!(bad("cgroup.pressure", "2").errno, "ERANGE");
    assert_eq!(bad("cgroup.pressure", "some").errno, "EINVAL");
    let as_user = |file: &str, text: &str, kernel: (u32, u32)| {
        let ctx = Context {
            kernel: Some(kernel),
            ..Context::default()
        };
        normalize(file, text, &ctx).map_err(|e| e.errno)
    };
    let as_root = |file: &str, text: &str| {
        let ctx = Context {
            psi_privileged: true,
            kernel: Some((6, 18)),
            ..Context::default()
        };
        normalize(file, text, &ctx).map_err(|e| e.errno)
    };
    assert_eq!(
        as_root("cpu.pressure", "some 150000 1000000").as_deref(),
        Ok("some 150000 1000000")
    );
    assert_eq!(
        as_root("memory.pressure", "full 1 1 trailing").as_deref(),
        Ok("full 1 1")
    );
    assert_eq!(
        as_root("io.pressure", "some150000 1000000").as_deref(),
        Ok("some 150000 1000000")
    );
    // The 2 s rule for writers without CAP_SYS_RESOURCE came with 6.5.
    assert_eq!(
        as_user("cpu.pressure", "some 150000 1000000", (6, 18)),
        Err("EINVAL")
    );
    assert!(as_user("cpu.pressure", "some 150000 2000000", (6, 18)).is_ok());
    assert!(as_user("cpu.pressure", "some 150000 1000000", (6, 1)).is_ok());
    // 500 ms was the smallest window before 6.4.
    assert_eq!(
        as_user("cpu.pressure", "some 100 400000", (6, 1)),
        Err("EINVAL")
    );
    assert!(as_root("cpu.pressure", "some 100 400000").is_ok());
    for refused in [
        "some 0 1000000",
        "some 2000000 1000000",
        "some 1 10000001",
        "half 1 2",
        "some 1",
        "full x 2",
    ] {
        assert_eq!(as_root("cpu.pressure", refused), Err("EINVAL"), "{refused}");
    }
    assert_eq!(as_root("irq.pressure", "some 1 1000000"), Err("EINVAL"));
    assert!(as_root("irq.pressure", "full 1 1000000").is_ok());
}

#[test]
fn cpu_lists_as_bitmap_parselist_reads_them() {
    let two = CpuFacts {
        nr_cpu_ids: 4,
        allowed: vec![0, 1],
    };
    let on = |text: &str| {
        let ctx = Context {
            cpus: Some(two.clone()),
            ..Context::default()
        };
        normalize("cpuset.cpus", text, &ctx).map_err(|e| e.errno)
    };
    assert!(on("0-1").is_ok() && on("0,1").is_ok() && on("").is_ok() && on("1-1").is_ok());
    assert!(on("0-3:1/2").is_err()); // 0 and 2; 2 is not online
    assert!(on("0-1:1/2").is_ok());
    assert_eq!(on("2"), Err("EINVAL")); // below nr_cpu_ids, not online
    assert_eq!(on("4"), Err("ERANGE")); // past nr_cpu_ids
    assert_eq!(on("N"), Err("EINVAL")); // the last bit, 3
    assert_eq!(on("1-0"), Err("EINVAL"));
    assert_eq!(on("0-1:3/2"), Err("EINVAL"));
    assert_eq!(on("x"), Err("EINVAL"));
    assert_eq!(on("99999999999"), Err("EOVERFLOW"));
    assert_eq!(cpus_of("0-2,5"), Some(vec![0, 1, 2, 5]));
    assert_eq!(cpus_of("0-7:2/4"), Some(vec![0, 1, 4, 5]));
}

#[test]
fn reclaim_requests() {
    assert_eq!(reclaim_request("64M", None), Some(64 << 20));
    assert_eq!(reclaim_request("0", None), Some(0));
    assert_eq!(reclaim_request("1G swappiness=60", None), Some(1 << 30));
    assert_eq!(reclaim_request("1G swappiness=201", None), None);
    assert_eq!(reclaim_request("1Gx", None), None);
    assert_eq!(reclaim_request("x", None), None);
    // Before 6.9 the whole text is one size, and a blank asks for everything.
    let old = Some((6, 1));
    assert_eq!(reclaim_request("1G swappiness=60", old), None);
    assert_eq!(reclaim_request("", old), Some(u64::MAX));
    assert_eq!(reclaim_request("", Some((6, 18))), None);
    assert_eq!(reclaim_request("1M swappiness=max", Some((6, 12))), None);
    assert_eq!(
        reclaim_request("1M swappiness=max", Some((6, 18))),
        Some(1 << 20)
    );
    assert_eq!(ok("memory.reclaim", "64M"), "64M");
    assert_eq!(ok("memory.reclaim", "1.5M"), "1572864");
    assert_eq!(bad("memory.reclaim", "lots").errno, "EINVAL");
}

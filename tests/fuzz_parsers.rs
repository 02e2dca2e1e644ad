//! Every parser, on arbitrary input and on mutations of real kernel text: Ok or Err, never a
//! panic. Failing inputs proptest finds are kept in tests/fuzz_parsers.proptest-regressions.

use cgtui::cgroup::{mount, parse, value};
use proptest::prelude::*;

/// Real interface-file text to mutate (from the Debian 12 capture).
const SEEDS: &[&str] = &[
    "usage_usec 1107794\nuser_usec 196544\nsystem_usec 911250\nnr_periods 12\nnr_throttled 3\nthrottled_usec 4506\n",
    "populated 1\nfrozen 0\n",
    "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n",
    "254:0 rbytes=209932288 wbytes=0 rios=207 wios=0 dbytes=0 dios=0\n7:0\n",
    "some avg10=0.32 avg60=0.15 avg300=0.03 total=124851\nfull avg10=0.21 avg60=0.10 avg300=0.02 total=84086\n",
    "max 100000\n",
    "cpuset cpu io memory hugetlb pids rdma misc\n",
    "domain threaded\n",
    "336\n343\n",
    "254:0 rbps=2097152 wbps=max riops=max wiops=120\n",
    "default 100\n254:0 200\n",
    "31 22 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n",
    "0::/user.slice/user-1000.slice/session-2.scope\n",
];

fn all_parsers(text: &str) {
    let _ = parse::flat_keyed(text);
    let _ = parse::cpu_stat(text);
    let _ = parse::cgroup_events(text);
    let _ = parse::memory_events(text);
    let _ = parse::pids_events(text);
    let _ = parse::cgroup_stat(text);
    let _ = parse::io_stat(text);
    let _ = parse::pressure(text);
    let _ = parse::limit(text);
    let _ = parse::single_u64(text);
    let _ = parse::cpu_max(text);
    let _ = parse::controllers(text);
    let _ = parse::cgroup_type(text);
    let _ = parse::pid_list(text);
    let _ = parse::io_max(text);
    let _ = parse::io_weight(text);
    let _ = parse::device_id(text);
    let _ = mount::parse_mountinfo(text);
    let _ = cgtui::cgroup::process::parse_proc_cgroup(
        text.as_bytes(),
        &cgtui::cgroup::CgroupPath::root(),
    );
    let _ = cgtui::cgroup::escape::visible(text.as_bytes());
    for file in [
        "memory.max",
        "cpu.max",
        "io.max",
        "io.weight",
        "cgroup.subtree_control",
        "pids.max",
        "cpuset.cpus",
    ] {
        let _ = value::normalize(file, text, &value::Context::default());
    }
}

/// A seed with one byte replaced, inserted or removed.
fn mutated() -> impl Strategy<Value = String> {
    (0..SEEDS.len(), any::<usize>(), any::<u8>(), 0..3u8).prop_map(|(seed, at, byte, how)| {
        let mut bytes = SEEDS[seed].as_bytes().to_vec();
        let at = at % (bytes.len() + 1);
        match how {
            0 if at < bytes.len() => bytes[at] = byte,
            1 => bytes.insert(at, byte),
            _ if at < bytes.len() => {
                bytes.remove(at);
            }
            _ => {}
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,200}") {
        all_parsers(&text);
    }

    #[test]
    fn mutated_kernel_text_never_panics(text in mutated()) {
        all_parsers(&text);
    }

    #[test]
    fn arbitrary_bytes_escape_to_printable_text(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let shown = cgtui::cgroup::escape::visible(&bytes);
        prop_assert!(!shown.chars().any(|c| c.is_control()));
    }
}

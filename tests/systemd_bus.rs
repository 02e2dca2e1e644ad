//! cgtui's D-Bus calls, checked against a fake systemd served on a private peer-to-peer
//! connection: the exact method, its arguments, and the D-Bus type of every property, for every
//! interface file cgtui maps to a unit property.

use cgtui::cgroup::systemd::{Client, PropertyValue, unit_properties};
use cgtui::cgroup::value::{Context, normalize};
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};
use zbus::{OwnedObjectPath, OwnedVariant};

#[derive(Debug, Clone, PartialEq)]
struct Call {
    method: &'static str,
    unit: String,
    /// runtime for SetUnitProperties, mode for the others.
    flag: String,
    /// (property name, D-Bus signature of its value, value rendered)
    props: Vec<(String, String, String)>,
    aux: usize,
}

#[derive(Clone, Default)]
struct FakeManager {
    calls: Arc<Mutex<Vec<Call>>>,
}

fn describe(props: &[(String, OwnedVariant)]) -> Vec<(String, String, String)> {
    props
        .iter()
        .map(|(name, value)| {
            (
                name.clone(),
                value.value_signature().to_string(),
                format!("{:?}", &**value),
            )
        })
        .collect()
}

#[zbus::interface(name = "org.freedesktop.systemd1.Manager")]
impl FakeManager {
    fn set_unit_properties(
        &self,
        name: String,
        runtime: bool,
        properties: Vec<(String, OwnedVariant)>,
    ) {
        self.calls.lock().unwrap().push(Call {
            method: "SetUnitProperties",
            unit: name,
            flag: runtime.to_string(),
            props: describe(&properties),
            aux: 0,
        });
    }

    fn start_transient_unit(
        &self,
        name: String,
        mode: String,
        properties: Vec<(String, OwnedVariant)>,
        aux: Vec<(String, Vec<(String, OwnedVariant)>)>,
    ) -> OwnedObjectPath {
        self.calls.lock().unwrap().push(Call {
            method: "StartTransientUnit",
            unit: name,
            flag: mode,
            props: describe(&properties),
            aux: aux.len(),
        });
        OwnedObjectPath::try_from("/org/freedesktop/systemd1/job/1").unwrap()
    }

    fn stop_unit(&self, name: String, mode: String) -> OwnedObjectPath {
        self.calls.lock().unwrap().push(Call {
            method: "StopUnit",
            unit: name,
            flag: mode,
            props: Vec::new(),
            aux: 0,
        });
        OwnedObjectPath::try_from("/org/freedesktop/systemd1/job/2").unwrap()
    }
}

/// A client connected to a fresh fake systemd, and the fake's record of calls.
fn fake_systemd() -> (Client, Arc<Mutex<Vec<Call>>>, zbus::Connection) {
    let (server_end, client_end) = UnixStream::pair().unwrap();
    let fake = FakeManager::default();
    let calls = fake.calls.clone();
    let (server, client) = zbus::block_on(async move {
        let guid = zbus::Guid::generate();
        let server = zbus::connection::Builder::unix_stream(server_end)
            .server(guid)
            .p2p()
            .serve_at("/org/freedesktop/systemd1", fake)
            .build();
        let client = zbus::connection::Builder::unix_stream(client_end)
            .p2p()
            .build();
        let (server, client) = futures_join(server, client).await;
        (server.unwrap(), client.unwrap())
    });
    (Client::with_connection(client), calls, server)
}

/// Both ends must authenticate at once, so build them concurrently.
async fn futures_join<A: std::future::Future, B: std::future::Future>(
    a: A,
    b: B,
) -> (A::Output, B::Output) {
    use std::pin::pin;
    use std::task::Poll;
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut ra, mut rb) = (None, None);
    std::future::poll_fn(|cx| {
        if ra.is_none()
            && let Poll::Ready(v) = a.as_mut().poll(cx)
        {
            ra = Some(v);
        }
        if rb.is_none()
            && let Poll::Ready(v) = b.as_mut().poll(cx)
        {
            rb = Some(v);
        }
        if ra.is_some() && rb.is_some() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    (ra.unwrap(), rb.unwrap())
}

#[test]
fn set_unit_properties_for_every_mapped_file() {
    let (client, calls, _server) = fake_systemd();
    /// (file, value typed, [(property, D-Bus signature, part of the value)])
    type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str, &'a str)]);
    let cases: &[Case] = &[
        ("memory.max", "300M", &[("MemoryMax", "t", "314572800")]),
        (
            "memory.high",
            "max",
            &[("MemoryHigh", "t", "18446744073709551615")],
        ),
        ("memory.low", "64M", &[("MemoryLow", "t", "67108864")]),
        ("memory.min", "0", &[("MemoryMin", "t", "0")]),
        (
            "memory.swap.max",
            "1G",
            &[("MemorySwapMax", "t", "1073741824")],
        ),
        ("cpu.weight", "250", &[("CPUWeight", "t", "250")]),
        (
            "cpu.max",
            "20%",
            &[
                ("CPUQuotaPerSecUSec", "t", "200000"),
                ("CPUQuotaPeriodUSec", "t", "100000"),
            ],
        ),
        ("io.weight", "300", &[("IOWeight", "t", "300")]),
        ("pids.max", "64", &[("TasksMax", "t", "64")]),
        (
            "pids.max",
            "max",
            &[("TasksMax", "t", "18446744073709551615")],
        ),
        (
            "io.max",
            "254:0 rbps=1M wbps=2M riops=100 wiops=200",
            &[
                ("IOReadBandwidthMax", "a(st)", "/dev/block/254:0"),
                ("IOWriteBandwidthMax", "a(st)", "2097152"),
                ("IOReadIOPSMax", "a(st)", "100"),
                ("IOWriteIOPSMax", "a(st)", "200"),
            ],
        ),
    ];
    struct Disk;
    impl cgtui::cgroup::value::DeviceLookup for Disk {
        fn is_partition(&self, _: cgtui::cgroup::parse::DeviceId) -> Option<bool> {
            Some(false)
        }
    }
    for (file, input, expected) in cases {
        let ctx = Context {
            cpu_period: None,
            devices: Some(&Disk),
        };
        let value = normalize(file, input, &ctx).unwrap();
        let props = unit_properties(file, &value).expect("mapped").unwrap();
        client
            .set_unit_properties("fx.service", true, &props)
            .unwrap();
        let call = calls
            .lock()
            .unwrap()
            .pop()
            .expect("a call reached the fake systemd");
        assert_eq!(call.method, "SetUnitProperties");
        assert_eq!(call.unit, "fx.service");
        assert_eq!(call.flag, "true", "runtime=true for a live change");
        assert_eq!(call.props.len(), expected.len(), "{file}: {:?}", call.props);
        for ((name, sig, value), (want_name, want_sig, want_value)) in
            call.props.iter().zip(expected.iter())
        {
            assert_eq!(name, want_name, "{file}");
            assert_eq!(sig, want_sig, "{file}: {name}");
            assert!(
                value.contains(want_value),
                "{file}: {name} = {value}, expected {want_value}"
            );
        }
    }
    // Persisting is the same call with runtime=false.
    let props = vec![("MemoryMax".to_string(), PropertyValue::U64(1))];
    client
        .set_unit_properties("fx.service", false, &props)
        .unwrap();
    assert_eq!(calls.lock().unwrap().pop().unwrap().flag, "false");
}

#[test]
fn playground_scope_and_stop() {
    let (client, calls, _server) = fake_systemd();
    client
        .start_delegated_scope(
            "cgtui-playground-42.scope",
            &[42],
            Some(&["memory".to_string(), "pids".to_string()]),
        )
        .unwrap();
    client.stop_unit("cgtui-playground-42.scope").unwrap();
    let calls = calls.lock().unwrap().clone();
    let start = &calls[0];
    assert_eq!(start.method, "StartTransientUnit");
    assert_eq!(start.unit, "cgtui-playground-42.scope");
    assert_eq!(start.flag, "fail");
    assert_eq!(start.aux, 0);
    let sigs: Vec<(&str, &str)> = start
        .props
        .iter()
        .map(|(n, s, _)| (n.as_str(), s.as_str()))
        .collect();
    assert_eq!(
        sigs,
        [
            ("PIDs", "au"),
            ("Delegate", "b"),
            ("DelegateControllers", "as")
        ]
    );
    assert!(start.props[0].2.contains("42"));
    assert!(start.props[1].2.contains("true"));
    assert_eq!(
        (calls[1].method, calls[1].flag.as_str()),
        ("StopUnit", "fail")
    );
}

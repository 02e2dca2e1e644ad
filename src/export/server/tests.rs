use super::*;

#[test]
fn slots_are_shared_fairly_per_peer() {
    let (a, _b) = UnixStream::pair().unwrap();
    let stream = Stream::Unix(a);
    let mut slots = Slots::default();
    for uid in 1..=16 {
        for _ in 0..PER_PEER {
            assert!(slots.take(Peer::Uid(uid), &stream).is_some());
        }
        assert!(
            slots.take(Peer::Uid(uid), &stream).is_none(),
            "{PER_PEER} a peer"
        );
    }
    assert_eq!(slots.held.len(), MAX_CONNECTIONS);
    // All taken: a newcomer takes the oldest of a busiest peer, up to a fair share.
    let scraper = Peer::Address(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 9)));
    for _ in 0..3 {
        assert!(slots.take(scraper, &stream).is_some());
    }
    assert_eq!(slots.held.len(), MAX_CONNECTIONS);
    assert_eq!(slots.of(scraper), 3);
    assert_eq!(slots.of(Peer::Uid(1)), 3, "the oldest went first");
}

#[test]
fn a_loopback_peers_uid_is_found() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, peer) = listener.accept().unwrap();
    let uid = loopback_peer_uid(server.local_addr().unwrap(), peer);
    assert_eq!(uid, Some(rustix::process::geteuid().as_raw()));
    drop(client);
}

#[test]
fn listen_addresses() {
    assert_eq!(
        parse_listen("127.0.0.1:9659"),
        Ok(Listen::Tcp("127.0.0.1:9659".parse().unwrap()))
    );
    assert_eq!(
        parse_listen("localhost:1"),
        Ok(Listen::Tcp("127.0.0.1:1".parse().unwrap()))
    );
    assert_eq!(
        parse_listen("/run/cgtui.sock"),
        Ok(Listen::Unix("/run/cgtui.sock".into()))
    );
    assert!(parse_listen("example.org:80").is_err());
    assert!(parse_listen("9659").is_err());
}

#[test]
fn requests() {
    let r = parse_request(
        b"GET /metrics?x=1 HTTP/1.1\r\nAccept: text/plain\r\nX-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n",
    )
    .unwrap();
    assert_eq!(r.path, "/metrics");
    assert_eq!(r.accept.as_deref(), Some("text/plain"));
    assert_eq!(r.scrape_timeout, Some(Duration::from_secs(10)));
    assert!(!r.head_only);
    let status = |head: &[u8]| match parse_request(head) {
        Err(Refusal::Status(status, _)) => status,
        Ok(_) => "ok",
    };
    assert_eq!(
        status(b"POST /metrics HTTP/1.1\r\n\r\n"),
        "405 Method Not Allowed"
    );
    assert_eq!(
        status(b"GET /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\n"),
        "413 Content Too Large"
    );
    assert_eq!(status(b"\x01\x02 garbage\r\n\r\n"), "400 Bad Request");
    assert_eq!(status(b"HEAD / HTTP/1.0\r\n\r\n"), "ok");
}

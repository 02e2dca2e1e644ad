use super::{bar, wrap};

#[test]
fn a_bar_tells_zero_from_nothing_and_a_little_from_zero() {
    assert_eq!(bar(None, 200.0), " ");
    assert_eq!(bar(Some(0.0), 200.0), "·");
    assert_eq!(bar(Some(0.1), 200.0), "▁");
    assert_eq!(bar(Some(50.0), 200.0), "▂");
    assert_eq!(bar(Some(200.0), 200.0), "█");
    // Above the top (a quota exceeded within measurement error): full, not wrapped.
    assert_eq!(bar(Some(230.0), 200.0), "█");
    assert_eq!(bar(Some(3.0), 0.0), "█");
}

#[test]
fn wraps_at_spaces_and_splits_long_words() {
    assert_eq!(wrap("aaa bbb ccc", 8), ["aaa bbb", "ccc"]);
    assert_eq!(wrap("abcdefghijkl x", 8), ["abcdefgh", "ijkl x"]);
    // A path breaks after a slash, never inside a name.
    assert_eq!(
        wrap("see /sys/fs/cgroup/user.slice/user@1000.service.d now", 24),
        [
            "see",
            "/sys/fs/cgroup/",
            "user.slice/",
            "user@1000.service.d now"
        ]
    );
    assert_eq!(wrap("", 8), [""]);
}

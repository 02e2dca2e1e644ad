//! Threads with names, so that `top -H` and /proc/PID/task/*/comm tell cgtui's apart.

/// Start a thread named `name` (as top -H and /proc/PID/task/*/comm show it; at most 15
/// bytes). Like `thread::spawn`, it panics if the system cannot make one.
pub fn spawn_named<T: Send + 'static>(
    name: &str,
    work: impl FnOnce() -> T + Send + 'static,
) -> std::thread::JoinHandle<T> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(work)
        .unwrap_or_else(|e| panic!("cannot start the {name} thread: {e}"))
}

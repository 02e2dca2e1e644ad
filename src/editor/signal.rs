//! A signal to one process, journaled like every change: the entry is written before the
//! signal is sent and completed after. Nothing to undo; undo walks past it.

use super::Editor;
use crate::cgroup::CgroupPath;
use crate::cgroup::process::{ProcessHandle, ProcessSignal};
use anyhow::Result;

/// A confirmed signal: the process held by its pidfd since the picker opened.
#[derive(Debug)]
pub struct SignalRequest {
    pub handle: ProcessHandle,
    pub signal: ProcessSignal,
    /// The cgroup the process was listed in.
    pub cgroup: CgroupPath,
    /// The process in words for the result (`1234 sleep, user root`), escaped.
    pub what: String,
}

impl Editor {
    /// Send the signal. `Ok` with the kernel's answer in words (sent, or why not); `Err` only
    /// when nothing was attempted (read-only, the journal cannot be written).
    pub fn signal(&self, request: &SignalRequest) -> Result<std::result::Result<String, String>> {
        self.refuse_read_only()?;
        let journal = self.journal.lock()?;
        let signal = request.signal.name();
        let entry = journal.begin_signal(
            &request.cgroup,
            signal,
            request.handle.pid,
            request.handle.start_ticks,
            &self.session,
        )?;
        let sent = request.handle.send(request.signal);
        let errno = sent.as_ref().err().and_then(|e| e.errno_name());
        journal.end_signal(entry, sent.is_ok(), errno)?;
        Ok(match sent {
            Ok(()) => Ok(format!("sent SIG{signal} to {}", request.what)),
            Err(why) => Err(format!("SIG{signal} to {} refused: {why}", request.what)),
        })
    }
}

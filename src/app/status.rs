//! What the app tells the person: the latest message in the footer, the log of every message
//! in full (`M`), and standing notices in the header.

use std::collections::VecDeque;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    Ok,
    Warning,
    Refused,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub tone: Tone,
    /// The full text; the footer shows what fits, the log all of it.
    pub text: String,
}

/// How many messages the log keeps.
const LOG_LIMIT: usize = 500;

/// Standing conditions shown in the header until they change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notices {
    /// inotify ran out of watches or stopped: changes are seen by polling.
    pub watcher: Option<String>,
    /// What the sampler reports about itself (a stretched interval, cgroups polled without a
    /// watch).
    pub sampler: Option<String>,
}

impl Notices {
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        [self.watcher.as_deref(), self.sampler.as_deref()]
            .into_iter()
            .flatten()
    }
}

#[derive(Debug, Default)]
pub struct Status {
    current: Option<Message>,
    log: VecDeque<Message>,
    pub notices: Notices,
}

impl Status {
    /// Show `text` in the footer and keep it in the log.
    pub fn say(&mut self, tone: Tone, text: impl Into<String>) {
        let message = Message {
            tone,
            text: text.into(),
        };
        if self.log.len() == LOG_LIMIT {
            self.log.pop_front();
        }
        self.log.push_back(message.clone());
        self.current = Some(message);
    }

    /// A passing note in the footer that is not worth keeping ("sorted by MEM").
    pub fn hint(&mut self, text: impl Into<String>) {
        self.current = Some(Message {
            tone: Tone::Info,
            text: text.into(),
        });
    }

    pub fn clear(&mut self) {
        self.current = None;
    }

    pub fn current(&self) -> Option<&Message> {
        self.current.as_ref()
    }

    pub fn log(&self) -> impl DoubleEndedIterator<Item = &Message> + ExactSizeIterator {
        self.log.iter()
    }
}

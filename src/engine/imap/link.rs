//! The state of the live command connection ([`super::live`]) without the connection: whether
//! it is up, down, or waiting out a backoff after a failure, and when to try again.
//!
//! Pure (no IO, no clock of its own: callers pass `now`), so the rules are unit-tested:
//! - a request the user is waiting for (opening a message, an action) connects at once when the
//!   link is down, even during a backoff: the user asked, and one attempt is cheap;
//! - a retry nobody asked for (the queue still holds actions) waits for the backoff;
//! - each failed connect doubles the backoff up to the maximum; a login resets it;
//! - a connection that broke while in use is retried once at once (a server that dropped an
//!   idle connection is the common case), and only a failed reconnect starts a backoff.

use std::time::{Duration, Instant};

/// What the live connection is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LinkState {
    /// Never connected, or closed cleanly.
    Down,
    /// A logged-in session is open.
    Up,
    /// The last connect failed; an unprompted retry waits until `retry_at`.
    Backoff { retry_at: Instant, error: String },
}

/// The link's state and its backoff.
#[derive(Debug, Clone)]
pub(crate) struct Link {
    state: LinkState,
    first: Duration,
    max: Duration,
    /// The wait after the next failure.
    next: Duration,
}

impl Link {
    pub fn new(first: Duration, max: Duration) -> Link {
        Link {
            state: LinkState::Down,
            first,
            max: max.max(first),
            next: first,
        }
    }

    pub fn state(&self) -> &LinkState {
        &self.state
    }

    /// Whether to connect now: always when a user waits (`urgent`), else only once the
    /// backoff is over. Never when already up.
    pub fn should_connect(&self, now: Instant, urgent: bool) -> bool {
        match &self.state {
            LinkState::Up => false,
            LinkState::Down => true,
            LinkState::Backoff { retry_at, .. } => urgent || now >= *retry_at,
        }
    }

    /// Logged in: the backoff starts again from its first step.
    pub fn connected(&mut self) {
        self.state = LinkState::Up;
        self.next = self.first;
    }

    /// A connect failed: wait the current step (returned), double the next one.
    pub fn connect_failed(&mut self, now: Instant, error: String) -> Duration {
        let wait = self.next;
        self.next = (self.next * 2).min(self.max);
        self.state = LinkState::Backoff {
            retry_at: now + wait,
            error,
        };
        wait
    }

    /// The session broke while in use (or was closed): down, to be reconnected on demand.
    pub fn dropped(&mut self) {
        self.state = LinkState::Down;
    }

    /// When an unprompted retry is due (None unless in backoff).
    pub fn retry_at(&self) -> Option<Instant> {
        match &self.state {
            LinkState::Backoff { retry_at, .. } => Some(*retry_at),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link() -> Link {
        Link::new(Duration::from_secs(1), Duration::from_secs(8))
    }

    #[test]
    fn down_connects_and_up_does_not() {
        let now = Instant::now();
        let mut l = link();
        assert!(l.should_connect(now, false));
        l.connected();
        assert_eq!(l.state(), &LinkState::Up);
        assert!(!l.should_connect(now, true));
        assert!(!l.should_connect(now, false));
    }

    #[test]
    fn backoff_doubles_up_to_the_maximum_and_a_login_resets_it() {
        let now = Instant::now();
        let mut l = link();
        let waits: Vec<u64> = (0..6)
            .map(|_| l.connect_failed(now, "refused".into()).as_secs())
            .collect();
        assert_eq!(waits, vec![1, 2, 4, 8, 8, 8]);
        l.connected();
        assert_eq!(
            l.connect_failed(now, "refused".into()),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn during_backoff_only_a_waiting_user_connects() {
        let now = Instant::now();
        let mut l = link();
        l.connect_failed(now, "refused".into());
        l.connect_failed(now, "refused".into());
        // Now waiting 2 s.
        assert!(l.should_connect(now, true), "a user request tries at once");
        assert!(!l.should_connect(now, false), "a background retry waits");
        assert!(!l.should_connect(now + Duration::from_millis(1999), false));
        assert!(l.should_connect(now + Duration::from_secs(2), false));
        assert_eq!(l.retry_at(), Some(now + Duration::from_secs(2)));
    }

    #[test]
    fn a_dropped_session_reconnects_at_once_without_backoff() {
        let now = Instant::now();
        let mut l = link();
        l.connected();
        l.dropped();
        assert_eq!(l.state(), &LinkState::Down);
        assert!(l.should_connect(now, false));
        assert_eq!(l.retry_at(), None);
    }

    #[test]
    fn a_maximum_below_the_first_step_is_raised_to_it() {
        let now = Instant::now();
        let mut l = Link::new(Duration::from_secs(5), Duration::from_secs(1));
        assert_eq!(l.connect_failed(now, "x".into()), Duration::from_secs(5));
        assert_eq!(l.connect_failed(now, "x".into()), Duration::from_secs(5));
    }
}

//! How `postie sync` shows progress: a one-line bar on a terminal, plain lines otherwise
//! (cron mail and logs want whole lines, not carriage returns). Always on standard error, so
//! standard output stays for the summary (or `--json`).

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::plural::count;
use crate::engine::progress::{ProgressSink, SyncEvent};

pub struct TerminalProgress {
    tty: bool,
    quiet: bool,
    /// When the bar was last drawn: redrawing on every message would cost more than it shows.
    last_draw: Mutex<Option<Instant>>,
}

impl TerminalProgress {
    /// `quiet`: only warnings (used with `--json`).
    pub fn new(quiet: bool) -> Self {
        TerminalProgress {
            tty: std::io::stderr().is_terminal(),
            quiet,
            last_draw: Mutex::new(None),
        }
    }
}

/// `1.5 MiB`-style sizes for humans.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

impl ProgressSink for TerminalProgress {
    fn event(&self, event: SyncEvent) {
        let mut err = std::io::stderr().lock();
        match event {
            SyncEvent::Warning { account, message } => {
                if self.tty {
                    let _ = write!(err, "\r\x1b[K");
                }
                let _ = writeln!(err, "postie: warning: account {account}: {message}");
            }
            _ if self.quiet => {}
            // A folder with nothing to do says nothing: its start is not news.
            SyncEvent::Started { .. } => {}
            SyncEvent::Progress {
                account,
                folder,
                done,
                total,
                bytes,
            } => {
                if !self.tty {
                    return;
                }
                let mut last = self.last_draw.lock().unwrap_or_else(|p| p.into_inner());
                let now = Instant::now();
                let finished = total == Some(done);
                if !finished && last.is_some_and(|t| now - t < Duration::from_millis(100)) {
                    return;
                }
                *last = Some(now);
                let count = match total {
                    Some(t) if t > 0 => {
                        let width = 20u64;
                        let filled = (done.min(t) * width / t) as usize;
                        format!(
                            "[{}{}] {done}/{t}",
                            "#".repeat(filled),
                            "-".repeat(width as usize - filled)
                        )
                    }
                    _ => count(done, "message", "messages"),
                };
                let size = if bytes > 0 {
                    format!(" {}", human_bytes(bytes))
                } else {
                    String::new()
                };
                let _ = write!(err, "\r\x1b[K{account}/{folder}: {count}{size}");
            }
            SyncEvent::Finished {
                account,
                folder,
                summary,
            } => {
                if self.tty {
                    let _ = write!(err, "\r\x1b[K");
                }
                if !nothing_done(&summary) {
                    let _ = writeln!(err, "{account}/{folder}: {summary}");
                }
            }
        }
        let _ = err.flush();
    }
}

/// Whether a folder's summary ("0 new, 0 deleted") counts nothing but zeros: such a folder
/// gets no line of its own (the account's summary line says what the sync did).
pub fn nothing_done(summary: &str) -> bool {
    summary
        .split(|c: char| !c.is_ascii_digit())
        .filter(|n| !n.is_empty())
        .all(|n| n.bytes().all(|b| b == b'0'))
}

#[cfg(test)]
mod tests {
    use super::{human_bytes, nothing_done};

    #[test]
    fn folders_with_only_zeros_are_quiet() {
        assert!(nothing_done("0 new"));
        assert!(nothing_done("0 new, 0 deleted"));
        assert!(nothing_done("0 indexed, 0 gone"));
        assert!(nothing_done(""), "a summary left to the account line");
        assert!(!nothing_done("10 new"));
        assert!(!nothing_done("0 sent, 1 still queued"));
    }

    #[test]
    fn sizes_read_like_a_person_would_write_them() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(3 * 1024 * 1024), "3.0 MiB");
    }
}

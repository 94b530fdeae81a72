//! Key press to redrawn frame times, for the benchmark (issue #16: "key press to redrawn frame
//! while a 10,000-message sync runs"). Hidden: only when `POSTIE_FRAME_LOG=FILE` is set does
//! [`super::terminal::run`] keep one, and then it appends one line per answered key to FILE:
//! the microseconds from the moment the input thread read the key to the end of the first
//! frame drawn after it (flushed to the terminal).
//!
//! What must hold: without the variable nothing is recorded and nothing is written; a key
//! read while an earlier one still waits for its frame is answered by the same frame (the
//! oldest waiting key is timed, so a busy loop shows as a long time, not as a lost sample);
//! a failing write never disturbs the UI (the log is dropped silently).

use std::fs::File;
use std::io::Write as _;
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

/// The open log and the oldest key still waiting for its frame.
#[derive(Debug)]
pub struct FrameLog {
    file: Mutex<Option<File>>,
    waiting: Mutex<Option<Instant>>,
}

impl FrameLog {
    /// The log `POSTIE_FRAME_LOG` names (created or appended to), or `None`.
    pub fn from_env() -> Option<FrameLog> {
        let path = std::env::var_os("POSTIE_FRAME_LOG").filter(|p| !p.is_empty())?;
        FrameLog::open(Path::new(&path))
    }

    /// A log appending to `path`; `None` when it cannot be opened.
    pub fn open(path: &Path) -> Option<FrameLog> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .ok()?;
        Some(FrameLog {
            file: Mutex::new(Some(file)),
            waiting: Mutex::new(None),
        })
    }

    /// A key was read now (called on the input thread).
    pub fn key_read(&self) {
        if let Ok(mut w) = self.waiting.lock() {
            w.get_or_insert_with(Instant::now);
        }
    }

    /// A frame was drawn and flushed: the waiting key, if any, is answered.
    pub fn frame_drawn(&self) {
        let Some(since) = self.waiting.lock().ok().and_then(|mut w| w.take()) else {
            return;
        };
        let micros = since.elapsed().as_micros();
        if let Ok(mut f) = self.file.lock()
            && let Some(file) = f.as_mut()
            && writeln!(file, "{micros}").is_err()
        {
            *f = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(path: &Path) -> Vec<u64> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| l.parse().unwrap())
            .collect()
    }

    #[test]
    fn one_line_per_key_answered_by_a_frame() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("frames.log");
        let log = FrameLog::open(&path).unwrap();
        log.frame_drawn(); // no key waiting: nothing to record
        log.key_read();
        std::thread::sleep(std::time::Duration::from_millis(3));
        log.key_read(); // answered by the same frame, timed from the first
        log.frame_drawn();
        log.frame_drawn();
        let got = lines(&path);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0] >= 3000, "timed from the first key: {got:?}");
        log.key_read();
        log.frame_drawn();
        assert_eq!(lines(&path).len(), 2);
    }
}

//! Running other programs with their output captured: mailcap `copiousoutput` viewers, the
//! reader's `auto_view` and `|` pipes.
//!
//! What must hold: a program never gets the terminal here (it runs in its own session, so it
//! has no controlling terminal and cannot fight the UI for the keyboard); it is killed, with
//! everything it started, when it outlives its time; its output is bounded and reaches the UI
//! only as printable text (escape sequences and control characters are dropped). These run as
//! tasks on the network runtime, never on the store thread.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use crate::ui::terminal::exit_text;

/// At most this much of a program's output is kept (the rest is read and dropped).
pub(super) const MAX_OUTPUT: usize = 4 * 1024 * 1024;

/// What a captured program did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Captured {
    /// stdout, then stderr after a blank line when there was any; cleaned for the screen.
    pub text: String,
    /// "exit 0", "exit 2", "killed after 10 s".
    pub status: String,
    pub success: bool,
    /// Killed for running too long.
    pub timed_out: bool,
}

/// Runs `sh -c shell` in its own session with `input` on stdin, for at most `limit`.
/// `Err`: it could not be started.
pub(super) async fn run_captured(
    shell: &str,
    input: Vec<u8>,
    limit: Duration,
) -> std::io::Result<Captured> {
    let mut cmd = tokio::process::Command::new("sh");
    cmd.arg("-c")
        .arg(shell)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    // SAFETY: setsid() is async-signal-safe and touches no memory of this process.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let mut child = cmd.spawn()?;
    let pid = child.id();
    let mut stdin = child.stdin.take();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let work = async {
        let feed = async {
            if let Some(mut w) = stdin.take() {
                // A program may stop reading early (`head`): that is not an error.
                let _ = w.write_all(&input).await;
                let _ = w.shutdown().await;
            }
        };
        let (_, out, err, status) = tokio::join!(
            feed,
            read_bounded(stdout),
            read_bounded(stderr),
            child.wait()
        );
        (out, err, status)
    };
    match tokio::time::timeout(limit, work).await {
        Ok((out, err, status)) => {
            let status = status?;
            let mut text = clean(&String::from_utf8_lossy(&out));
            let err = clean(&String::from_utf8_lossy(&err));
            if !err.trim().is_empty() {
                if !text.is_empty() && !text.ends_with('\n') {
                    text.push('\n');
                }
                text.push_str(&err);
            }
            Ok(Captured {
                text,
                status: exit_text(status),
                success: status.success(),
                timed_out: false,
            })
        }
        Err(_) => {
            kill_session(pid);
            Ok(Captured {
                text: String::new(),
                status: format!("killed after {} s", limit.as_secs()),
                success: false,
                timed_out: true,
            })
        }
    }
}

/// Kills the program and everything it started (its session's process group).
fn kill_session(pid: Option<u32>) {
    if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) {
        // SAFETY: kill() sends a signal; the group is the one setsid() made for the child.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

async fn read_bounded(pipe: Option<impl AsyncRead + Unpin>) -> Vec<u8> {
    let mut kept = Vec::new();
    let Some(mut pipe) = pipe else {
        return kept;
    };
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match pipe.read(&mut buf).await {
            Ok(0) | Err(_) => return kept,
            Ok(n) => {
                let room = MAX_OUTPUT.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
        }
    }
}

/// Text safe to draw: tabs expanded, escape sequences (colours, cursor moves), carriage
/// returns, backspace overstrikes and other control characters dropped.
pub(super) fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut column = 0usize;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => {
                out.push('\n');
                column = 0;
            }
            '\t' => {
                let n = 8 - column % 8;
                out.extend(std::iter::repeat_n(' ', n));
                column += n;
            }
            '\u{1b}' => {
                // CSI: ESC [ params final-byte; anything else: ESC and one character.
                if chars.peek() == Some(&'[') {
                    chars.next();
                    for f in chars.by_ref() {
                        if ('@'..='~').contains(&f) {
                            break;
                        }
                    }
                } else {
                    chars.next();
                }
            }
            '\u{8}' => {
                // Overstrike (`_\bx`, `x\bx`): keep the last character.
                if out.pop().is_some() {
                    column = column.saturating_sub(1);
                }
            }
            c if c.is_control() => {}
            c => {
                out.push(c);
                column += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_escapes_controls_and_tabs() {
        assert_eq!(
            clean("\u{1b}[1;31mred\u{1b}[0m\ta\r\nb_\u{8}x\u{7}\u{1b}]"),
            "red     a\nbx"
        );
    }

    #[tokio::test]
    async fn captures_stdin_through_a_pipe_and_the_exit_status() {
        let c = run_captured(
            "wc -l; echo oops >&2; exit 3",
            b"a\nb\nc\n".to_vec(),
            Duration::from_secs(30),
        )
        .await
        .unwrap();
        assert_eq!(c.text.split_whitespace().collect::<Vec<_>>(), ["3", "oops"]);
        assert_eq!(c.status, "exit 3");
        assert!(!c.success && !c.timed_out);
    }

    #[tokio::test]
    async fn a_program_that_stops_reading_early_is_fine() {
        let big = vec![b'x'; 1 << 20];
        let c = run_captured("head -c 3", big, Duration::from_secs(30))
            .await
            .unwrap();
        assert_eq!(c.text, "xxx");
        assert!(c.success);
    }

    #[tokio::test]
    async fn a_program_that_hangs_is_killed_with_its_children() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("survived");
        let shell = format!("(sleep 3; touch {}) & sleep 60", marker.display());
        let c = run_captured(&shell, Vec::new(), Duration::from_millis(500))
            .await
            .unwrap();
        assert!(c.timed_out && !c.success, "{c:?}");
        assert!(c.status.starts_with("killed after"), "{}", c.status);
        std::thread::sleep(Duration::from_secs(4));
        assert!(!marker.exists(), "the background child was killed too");
    }

    #[tokio::test]
    async fn output_is_bounded() {
        let c = run_captured("yes | head -c 6000000", Vec::new(), Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(c.text.len(), MAX_OUTPUT);
        assert!(c.success);
    }
}

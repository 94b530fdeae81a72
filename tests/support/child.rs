//! Running a postie child process and measuring it: exit status, output, wall time and peak
//! resident memory (from `wait4`'s rusage, which covers exactly that child), with a watchdog
//! that kills it if it runs past a deadline.
//!
//! Uses only std and libc, never postie's modules.

#![allow(dead_code)]

use std::fs::File;
use std::io::Read as _;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What a finished child did.
#[derive(Debug)]
pub struct Finished {
    /// The exit code; None if a signal ended it (the watchdog's SIGKILL, or a crash).
    pub code: Option<i32>,
    /// The signal that ended it, if one did.
    pub signal: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub elapsed: Duration,
    /// Peak resident set size in KiB (`ru_maxrss`).
    pub max_rss_kib: i64,
    /// Whether the watchdog had to kill it.
    pub timed_out: bool,
    /// The test process's RSS when it forked the child: a floor under `max_rss_kib`.
    pub parent_rss_kib: i64,
}

impl Finished {
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// Runs `cmd` (stdin closed, stdout and stderr to temp files so a big output cannot block it)
/// and waits with `wait4`; kills it after `deadline`.
pub fn run_measured(cmd: &mut Command, deadline: Duration) -> Finished {
    let dir = tempfile::tempdir().expect("temp dir");
    let out_path = dir.path().join("stdout");
    let err_path = dir.path().join("stderr");
    let out = File::create(&out_path).expect("stdout file");
    let err = File::create(&err_path).expect("stderr file");
    let start = Instant::now();
    // Linux keeps the larger of the old and new memory's high-water mark across exec, and
    // posix_spawn (std's fast path) shares the parent's memory until exec: the child's
    // ru_maxrss would be this test process's peak. A pre_exec hook forces fork, whose copy
    // counts only the parent's current RSS (see `parent_rss_kib`, reported beside it).
    // SAFETY: the hook does nothing, so it is async-signal-safe.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(cmd, || Ok(()));
    }
    let parent_rss_kib = current_rss_kib();
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .spawn()
        .expect("spawn the child");
    let pid = child.id() as libc::pid_t;
    let done = Arc::new(AtomicBool::new(false));
    let killed = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let done = done.clone();
        let killed = killed.clone();
        std::thread::spawn(move || {
            let until = Instant::now() + deadline;
            while Instant::now() < until {
                if done.load(Ordering::SeqCst) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            if !done.load(Ordering::SeqCst) {
                killed.store(true, Ordering::SeqCst);
                // SAFETY: plain kill(2) of our own child, not yet reaped (done is false).
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        })
    };
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to overwrite.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 on our own child's pid with pointers to locals we own.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    done.store(true, Ordering::SeqCst);
    let elapsed = start.elapsed();
    let _ = watchdog.join();
    assert_eq!(r, pid, "wait4 failed: {}", std::io::Error::last_os_error());
    // The child is reaped: std must not wait for it again.
    std::mem::forget(child);
    let read = |p: &std::path::Path| {
        let mut v = Vec::new();
        File::open(p)
            .expect("output file")
            .read_to_end(&mut v)
            .expect("read output");
        v
    };
    let exited = libc::WIFEXITED(status);
    Finished {
        code: exited.then(|| libc::WEXITSTATUS(status)),
        signal: libc::WIFSIGNALED(status).then(|| libc::WTERMSIG(status)),
        stdout: read(&out_path),
        stderr: read(&err_path),
        elapsed,
        max_rss_kib: usage.ru_maxrss,
        timed_out: killed.load(Ordering::SeqCst),
        parent_rss_kib,
    }
}

/// This process's resident set now, in KiB (VmRSS of /proc/self/status).
pub fn current_rss_kib() -> i64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

//! A terminal UI under test: the real binary in a tmux pane (own socket, no user config),
//! driven with `send-keys` and read with `capture-pane`. Shared by the end-to-end test files.
//!
//! tmux is required: without it these helpers fail saying so, they never skip.
//!
//! Standalone (it names the test binary's `CARGO_BIN_EXE_postie`, which examples that include
//! `support/` do not have): include it with `#[path = "support/tui.rs"] mod tui;`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub const WAIT: Duration = Duration::from_secs(20);

/// One tmux server (own socket, no user config) running postie in a 120x35 pane.
pub struct Tui {
    socket: String,
    dir: tempfile::TempDir,
}

pub fn tmux_available() {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "tmux is not installed: the terminal UI end-to-end tests need it (apt-get install tmux)"
    );
}

impl Tui {
    /// Starts `postie ARGS` with a clean environment: HOME, config and data under a temp dir,
    /// plus `extra_env`. The pane's shell records `stty -a` before and after, and the exit code.
    pub fn start(args: &[&str], extra_env: &[(&str, String)]) -> Tui {
        Tui::start_sized(args, extra_env, (120, 35))
    }

    /// As [`Tui::start`], on a terminal of `(columns, rows)`.
    pub fn start_sized(args: &[&str], extra_env: &[(&str, String)], size: (u16, u16)) -> Tui {
        Tui::launch(args, extra_env, size, false)
    }

    /// As [`Tui::start`], under a shell with job control (`set -m`), as from an interactive
    /// shell: postie runs in its own process group, which owns the terminal. When that job
    /// stops (Ctrl-Z), the pane shows `POSTIE-STOPPED=STATUS`; then a line typed (Enter) runs
    /// `fg`, which continues it.
    pub fn start_job_control(args: &[&str], extra_env: &[(&str, String)]) -> Tui {
        Tui::launch(args, extra_env, (120, 35), true)
    }

    fn launch(
        args: &[&str],
        extra_env: &[(&str, String)],
        size: (u16, u16),
        job_control: bool,
    ) -> Tui {
        tmux_available();
        static N: AtomicU32 = AtomicU32::new(0);
        let socket = format!(
            "postie-e2e-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        for sub in ["config", "data", "home"] {
            std::fs::create_dir_all(d.join(sub)).expect("mkdir");
        }
        let mut env = vec![
            ("HOME".to_owned(), d.join("home").display().to_string()),
            ("PATH".to_owned(), "/usr/bin:/bin".to_owned()),
            ("TERM".to_owned(), "screen-256color".to_owned()),
            ("LANG".to_owned(), "C.UTF-8".to_owned()),
            (
                "XDG_CONFIG_HOME".to_owned(),
                d.join("config").display().to_string(),
            ),
            (
                "XDG_DATA_HOME".to_owned(),
                d.join("data").display().to_string(),
            ),
            ("TMPDIR".to_owned(), d.display().to_string()),
        ];
        env.extend(extra_env.iter().map(|(k, v)| (k.to_string(), v.clone())));
        let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
        let env_words: Vec<String> = env
            .iter()
            .map(|(k, v)| quote(&format!("{k}={v}")))
            .collect();
        let arg_words: Vec<String> = args.iter().map(|a| quote(a)).collect();
        let command = format!(
            "env -i {env} {bin} {args} 2> {stderr}",
            stderr = quote(&d.join("stderr").display().to_string()),
            env = env_words.join(" "),
            bin = quote(env!("CARGO_BIN_EXE_postie")),
            args = arg_words.join(" "),
        );
        // With job control, a stopped job returns to the script, which waits for a line
        // before `fg`; the exit line then comes from `fg`, which returns the job's status.
        let run = if job_control {
            format!("set -m\n{command}\necho \"POSTIE-STOPPED=$?\"\nread -r _go\nfg\n")
        } else {
            format!("{command}\n")
        };
        let script = format!(
            "stty -a > {before}\n\
             {run}\
             echo \"POSTIE-EXIT=$?\"\n\
             stty -a > {after}\n\
             sleep 600\n",
            before = quote(&d.join("stty.before").display().to_string()),
            after = quote(&d.join("stty.after").display().to_string()),
        );
        let script_path = d.join("run.sh");
        std::fs::write(&script_path, script).expect("write script");
        let tui = Tui { socket, dir };
        tui.tmux(&[
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            &size.0.to_string(),
            "-y",
            &size.1.to_string(),
            &format!("sh {}", quote(&script_path.display().to_string())),
        ]);
        tui
    }

    pub fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("run tmux");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "t"])
    }

    /// Waits until the screen satisfies `ok`; panics showing the screen otherwise.
    pub fn wait_until(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "waited {WAIT:?} for {what}; the screen:\n{s}\nstderr: {}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn wait_for(&self, text: &str) -> String {
        self.wait_until(&format!("{text:?}"), |s| s.contains(text))
    }

    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.tmux(&["send-keys", "-t", "t", k]);
            // One key at a time, as typed: the UI must keep up, and a burst would also work,
            // but a failure is easier to read this way.
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    pub fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "t", "-l", text]);
    }

    pub fn alternate_screen(&self) -> bool {
        self.tmux(&["display-message", "-p", "-t", "t", "#{alternate_on}"])
            .trim()
            == "1"
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr")).unwrap_or_default()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Presses `q` until postie exits (each press closes one view); returns its exit code.
    pub fn quit(&self) -> i32 {
        for _ in 0..5 {
            self.keys(&["q"]);
            std::thread::sleep(Duration::from_millis(300));
            if self.screen().contains("POSTIE-EXIT=") {
                break;
            }
        }
        let s = self.wait_for("POSTIE-EXIT=");
        let code = s
            .split("POSTIE-EXIT=")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .and_then(|c| c.parse().ok())
            .expect("exit code");
        // The shell writes stty.after right after the exit line.
        let after = self.path("stty.after");
        let deadline = Instant::now() + WAIT;
        while !after.exists() || std::fs::metadata(&after).map(|m| m.len()).unwrap_or(0) == 0 {
            assert!(Instant::now() < deadline, "no stty.after");
            std::thread::sleep(Duration::from_millis(50));
        }
        code
    }

    /// The terminal is as it was: same settings, main screen, nothing on stderr.
    pub fn assert_restored(&self) {
        let read = |p: &Path| std::fs::read_to_string(p).expect("stty output");
        assert_eq!(
            read(&self.path("stty.before")),
            read(&self.path("stty.after")),
            "stty -a differs after postie exited"
        );
        assert!(
            !self.alternate_screen(),
            "the alternate screen was not left"
        );
        assert_eq!(self.stderr(), "", "nothing may be written to the terminal");
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

/// Every file under `dir`.
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

//! The check clock with a real store: an account is synced on its `check_interval` without
//! any command from the UI, and the notify command gets the news in its environment only.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use super::check::{NewMail, spawn_notify};
use super::*;

/// A POP3 account whose server is `port` on 127.0.0.1, checked every `interval`.
fn pop3_config(data: &std::path::Path, port: u16, interval: &str) -> Config {
    let text = format!(
        r#"data_dir = "{d}"
[accounts.pop]
email = "p@x.test"
[accounts.pop.incoming]
protocol = "pop3"
host = "127.0.0.1"
port = {port}
tls = "none"
allow_plaintext = true
password_command = "echo secret"
check_interval = {interval}
"#,
        d = data.display()
    );
    Config::parse(
        &text,
        std::path::Path::new("/nonexistent/config.toml"),
        &crate::config::Env::default(),
    )
    .unwrap()
}

/// Accepts connections on `listener` until `want` arrived or `limit` passed; each is closed
/// at once (the sync then fails, which is fine: only the attempt is counted).
fn connections(listener: &TcpListener, want: usize, limit: Duration) -> usize {
    listener.set_nonblocking(true).unwrap();
    let start = Instant::now();
    let mut n = 0;
    while n < want && start.elapsed() < limit {
        match listener.accept() {
            Ok((stream, _)) => {
                drop(stream);
                n += 1;
            }
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    n
}

struct Running {
    rt: tokio::runtime::Runtime,
    handles: Handles,
    _dir: tempfile::TempDir,
}

fn run(mode: Mode, port: u16, interval: &str) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = pop3_config(&data, port, interval);
    let mut store = Store::open(&data).unwrap();
    store.register_accounts(&config).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let options = Options {
        mode,
        config,
        accounts: vec!["pop".to_owned()],
        initial_sync: false,
    };
    let handles = start(store, options, rt.handle().clone()).unwrap();
    Running {
        rt,
        handles,
        _dir: dir,
    }
}

impl Running {
    /// The account states reported so far (without waiting).
    fn states(&mut self) -> Vec<ui::AccountState> {
        let mut out = Vec::new();
        while let Ok(ev) = self.handles.events.try_recv() {
            if let Event::AccountState { state, .. } = ev {
                out.push(state);
            }
        }
        out
    }

    fn stop(self) {
        drop(self.handles.commands);
        drop(self.handles.events);
        let _ = self.handles.thread.join();
        self.rt.shutdown_timeout(Duration::from_secs(5));
    }
}

#[test]
fn a_pop3_account_is_checked_on_its_interval_without_a_key() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut running = run(Mode::Online, port, "\"1s\"");
    // No command was sent: two connections mean the clock fired twice.
    assert_eq!(connections(&listener, 2, Duration::from_secs(30)), 2);
    let states = running.states();
    assert!(
        states.contains(&ui::AccountState::Connecting),
        "the check shows in the account's badge: {states:?}"
    );
    running.stop();
}

#[test]
fn offline_mode_and_an_interval_of_off_never_check() {
    for (mode, interval) in [(Mode::Offline, "\"1s\""), (Mode::Online, "\"off\"")] {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut running = run(mode, port, interval);
        // Three intervals' worth: a running clock would have connected by then.
        assert_eq!(
            connections(&listener, 1, Duration::from_secs(3)),
            0,
            "{mode:?} {interval}"
        );
        assert!(running.states().is_empty());
        running.stop();
    }
}

#[test]
fn the_notify_command_gets_the_news_in_its_environment_never_as_code() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let pwned = dir.path().join("pwned");
    let news = NewMail {
        account: "pop".into(),
        folder: "INBOX".into(),
        count: 3,
        from: "Mallory <m@x.test>".into(),
        subject: format!(
            "$(touch {}) `touch {}`\r\n; touch {}",
            pwned.display(),
            pwned.display(),
            pwned.display()
        ),
    };
    let command = format!(
        "printf '%s|%s|%s|%s|%s' \"$POSTIE_ACCOUNT\" \"$POSTIE_FOLDER\" \"$POSTIE_COUNT\" \"$POSTIE_FROM\" \"$POSTIE_SUBJECT\" > {}.tmp && mv {}.tmp {}",
        out.display(),
        out.display(),
        out.display()
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async { spawn_notify(&command, &news) });
    let start = Instant::now();
    while !out.exists() && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let got = std::fs::read_to_string(&out).expect("the command ran");
    assert_eq!(
        got,
        format!(
            "pop|INBOX|3|Mallory <m@x.test>|$(touch {p}) `touch {p}`  ; touch {p}",
            p = pwned.display()
        )
    );
    assert!(!pwned.exists(), "the subject ran as shell code");
}

//! Issue #9, items 1-2: fault and crash trials of the real `postie` binary against the real
//! Dovecot and Postfix.
//!
//! Proxy trials put tests/support/fault_proxy.rs between postie and the server and cut the
//! connection (either direction), truncate a reply mid-line or stall it, at a byte offset
//! drawn uniformly over the whole session (the session's length is measured by a clean run
//! first). Kill trials SIGKILL postie at a moment drawn uniformly over a clean run's duration.
//! After each faulty run, and again after a clean re-run, the invariants are checked:
//!
//! - every server message is in the store exactly once, byte for byte (line ends folded:
//!   Dovecot stores LF and serves CRLF);
//! - nothing is gone from the server that is not durable locally (POP3 `delete` mode);
//! - every message `postie send --queue` accepted (exit 0 or 75) is delivered exactly once
//!   after `postie outbox flush`, or is still in the outbox;
//! - the store still opens (`postie list --json` exits 0).
//!
//! In a quarter of the kill trials the index is also deleted or truncated before the re-run:
//! it must be rebuilt from the Maildirs with nothing lost and nothing fetched twice.
//!
//! The scenarios: POP3 keep, POP3 delete, IMAP with `fetch_bodies = "all"`, and SMTP send with
//! the outbox; implicit TLS or STARTTLS drawn per trial.
//!
//! Counts come from the environment (`POSTIE_SOAK_SCENARIOS` limits the scenarios): `POSTIE_SOAK_PROXY_TRIALS` (default 24, for CI) and
//! `POSTIE_SOAK_KILL_TRIALS` (default 8); `POSTIE_SOAK_SEED` replays a run;
//! `POSTIE_SOAK_REPORT=FILE` appends a JSON summary line. `scripts/soak` runs 500 + 200.

#![allow(clippy::unwrap_used)]

#[path = "support/fault_proxy.rs"]
mod fault_proxy;
mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use fault_proxy::{Direction, Fault, FaultProxy};
use support::child::{Finished, run_measured};
use support::seed::{Seeded, XorShift, seed_with};
use support::{TestUser, servers};

/// Longest a faulty run may take before the trial kills it (a stall the client does not time
/// out on becomes a kill at this point, which is also a valid trial).
const FAULTY_DEADLINE: Duration = Duration::from_secs(5);
/// Longest a clean run may take.
const CLEAN_DEADLINE: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Scenario {
    Pop3Keep,
    Pop3Delete,
    ImapAll,
    SmtpOutbox,
    /// POP3 delete mode with a second `postie sync` of the same account running at once
    /// (issue #12, item 3: the account lock).
    Pop3Concurrent,
    /// Offline actions chained on the same messages, replayed by the faulty sync (issue #12,
    /// item 8; see `chain.rs`).
    ImapChain,
}

const SCENARIOS: [Scenario; 6] = [
    Scenario::Pop3Keep,
    Scenario::Pop3Delete,
    Scenario::ImapAll,
    Scenario::SmtpOutbox,
    Scenario::Pop3Concurrent,
    Scenario::ImapChain,
];

#[path = "soak/chain.rs"]
mod chain;

/// Tallies of a run of trials.
#[derive(Debug, Default)]
struct Tally {
    trials: usize,
    faults_fired: usize,
    kills: usize,
    messages_checked: usize,
    lost: usize,
    duplicated: usize,
    /// Second deliveries after the connection broke between the end of DATA and the server's
    /// reply: the one window where SMTP itself cannot tell "accepted" from "not". postie sends
    /// again (a duplicate rather than a loss, as RFC 5321 section 6.1 prefers); counted apart.
    ambiguous_resends: usize,
    corrupted: usize,
    index_damaged: usize,
    failures: Vec<String>,
    per_scenario: BTreeMap<String, usize>,
}

impl Tally {
    fn fail(&mut self, trial: &str, what: String) {
        self.failures.push(format!("{trial}: {what}"));
    }

    fn report(&self, name: &str, seed: u64) {
        let line = serde_json::json!({
            "test": name,
            "seed": seed,
            "trials": self.trials,
            "faults_fired": self.faults_fired,
            "kills": self.kills,
            "messages_checked": self.messages_checked,
            "lost": self.lost,
            "duplicated": self.duplicated,
            "ambiguous_resends": self.ambiguous_resends,
            "corrupted": self.corrupted,
            "index_damaged": self.index_damaged,
            "failures": self.failures.len(),
            "per_scenario": self.per_scenario,
        });
        eprintln!("{line}");
        if let Ok(path) = std::env::var("POSTIE_SOAK_REPORT") {
            use std::io::Write as _;
            let mut f = fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .unwrap();
            writeln!(f, "{line}").unwrap();
        }
        assert!(
            self.failures.is_empty(),
            "{} of {} trials broke an invariant (replay with POSTIE_SOAK_SEED={seed}):\n{}",
            self.failures.len(),
            self.trials,
            self.failures.join("\n")
        );
    }
}

/// `POSTIE_SOAK_SCENARIOS=pop3keep,pop3delete,imapall,smtpoutbox` (any subset) limits the
/// scenarios drawn; all by default.
fn enabled_scenarios() -> Vec<Scenario> {
    let Ok(list) = std::env::var("POSTIE_SOAK_SCENARIOS") else {
        return SCENARIOS.to_vec();
    };
    let list = list.to_ascii_lowercase();
    SCENARIOS
        .iter()
        .copied()
        .filter(|s| list.contains(&format!("{s:?}").to_ascii_lowercase()))
        .collect()
}

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn soak_seed() -> u64 {
    std::env::var("POSTIE_SOAK_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        })
}

/// One trial's world: a fresh server user with seeded mail, a home with a config whose
/// servers are reached through `proxy`.
struct World {
    scenario: Scenario,
    user: TestUser,
    seeded: Vec<Seeded>,
    home: tempfile::TempDir,
    proxy: FaultProxy,
}

impl World {
    async fn new(scenario: Scenario, rng: &mut XorShift) -> World {
        let s = servers();
        let user = s.new_user("soak");
        let implicit = rng.chance(50);
        let port = match (scenario, implicit) {
            (Scenario::Pop3Keep | Scenario::Pop3Delete | Scenario::Pop3Concurrent, true) => {
                s.ports.pop3s
            }
            (Scenario::Pop3Keep | Scenario::Pop3Delete | Scenario::Pop3Concurrent, false) => {
                s.ports.pop3
            }
            (Scenario::ImapAll | Scenario::ImapChain, true) => s.ports.imaps,
            (Scenario::ImapAll | Scenario::ImapChain, false) => s.ports.imap,
            (Scenario::SmtpOutbox, true) => s.ports.submissions,
            (Scenario::SmtpOutbox, false) => s.ports.submission,
        };
        let seeded = if scenario == Scenario::SmtpOutbox {
            Vec::new()
        } else {
            // The chain scenario acts on messages 0, 1 and 2.
            let least = if scenario == Scenario::ImapChain {
                3
            } else {
                2
            };
            let n = rng.range(least, 8) as usize;
            seed_with(&user, "INBOX", n, rng.next_u64())
        };
        let proxy = FaultProxy::start(s.addr(port).parse().unwrap(), Fault::None)
            .await
            .unwrap();
        let home = tempfile::tempdir().unwrap();
        let tls = if implicit { "implicit" } else { "starttls" };
        let server = |protocol_lines: &str| {
            format!(
                "host = \"127.0.0.1\"\nport = {}\ntls = \"{tls}\"\nca_file = {:?}\nuser = \"{}\"\n\
password_command = {:?}\n{protocol_lines}",
                proxy.port(),
                s.ca_file.display().to_string(),
                user.login,
                user.password_command(),
            )
        };
        let account = match scenario {
            Scenario::Pop3Keep | Scenario::Pop3Delete | Scenario::Pop3Concurrent => format!(
                "[accounts.soak.incoming]\nprotocol = \"pop3\"\n{}",
                server(&format!(
                    "pop3_mode = \"{}\"\n",
                    if scenario == Scenario::Pop3Keep {
                        "keep"
                    } else {
                        "delete"
                    }
                ))
            ),
            Scenario::ImapAll | Scenario::ImapChain => format!(
                "[accounts.soak.incoming]\nprotocol = \"imap\"\n{}",
                server("fetch_bodies = \"all\"\n")
            ),
            Scenario::SmtpOutbox => format!(
                "[accounts.soak.incoming]\nprotocol = \"maildir\"\npath = {:?}\n\n\
[accounts.soak.outgoing]\n{}",
                home.path().join("local").display().to_string(),
                server("")
            ),
        };
        let config = format!(
            "data_dir = {:?}\n\n[accounts.soak]\nemail = \"{}\"\n\n{account}",
            home.path().join("data").display().to_string(),
            user.email
        );
        fs::write(home.path().join("config.toml"), config).unwrap();
        fs::write(home.path().join("body.txt"), "soak body\n").unwrap();
        World {
            scenario,
            user,
            seeded,
            home,
            proxy,
        }
    }

    fn data_dir(&self) -> PathBuf {
        self.home.path().join("data")
    }

    fn command(&self, data_dir: &Path, args: &[&str]) -> Command {
        self.command_with(data_dir, args, false)
    }

    /// postie on `data_dir` (the config's data_dir swapped); `keep` turns POP3 delete mode
    /// into keep mode, for calibrating without emptying the server.
    fn command_with(&self, data_dir: &Path, args: &[&str], keep: bool) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_postie"));
        let mut config = fs::read_to_string(self.home.path().join("config.toml"))
            .unwrap()
            .replace(
                &format!("{:?}", self.data_dir().display().to_string()),
                &format!("{:?}", data_dir.display().to_string()),
            );
        if keep {
            config = config.replace("pop3_mode = \"delete\"", "pop3_mode = \"keep\"");
        }
        let config_path = data_dir.with_extension("toml");
        fs::write(&config_path, config).unwrap();
        cmd.env_clear()
            .env("HOME", self.home.path())
            .env("PATH", "/usr/bin:/bin")
            .arg("--config")
            .arg(config_path)
            .args(args);
        cmd
    }

    /// The command that moves mail in this scenario; `subject` tags a sent message.
    fn action(&self, subject: &str) -> Vec<String> {
        match self.scenario {
            Scenario::SmtpOutbox => vec![
                "send".into(),
                "--queue".into(),
                "--to".into(),
                self.user.email.clone(),
                "--subject".into(),
                subject.into(),
                "--body-file".into(),
                self.home.path().join("body.txt").display().to_string(),
            ],
            _ => vec!["sync".into()],
        }
    }

    async fn run(&self, data_dir: &Path, args: &[String], deadline: Duration) -> Finished {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut cmd = self.command(data_dir, &args);
        tokio::task::spawn_blocking(move || run_measured(&mut cmd, deadline))
            .await
            .unwrap()
    }

    /// The messages of the store's INBOX (files of `<data>/soak/INBOX/{cur,new}`).
    fn store_messages(&self, data_dir: &Path) -> Vec<Vec<u8>> {
        files_of(&data_dir.join("soak").join("INBOX"))
            .iter()
            .filter_map(|p| fs::read(p).ok())
            .collect()
    }

    /// The seeded messages still on the server (matched by file name before the flags).
    fn on_server(&self) -> Vec<bool> {
        let present: Vec<String> = files_of(&self.user.maildir)
            .iter()
            .map(|p| base_name(p))
            .collect();
        self.seeded
            .iter()
            .map(|s| present.contains(&base_name(&s.path)))
            .collect()
    }

    /// Delivered copies of the message with `subject` in the recipient's INBOX.
    fn delivered(&self, subject: &str) -> usize {
        files_of(&self.user.maildir)
            .iter()
            .filter_map(|p| fs::read(p).ok())
            .filter(|m| contains(m, format!("Subject: {subject}").as_bytes()))
            .count()
    }
}

fn files_of(maildir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for sub in ["cur", "new"] {
        if let Ok(rd) = fs::read_dir(maildir.join(sub)) {
            out.extend(rd.flatten().map(|e| e.path()).filter(|p| p.is_file()));
        }
    }
    out
}

fn base_name(p: &Path) -> String {
    let name = p.file_name().unwrap().to_string_lossy();
    name.split(':').next().unwrap_or_default().to_owned()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// CRLF folded to LF, for comparing Dovecot's LF files with what it served.
fn fold(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    for (i, &c) in b.iter().enumerate() {
        if c == b'\r' && b.get(i + 1) == Some(&b'\n') {
            continue;
        }
        out.push(c);
    }
    out
}

/// After a faulty run: the store holds no message twice and nothing unknown; in delete mode,
/// every message gone from the server is in the store.
fn check_after_fault(w: &World, trial: &str, tally: &mut Tally) {
    let stored: Vec<Vec<u8>> = w
        .store_messages(&w.data_dir())
        .iter()
        .map(|m| fold(m))
        .collect();
    let on_server = w.on_server();
    for (s, present) in w.seeded.iter().zip(&on_server) {
        let want = fold(s.bytes());
        let copies = stored.iter().filter(|m| **m == want).count();
        if copies > 1 {
            tally.duplicated += 1;
            tally.fail(
                trial,
                format!("{} stored {copies} times", s.message.message_id),
            );
        }
        if !present && copies == 0 {
            tally.lost += 1;
            tally.fail(
                trial,
                format!(
                    "{} deleted from the server but not stored",
                    s.message.message_id
                ),
            );
        }
    }
    let known: Vec<Vec<u8>> = w.seeded.iter().map(|s| fold(s.bytes())).collect();
    for m in &stored {
        if !known.contains(m) {
            tally.corrupted += 1;
            tally.fail(
                trial,
                format!(
                    "a stored message matches no server message ({} bytes)",
                    m.len()
                ),
            );
        }
    }
}

/// After the clean re-run: every server message stored exactly once, byte for byte; the
/// server emptied in delete mode and untouched otherwise.
fn check_after_recovery(w: &World, trial: &str, tally: &mut Tally) {
    let stored: Vec<Vec<u8>> = w
        .store_messages(&w.data_dir())
        .iter()
        .map(|m| fold(m))
        .collect();
    for s in &w.seeded {
        tally.messages_checked += 1;
        let want = fold(s.bytes());
        match stored.iter().filter(|m| **m == want).count() {
            1 => {}
            0 => {
                tally.lost += 1;
                tally.fail(
                    trial,
                    format!("{} missing from the store", s.message.message_id),
                );
            }
            n => {
                tally.duplicated += 1;
                tally.fail(trial, format!("{} stored {n} times", s.message.message_id));
            }
        }
    }
    if stored.len() != w.seeded.len() {
        tally.fail(
            trial,
            format!(
                "the store holds {} messages, the server had {}",
                stored.len(),
                w.seeded.len()
            ),
        );
    }
    let on_server = w.on_server();
    let expect_on_server = !matches!(w.scenario, Scenario::Pop3Delete | Scenario::Pop3Concurrent);
    if on_server.iter().any(|&p| p != expect_on_server) {
        tally.fail(
            trial,
            format!("server state after recovery: {on_server:?}, expected all {expect_on_server}"),
        );
    }
}

/// The send scenario's checks once the outbox is flushed: exactly one delivery if postie
/// accepted the message (exit 0 or 75), at most one otherwise — except that a connection broken
/// while waiting for the reply to the end of DATA (`during the message`) may give two: the
/// server may have accepted it, and postie cannot know, so it sends again rather than risk a
/// loss. Those are counted as ambiguous resends, never as silent duplicates.
async fn check_send(
    w: &World,
    trial: &str,
    subject: &str,
    accepted: bool,
    broke_after_data: bool,
    tally: &mut Tally,
) {
    tally.messages_checked += 1;
    let until = Instant::now() + Duration::from_secs(if accepted { 15 } else { 2 });
    while w.delivered(subject) == 0 && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A duplicate would have been submitted before the flush returned: give it time to land.
    tokio::time::sleep(Duration::from_millis(400)).await;
    match w.delivered(subject) {
        0 if accepted => {
            tally.lost += 1;
            tally.fail(trial, format!("{subject:?} accepted but never delivered"));
        }
        0 | 1 => {}
        2 if broke_after_data => tally.ambiguous_resends += 1,
        n => {
            tally.duplicated += 1;
            tally.fail(trial, format!("{subject:?} delivered {n} times"));
        }
    }
}

/// Deletes the index, truncates it to nothing, or cuts it in half (with its WAL and shared
/// memory files gone): the next run must rebuild it from the Maildirs, losing nothing and
/// downloading nothing twice.
fn damage_index(data_dir: &Path, rng: &mut XorShift) -> &'static str {
    let index = data_dir.join("index.sqlite3");
    for suffix in ["-wal", "-shm"] {
        let _ = fs::remove_file(data_dir.join(format!("index.sqlite3{suffix}")));
    }
    match rng.below(3) {
        0 => {
            let _ = fs::remove_file(&index);
            "deleted"
        }
        1 => {
            let _ = fs::write(&index, b"");
            "emptied"
        }
        _ => {
            if let Ok(bytes) = fs::read(&index) {
                let _ = fs::write(&index, &bytes[..bytes.len() / 2]);
            }
            "cut in half"
        }
    }
}

fn store_opens(w: &World, trial: &str, tally: &mut Tally) {
    let mut cmd = w.command(&w.data_dir(), &["list", "--json"]);
    let out = run_measured(&mut cmd, CLEAN_DEADLINE);
    if out.code != Some(0) {
        tally.corrupted += 1;
        tally.fail(
            trial,
            format!("postie list fails afterwards: {}", out.stderr_text()),
        );
    }
}

/// One trial: calibrate with a clean run into a scratch store, run with `fault` (or a kill),
/// check, re-run clean, check.
async fn trial(n: usize, rng: &mut XorShift, kill: bool, tally: &mut Tally) {
    let scenarios = enabled_scenarios();
    let scenario = *rng.pick(&scenarios);
    let w = World::new(scenario, rng).await;
    let mut trial = format!(
        "trial {n} ({scenario:?}, {})",
        if kill { "kill" } else { "proxy" }
    );
    *tally
        .per_scenario
        .entry(format!("{scenario:?}"))
        .or_default() += 1;
    tally.trials += 1;

    // Calibration: how many bytes each way, and how long, a clean run takes, into a scratch
    // store. Keep-mode POP3 and IMAP leave the server as it was; delete mode calibrates in
    // keep mode; a send calibrates by sending a first message (another subject).
    let scratch = w.home.path().join("scratch");
    let (to_server, to_client) = (w.proxy.bytes_to_server(), w.proxy.bytes_to_client());
    let mut cmd = w.command_with(&scratch, &[], true);
    cmd.args(w.action(&format!("calibration {n}")));
    let calibration = tokio::task::spawn_blocking(move || run_measured(&mut cmd, CLEAN_DEADLINE))
        .await
        .unwrap();
    if calibration.code != Some(0) {
        tally.fail(
            &trial,
            format!(
                "the clean calibration run failed: {}",
                calibration.stderr_text()
            ),
        );
        return;
    }
    let session_to_server = (w.proxy.bytes_to_server() - to_server).max(1);
    let session_to_client = (w.proxy.bytes_to_client() - to_client).max(1);

    if scenario == Scenario::ImapChain
        && let Err(e) = chain::prepare(&w).await
    {
        tally.fail(&trial, format!("queueing the chained actions failed: {e}"));
        return;
    }

    let subject = format!("soak {n} {}", rng.alnum(8));
    let args = w.action(&subject);
    // The concurrent scenario's second `postie sync` of the same account, started with the
    // faulty one (it may wait for the account lock, give up with 75, or meet the fault too).
    let second = async {
        if scenario == Scenario::Pop3Concurrent {
            Some(w.run(&w.data_dir(), &args, 2 * FAULTY_DEADLINE).await)
        } else {
            None
        }
    };
    let faulty = async {
        if kill {
            let at =
                Duration::from_micros(rng.below(calibration.elapsed.as_micros().max(1) as u64));
            trial = format!("{trial}, killed at {at:?} of {:?}", calibration.elapsed);
            tally.kills += 1;
            w.run(&w.data_dir(), &args, at).await
        } else {
            let fault = match rng.below(100) {
                0..=59 => {
                    let dir = if rng.chance(50) {
                        Direction::ClientToServer
                    } else {
                        Direction::ServerToClient
                    };
                    let total = if dir == Direction::ClientToServer {
                        session_to_server
                    } else {
                        session_to_client
                    };
                    Fault::Cut {
                        dir,
                        after: rng.below(total as u64) as usize,
                    }
                }
                60..=84 => Fault::TruncateMidLine {
                    after: rng.below(session_to_client as u64) as usize,
                },
                _ => Fault::Stall {
                    dir: Direction::ServerToClient,
                    after: rng.below(session_to_client as u64) as usize,
                },
            };
            trial = format!("{trial}, {fault:?}");
            let fired_before = w.proxy.faults_fired();
            w.proxy.set_fault(fault);
            let out = w.run(&w.data_dir(), &args, FAULTY_DEADLINE).await;
            w.proxy.set_fault(Fault::None);
            tally.faults_fired += usize::from(w.proxy.faults_fired() > fired_before);
            out
        }
    };
    let (faulty, second) = tokio::join!(faulty, second);
    for other in second.iter() {
        if other.signal.is_some() && !other.timed_out || other.stderr_text().contains("panicked") {
            tally.fail(
                &trial,
                format!(
                    "the second sync died: {:?} {}",
                    other.signal,
                    other.stderr_text()
                ),
            );
        }
    }
    if faulty.signal.is_some() && !faulty.timed_out {
        tally.fail(
            &trial,
            format!(
                "postie died of signal {:?}: {}",
                faulty.signal,
                faulty.stderr_text()
            ),
        );
    }
    if faulty.stderr_text().contains("panicked") {
        tally.fail(&trial, format!("postie panicked: {}", faulty.stderr_text()));
    }

    if scenario == Scenario::SmtpOutbox {
        let accepted = matches!(faulty.code, Some(0 | 75));
        let flush = w
            .run(
                &w.data_dir(),
                &["outbox".into(), "flush".into()],
                CLEAN_DEADLINE,
            )
            .await;
        if flush.code != Some(0) {
            tally.fail(
                &trial,
                format!("outbox flush failed: {}", flush.stderr_text()),
            );
        }
        let broke_after_data = faulty.stderr_text().contains("during the message");
        check_send(&w, &trial, &subject, accepted, broke_after_data, tally).await;
    } else {
        if scenario == Scenario::ImapChain {
            chain::check_after_fault(&w, &trial, tally);
        } else {
            check_after_fault(&w, &trial, tally);
        }
        // The queue of offline actions lives only in the index: a destroyed index forgets
        // the chain (no mail is lost, but a move is undone or its message appears twice
        // locally), a limitation RELIABILITY.md states. So chain trials keep their index.
        if kill
            && scenario != Scenario::ImapChain
            && rng.chance(env_count("POSTIE_SOAK_DAMAGE_PERCENT", 25) as u64)
        {
            let how = damage_index(&w.data_dir(), rng);
            trial = format!("{trial}, index {how}");
            tally.index_damaged += 1;
        }
        let clean = w.run(&w.data_dir(), &args, CLEAN_DEADLINE).await;
        if clean.code != Some(0) {
            tally.fail(
                &trial,
                format!("the clean re-run failed: {}", clean.stderr_text()),
            );
        }
        if scenario == Scenario::ImapChain {
            chain::check_after_recovery(&w, &trial, tally);
        } else {
            check_after_recovery(&w, &trial, tally);
        }
    }
    store_opens(&w, &trial, tally);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_fault_trials() {
    let seed = soak_seed();
    let n = env_count("POSTIE_SOAK_PROXY_TRIALS", 24);
    let mut rng = XorShift::new(seed);
    let mut tally = Tally::default();
    for i in 0..n {
        trial(i, &mut rng, false, &mut tally).await;
    }
    tally.report("proxy_fault_trials", seed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_trials() {
    let seed = soak_seed() ^ 0x5bd1_e995;
    let n = env_count("POSTIE_SOAK_KILL_TRIALS", 8);
    let mut rng = XorShift::new(seed);
    let mut tally = Tally::default();
    for i in 0..n {
        trial(i, &mut rng, true, &mut tally).await;
    }
    tally.report("kill_trials", seed);
}

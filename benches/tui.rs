//! The terminal UI on a big folder (issue #7, item 7). Not a timed test: run it and read the
//! figures.
//!
//! `cargo bench --bench tui` (release; `POSTIE_BENCH_N` sets the message count, default
//! 100,000). Builds an index of N envelopes in one IMAP-style folder (envelope rows only, as
//! after a first IMAP sync with `fetch_bodies = "on-demand"`; ~30% of messages reply to an
//! earlier one, so the list is threaded for real), then drives the real backend
//! ([`postie::app`]) and the real UI state machine and view exactly as the terminal runner
//! does, drawing into ratatui's `TestBackend` (120x40) instead of a terminal:
//! - open: store opened, folders loaded, the first folder opened, its first page loaded and the
//!   first frame drawn (the list order of the whole folder — threads included — is computed
//!   from the index here);
//! - page down: one PageDown key to the frame drawn, including any page the backend must send;
//! - bottom: `G` to the last page drawn;
//! - RSS: the process's resident set after opening, and its peak (reset after the build).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use postie::app::{self, Mode, Options};
use postie::config::Config;
use postie::mail::{Address, Envelope, Flag, Flags};
use postie::store::{AccountKind, RemoteEnvelope, Store};
use postie::ui::{self, Command, Event, Keymap, Model, Msg};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

const ACCOUNT: &str = "bench";

fn build(dir: &std::path::Path, n: u32) {
    let mut store = Store::open(dir).unwrap();
    store.ensure_account(ACCOUNT, AccountKind::Imap).unwrap();
    let folder = store.ensure_folder(ACCOUNT, "INBOX").unwrap();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut rnd = move |m: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % m
    };
    let base = 1_600_000_000i64;
    let batch = 5000;
    let mut start = 1u32;
    while start <= n {
        let end = (start + batch - 1).min(n);
        let envs: Vec<(Envelope, Flags)> = (start..=end)
            .map(|i| {
                let reply_to =
                    (i > 10 && rnd(10) < 3).then(|| i - 1 - rnd(u64::from(i.min(200)) - 1) as u32);
                let who = rnd(997);
                let mut refs = Vec::new();
                if let Some(p) = reply_to {
                    refs.push(format!("{p}@bench.test"));
                }
                let env = Envelope {
                    date: Some(base + i64::from(i) * 60),
                    tz_offset_minutes: 60,
                    from: vec![Address::new(
                        Some(&format!("Sender {who}")),
                        &format!("s{who}@example.org"),
                    )],
                    to: vec![Address::new(None, "me@example.com")],
                    cc: Vec::new(),
                    reply_to: Vec::new(),
                    subject: match reply_to {
                        Some(p) => format!("Re: topic {p}"),
                        None => format!("topic {i} about the quarterly numbers"),
                    },
                    message_id: Some(format!("{i}@bench.test")),
                    in_reply_to: refs.clone(),
                    references: refs,
                    size: 2000 + rnd(40_000),
                };
                let mut flags = Flags::empty();
                if rnd(10) < 8 {
                    flags.insert(Flag::Seen);
                }
                (env, flags)
            })
            .collect();
        let items: Vec<RemoteEnvelope<'_>> = envs
            .iter()
            .zip(start..=end)
            .map(|((e, f), uid)| RemoteEnvelope {
                uid,
                flags: f.clone(),
                modseq: None,
                envelope: e,
            })
            .collect();
        store.upsert_envelopes(folder, &items).unwrap();
        start = end + 1;
    }
}

/// (VmRSS, VmHWM) in MiB.
fn rss() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1024.0
    };
    (field("VmRSS:"), field("VmHWM:"))
}

struct Ui {
    model: Model,
    term: Terminal<TestBackend>,
    cmd: mpsc::Sender<Command>,
    ev: mpsc::Receiver<Event>,
    rt: tokio::runtime::Runtime,
    in_flight: usize,
}

impl Ui {
    /// Runs commands like the terminal runner: backend commands go out, and answers are fed
    /// to `update` until nothing is in flight; then one frame is drawn.
    fn settle(&mut self, mut cmds: Vec<Command>) {
        loop {
            for c in cmds.drain(..) {
                if c.is_for_runner() {
                    continue;
                }
                // Only page and folder requests are answered with something the list needs.
                self.in_flight += 1;
                self.cmd.blocking_send(c).unwrap();
            }
            if self.in_flight == 0 {
                break;
            }
            let ev = self
                .rt
                .block_on(async {
                    tokio::time::timeout(Duration::from_secs(60), self.ev.recv()).await
                })
                .expect("backend answers")
                .expect("backend alive");
            self.in_flight -= 1;
            cmds = ui::update(&mut self.model, Msg::Backend(ev));
        }
        self.term.draw(|f| ui::view(&self.model, f)).unwrap();
        self.model.dirty = false;
    }

    fn key(&mut self, code: KeyCode) -> Duration {
        let t = Instant::now();
        let cmds = ui::update(
            &mut self.model,
            Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)),
        );
        self.settle(cmds);
        t.elapsed()
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let n: u32 = std::env::var("POSTIE_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let t = Instant::now();
    build(&dir, n);
    println!(
        "built an index of {n} envelopes in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    // Peak RSS from here on: the build is not part of what is measured.
    let _ = std::fs::write("/proc/self/clear_refs", "5");

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let t_open = Instant::now();
    let store = Store::open(&dir).unwrap();
    let options = Options {
        mode: Mode::Offline,
        config: Config::empty(dir.clone()),
        accounts: vec![ACCOUNT.to_owned()],
        initial_sync: false,
    };
    let handles = app::start(store, options, rt.handle().clone()).unwrap();
    let theme = ui::theme::load("default", None).unwrap();
    let mut model = Model::new(&[ACCOUNT.to_owned()], Keymap::default(), theme);
    model.size = (120, 40);
    let mut u = Ui {
        model,
        term: Terminal::new(TestBackend::new(120, 40)).unwrap(),
        cmd: handles.commands,
        ev: handles.events,
        rt,
        in_flight: 0,
    };
    let init = ui::init(&mut u.model);
    u.settle(init);
    let open = t_open.elapsed();
    let total = u.model.list.as_ref().and_then(|l| l.total).unwrap_or(0);
    assert_eq!(total, n as usize, "the whole folder is listed");
    let (rss_open, _) = rss();

    let mut downs: Vec<Duration> = (0..50).map(|_| u.key(KeyCode::PageDown)).collect();
    downs.sort();
    let bottom = u.key(KeyCode::End);
    let top = u.key(KeyCode::Home);
    let (rss_end, hwm) = rss();
    let cached = u.model.list.as_ref().map_or(0, |l| l.cached_pages());

    println!("folder of {n} messages, 120x40 terminal, threaded by date (the default):");
    println!("  open to first frame: {}", ms(open));
    println!(
        "  page down (50 presses): median {}, max {}",
        ms(downs[downs.len() / 2]),
        ms(downs[downs.len() - 1])
    );
    println!(
        "  G (last page): {}, back to the top: {}",
        ms(bottom),
        ms(top)
    );
    println!(
        "  RSS after opening {rss_open:.1} MiB, at the end {rss_end:.1} MiB, peak {hwm:.1} MiB \
         (pages cached by the UI: {cached})"
    );

    flat(&dir, n);
    // Where opening spends its time: the light query, and threading its result.
    {
        let store = Store::open(&dir).unwrap();
        for _ in 0..3 {
            let t = Instant::now();
            let keys = store.thread_keys(ACCOUNT, "INBOX").unwrap();
            let q = t.elapsed();
            let t = Instant::now();
            let order = postie::app::convert::order_by_date(&keys, true, false);
            println!(
                "  parts: thread keys query {}, threading {} ({} rows)",
                ms(q),
                ms(t.elapsed()),
                order.len()
            );
        }
    }
}

/// The same open, flat newest first (`:sort` without threads): pages come straight from the
/// index's date order.
fn flat(dir: &std::path::Path, n: u32) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let t_open = Instant::now();
    let store = Store::open(dir).unwrap();
    let options = Options {
        mode: Mode::Offline,
        config: Config::empty(dir.to_owned()),
        accounts: vec![ACCOUNT.to_owned()],
        initial_sync: false,
    };
    let handles = app::start(store, options, rt.handle().clone()).unwrap();
    let theme = ui::theme::load("default", None).unwrap();
    let mut model = Model::new(&[ACCOUNT.to_owned()], Keymap::default(), theme);
    model.size = (120, 40);
    model.sort.threaded = false;
    let mut u = Ui {
        model,
        term: Terminal::new(TestBackend::new(120, 40)).unwrap(),
        cmd: handles.commands,
        ev: handles.events,
        rt,
        in_flight: 0,
    };
    let init = ui::init(&mut u.model);
    u.settle(init);
    let open = t_open.elapsed();
    assert_eq!(
        u.model.list.as_ref().and_then(|l| l.total),
        Some(n as usize)
    );
    let mut downs: Vec<Duration> = (0..50).map(|_| u.key(KeyCode::PageDown)).collect();
    downs.sort();
    let bottom = u.key(KeyCode::End);
    println!("flat, newest first:");
    println!("  open to first frame: {}", ms(open));
    println!(
        "  page down (50 presses): median {}, max {}; G (last page): {}",
        ms(downs[downs.len() / 2]),
        ms(downs[downs.len() - 1]),
        ms(bottom)
    );
}

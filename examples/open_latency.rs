//! `cargo run --example open_latency -- CONFIG ACCOUNT N`: how long opening an envelope-only
//! IMAP message takes (issue #13's benchmark row), two ways on the same store and server:
//!
//! - **a login per open**, the way the TUI opened a body before the live connection (and the
//!   way `postie read` still does): connect, TLS, log in, SELECT, FETCH, LOGOUT;
//! - **the live connection** the TUI now keeps per account: one logged-in session, so an open
//!   is a FETCH (plus a SELECT when another folder is selected). Its first open, which logs
//!   in, is reported apart.
//!
//! The store is the data dir the config names (or `$POSTIE_DATA_DIR`), already synced
//! envelope-only (`fetch_bodies = "on-demand"`); it takes the newest 2N envelope-only messages
//! of the account's INBOX, N for each way (a body, once fetched, is stored). Prints a markdown
//! table for scripts/bench, which appends it to its results.

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use postie::config::{Config, Incoming};
use postie::engine::imap::live::{self, LiveOptions};
use postie::engine::imap::{ConnectOptions, fetch_body};
use postie::store::{ListQuery, MessageId, Store};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [config, account, n] = args.as_slice() else {
        eprintln!("usage: open_latency CONFIG ACCOUNT N");
        return ExitCode::from(64);
    };
    let Ok(n) = n.parse::<usize>() else {
        eprintln!("open_latency: N must be a whole number: {n:?}");
        return ExitCode::from(64);
    };
    match run(Path::new(config), account, n) {
        Ok(table) => {
            print!("{table}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("open_latency: {e}");
            ExitCode::from(70)
        }
    }
}

fn run(config_path: &Path, name: &str, n: usize) -> Result<String, String> {
    let config = Config::from_file(config_path).map_err(|e| e.to_string())?;
    let account = config
        .account(name)
        .ok_or_else(|| format!("no account {name:?} in {}", config_path.display()))?
        .clone();
    let Incoming::Imap(imap) = account.incoming.clone() else {
        return Err(format!("account {name:?} is not an IMAP account"));
    };
    let data_dir = config.data_dir.clone();
    let mut store = Store::open(&data_dir).map_err(|e| e.to_string())?;
    store
        .register_accounts(&config)
        .map_err(|e| e.to_string())?;
    let ids: Vec<MessageId> = store
        .list(&ListQuery {
            account: Some(name.to_owned()),
            folder: Some("INBOX".to_owned()),
            limit: None,
            offset: 0,
        })
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|m| !m.has_body)
        .take(2 * n)
        .map(|m| m.id)
        .collect();
    if ids.len() < 2 * n {
        return Err(format!(
            "{} envelope-only messages in INBOX, {} needed (sync with fetch_bodies = \"on-demand\")",
            ids.len(),
            2 * n
        ));
    }
    let (before_ids, live_ids) = ids.split_at(n);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let mut before = Vec::with_capacity(n);
        for id in before_ids {
            let t = Instant::now();
            fetch_body(&mut store, &account, &imap, *id, &ConnectOptions::default())
                .await
                .map_err(|e| e.to_string())?;
            before.push(t.elapsed());
        }
        let live_store = Store::open(&data_dir).map_err(|e| e.to_string())?;
        let (events, _keep) = tokio::sync::mpsc::unbounded_channel();
        let connection = live::spawn(
            account.clone(),
            imap.clone(),
            live_store,
            events,
            LiveOptions::default(),
        );
        let handle = connection.handle();
        let mut first = Duration::ZERO;
        let mut warm = Vec::with_capacity(n);
        for (i, id) in live_ids.iter().enumerate() {
            let t = Instant::now();
            handle.fetch_body(*id).await.map_err(|e| e.to_string())?;
            if i == 0 {
                first = t.elapsed();
            } else {
                warm.push(t.elapsed());
            }
        }
        connection.stop().await;
        Ok(table(n, &mut before, first, &mut warm))
    })
}

/// The markdown the benchmark appends: p50 and p95 of each way.
fn table(n: usize, before: &mut [Duration], first: Duration, warm: &mut [Duration]) -> String {
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    let pct = |v: &mut [Duration], p: f64| -> Duration {
        v.sort();
        if v.is_empty() {
            return Duration::ZERO;
        }
        let i = ((v.len() as f64 - 1.0) * p).round() as usize;
        v[i.min(v.len() - 1)]
    };
    let (b50, b95) = (pct(before, 0.50), pct(before, 0.95));
    let (w50, w95) = (pct(warm, 0.50), pct(warm, 0.95));
    format!(
        "| open an envelope-only IMAP message ({n} opens each) | p50 | p95 | goal |\n\
         |---|---|---|---|\n\
         | a login per open (before the live connection; `postie read` still does this) | {} | {} | |\n\
         | the TUI's live connection (its first open, with the login: {}) | {} | {} | ≤ 20 ms / ≤ 50 ms: {} |\n",
        ms(b50),
        ms(b95),
        ms(first),
        ms(w50),
        ms(w95),
        if w50 <= Duration::from_millis(20) && w95 <= Duration::from_millis(50) {
            "met"
        } else {
            "**missed**"
        }
    )
}

//! The store at scale (issue #3, item 7). Not a timed test: run it and read the figures.
//!
//! `cargo bench --bench store` (release), or `POSTIE_BENCH_N=10000 cargo bench --bench store`.
//! Builds a Maildir of N realistic messages (plain text, multipart with a base64 attachment,
//! HTML-only; ~11 KiB mean, so 100,000 is about 1.1 GB), then measures:
//! - indexing it from scratch (Maildir account attached in place, full-text index included);
//! - what `postie list --limit 50` does (open the store, pick-up check, list) on the 100k folder;
//! - what `postie search WORD` does for a word in ~1% of messages;
//! - pick-up of 100 new files dropped into new/;
//! - POP3-style batch delivery of 10,000 messages (batches of 500) into a fresh store;
//! - peak RSS of the whole process.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::Path;
use std::time::Instant;

use postie::store::{ListQuery, NewMessage, Store};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn vocabulary() -> Vec<String> {
    let syll = [
        "ka", "lo", "mi", "ne", "ru", "sa", "te", "vi", "do", "pe", "gra", "sto", "ben", "mar",
        "lin", "que", "tor", "zel", "fa", "ho",
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    (0..5000)
        .map(|_| {
            let n = 1 + rng.below(3) as usize;
            (0..=n)
                .map(|_| syll[rng.below(syll.len() as u64) as usize])
                .collect()
        })
        .collect()
}

fn text(rng: &mut Rng, vocab: &[String], bytes: usize) -> String {
    let mut s = String::with_capacity(bytes + 80);
    let mut line = 0;
    while s.len() < bytes {
        // Zipf-ish: small indices are much more frequent.
        let r = rng.below(vocab.len() as u64) as f64 / vocab.len() as f64;
        let i = ((r * r * r) * vocab.len() as f64) as usize;
        s.push_str(&vocab[i.min(vocab.len() - 1)]);
        line += 1;
        if line % 12 == 0 {
            s.push_str("\r\n");
        } else {
            s.push(' ');
        }
    }
    s.push_str("\r\n");
    s
}

fn message(n: u64, rng: &mut Rng, vocab: &[String]) -> Vec<u8> {
    let kind = rng.below(100);
    let subject = text(rng, vocab, 30).replace("\r\n", "");
    let marker = if n % 100 == 7 { " zanzibar" } else { "" };
    let mut m = format!(
        "From: Sender {} <s{}@example.org>\r\nTo: me@example.com\r\nSubject: {}{}\r\n\
Date: {}\r\nMessage-ID: <{n}@bench.test>\r\nMIME-Version: 1.0\r\n",
        n % 997,
        n % 997,
        subject.trim(),
        marker,
        chrono::DateTime::from_timestamp(1_600_000_000 + n as i64 * 600, 0)
            .unwrap()
            .to_rfc2822()
    );
    if kind < 80 {
        let size = 1000 + rng.below(11_000) as usize;
        m.push_str("Content-Type: text/plain; charset=utf-8\r\n\r\n");
        m.push_str(&text(rng, vocab, size));
    } else if kind < 95 {
        let size = 500 + rng.below(3000) as usize;
        let att = 10_000 + rng.below(50_000) as usize;
        m.push_str("Content-Type: multipart/mixed; boundary=\"bb\"\r\n\r\n--bb\r\n");
        m.push_str("Content-Type: text/plain; charset=utf-8\r\n\r\n");
        m.push_str(&text(rng, vocab, size));
        m.push_str("--bb\r\nContent-Type: application/pdf; name=\"doc.pdf\"\r\n");
        m.push_str("Content-Transfer-Encoding: base64\r\n\r\n");
        let line =
            "JVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoKPDwvTGVuZ3RoIDMgMCBSL0ZpbHRlci9GbGF0ZUR\r\n";
        for _ in 0..att / line.len() {
            m.push_str(line);
        }
        m.push_str("--bb--\r\n");
    } else {
        let size = 4000 + rng.below(20_000) as usize;
        m.push_str("Content-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>");
        m.push_str(&text(rng, vocab, size).replace("\r\n", "</p>\r\n<p>"));
        m.push_str("</p></body></html>\r\n");
    }
    if !marker.is_empty() {
        m.push_str("zanzibar\r\n");
    }
    m.into_bytes()
}

fn max_rss_mib() -> f64 {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage fills the struct we own.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    ru.ru_maxrss as f64 / 1024.0
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

fn open_like_cli(data: &Path, root: &Path) -> Store {
    let mut store = Store::open(data).unwrap();
    store.attach_maildir_account("bench", root).unwrap();
    store.refresh().unwrap();
    store
}

fn main() {
    let n: u64 = std::env::var("POSTIE_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let base = std::env::var_os("POSTIE_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let work = tempfile::Builder::new()
        .prefix("postie-bench-")
        .tempdir_in(base)
        .unwrap();
    let root = work.path().join("Maildir");
    let data = work.path().join("data");
    for d in ["cur", "new", "tmp"] {
        fs::create_dir_all(root.join(d)).unwrap();
    }
    let vocab = vocabulary();
    let mut rng = Rng(42);
    let t = Instant::now();
    let mut bytes_total = 0u64;
    for i in 0..n {
        let m = message(i, &mut rng, &vocab);
        bytes_total += m.len() as u64;
        let flags = if i % 3 == 0 { "" } else { "S" };
        fs::write(
            root.join(format!("cur/{}.M{i}P1.bench:2,{flags}", 1_600_000_000 + i)),
            &m,
        )
        .unwrap();
    }
    println!(
        "built Maildir: {n} messages, {:.0} MB, in {:.1} s",
        bytes_total as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let store = open_like_cli(&data, &root);
    let secs = t.elapsed().as_secs_f64();
    let total = store.folders(None).unwrap()[0].total;
    assert_eq!(total, n);
    println!(
        "index from scratch: {secs:.1} s, {:.0} messages/s (rss so far {:.0} MiB)",
        n as f64 / secs,
        max_rss_mib()
    );
    drop(store);

    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let store = open_like_cli(&data, &root);
        let page = store
            .list(&ListQuery {
                account: Some("bench".into()),
                folder: Some("INBOX".into()),
                limit: Some(50),
                offset: 0,
            })
            .unwrap();
        assert_eq!(page.len(), 50);
        times.push(ms(t));
    }
    times.sort_by(f64::total_cmp);
    println!(
        "list --limit 50 (open + pick-up check + list): median {:.1} ms",
        times[2]
    );

    let mut times = Vec::new();
    let mut hits = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let store = open_like_cli(&data, &root);
        hits = store.search("zanzibar", None, None, None).unwrap().len();
        times.push(ms(t));
    }
    times.sort_by(f64::total_cmp);
    println!(
        "search for a word in {hits} messages (open + search): median {:.1} ms",
        times[2]
    );

    let mut store = open_like_cli(&data, &root);
    for i in 0..100u64 {
        let m = message(n + i, &mut rng, &vocab);
        fs::write(
            root.join(format!("new/{}.M{i}P2.mda", 1_700_000_000 + i)),
            &m,
        )
        .unwrap();
    }
    let t = Instant::now();
    let stats = store.refresh().unwrap();
    println!(
        "pick-up of 100 new files: {:.1} ms ({} added)",
        ms(t),
        stats.added
    );
    drop(store);
    println!(
        "peak RSS of building, indexing, listing and searching: {:.0} MiB",
        max_rss_mib()
    );

    let k = n.min(10_000);
    let msgs: Vec<Vec<u8>> = (0..k).map(|i| message(i, &mut rng, &vocab)).collect();
    let mut store = Store::open(&work.path().join("pop-data")).unwrap();
    store
        .ensure_account("pop", postie::store::AccountKind::Pop3)
        .unwrap();
    let f = store.ensure_folder("pop", "INBOX").unwrap();
    let uidls: Vec<String> = (0..k).map(|i| format!("uidl-{i}")).collect();
    let t = Instant::now();
    for (chunk, uchunk) in msgs.chunks(500).zip(uidls.chunks(500)) {
        let batch: Vec<NewMessage<'_>> = chunk
            .iter()
            .zip(uchunk)
            .map(|(b, u)| NewMessage {
                uidl: Some(u),
                ..NewMessage::new(b)
            })
            .collect();
        store.deliver_batch(f, &batch).unwrap();
    }
    println!(
        "POP3-style durable delivery of {k} messages in batches of 500: {:.2} s",
        t.elapsed().as_secs_f64()
    );
    println!(
        "peak RSS incl. the 10k messages held for delivery: {:.0} MiB",
        max_rss_mib()
    );
}

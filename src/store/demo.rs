//! The sample mailbox behind `postie demo` and the TUI tests: deterministic (same bytes, same
//! order, so the same ids every time), and covering what a mail client must render: several
//! folders, threads several levels deep, a multipart message with attachments (one with an RFC
//! 2231 name), an HTML-only newsletter, non-ASCII names and subjects (RFC 2047), flags.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::Store;
use super::error::Result;
use super::types::{AccountKind, NewMessage};
use crate::mail::{Flag, Flags};

/// The demo account's name.
pub const ACCOUNT: &str = "demo";
/// The demo's folders, in the order they are created.
pub const FOLDERS: &[&str] = &["INBOX", "Sent", "Archive", "Lists/Rust", "Drafts", "Trash"];

/// 2025-03-03T08:00:00Z: the first demo message's date.
const BASE: i64 = 1_740_988_800;

const PEOPLE: &[(&str, &str)] = &[
    ("Zoë Ångström", "zoe@example.org"),
    ("José Müller", "jose@example.net"),
    ("Priya Raman", "priya@example.com"),
    ("田中 花子", "hanako@example.jp"),
    ("Олег Петров", "oleg@example.ru"),
    ("Sam O'Neil", "sam@example.com"),
];
const ME: (&str, &str) = ("Alex Demo", "alex@demo.test");

/// One demo message before it is turned into bytes.
struct Spec {
    folder: &'static str,
    from: (&'static str, &'static str),
    to: (&'static str, &'static str),
    subject: String,
    body: Body,
    id: String,
    parents: Vec<String>,
    flags: &'static [Flag],
}

enum Body {
    Plain(String),
    Html(String),
    WithAttachments(String),
}

/// Fills a fresh store in `data_dir` with the demo mailbox and returns it open.
pub fn generate(data_dir: &Path) -> Result<Store> {
    let mut store = Store::open(data_dir)?;
    store.ensure_account(ACCOUNT, AccountKind::Local)?;
    let mut folder_ids = Vec::new();
    for f in FOLDERS {
        folder_ids.push(store.ensure_folder(ACCOUNT, f)?);
    }
    let specs = specs();
    for (folder, fid) in FOLDERS.iter().zip(&folder_ids) {
        let bytes: Vec<(Vec<u8>, Flags)> = specs
            .iter()
            .enumerate()
            .filter(|(_, s)| s.folder == *folder)
            .map(|(n, s)| (render(s, n), Flags::from_flags(s.flags)))
            .collect();
        let msgs: Vec<NewMessage<'_>> = bytes
            .iter()
            .map(|(b, f)| NewMessage {
                flags: f.clone(),
                ..NewMessage::new(b)
            })
            .collect();
        store.deliver_batch(*fid, &msgs)?;
    }
    Ok(store)
}

/// The demo messages as raw bytes with their folder and flags (for tests that want the bytes).
pub fn messages() -> Vec<(&'static str, Vec<u8>, Flags)> {
    specs()
        .iter()
        .enumerate()
        .map(|(n, s)| (s.folder, render(s, n), Flags::from_flags(s.flags)))
        .collect()
}

fn specs() -> Vec<Spec> {
    use Flag::*;
    let mut v = Vec::new();
    // A deep thread: offsite planning, six levels, replies from several people and from me.
    let thread_subject = "Planning the summer offsite ☀️";
    let chain: &[(usize, &'static str, &'static [Flag], &str)] = &[
        (
            0,
            "INBOX",
            &[Seen],
            "Where should we go this year? Lakes or mountains?",
        ),
        (
            9,
            "Sent",
            &[Seen],
            "Mountains, please. Last year's lake was full of mosquitoes.",
        ),
        (
            1,
            "INBOX",
            &[Seen, Answered],
            "Mountains it is. Budget is 300 € per person.",
        ),
        (
            9,
            "Sent",
            &[Seen],
            "300 € works. Can we book the hut in Zermatt?",
        ),
        (
            2,
            "INBOX",
            &[Seen],
            "I called them: the hut is free on 14–16 June.",
        ),
        (3, "INBOX", &[Flagged], "素晴らしい! I'll bring the tea. 🍵"),
        (4, "INBOX", &[], "Count me in. Should I rent a van?"),
    ];
    let mut parents: Vec<String> = Vec::new();
    for (i, (who, folder, flags, text)) in chain.iter().enumerate() {
        let from = if *who == 9 { ME } else { PEOPLE[*who] };
        let to = if *who == 9 { PEOPLE[0] } else { ME };
        let id = format!("offsite-{i}@demo.test");
        v.push(Spec {
            folder,
            from,
            to,
            subject: if i == 0 {
                thread_subject.to_owned()
            } else {
                format!("Re: {thread_subject}")
            },
            body: Body::Plain(format!("{text}\n\n-- \n{}\n", from.0)),
            id: id.clone(),
            parents: parents.clone(),
            flags,
        });
        parents.push(id);
    }
    // A branch off the middle of the thread.
    v.push(Spec {
        folder: "INBOX",
        from: PEOPLE[5],
        to: ME,
        subject: format!("Re: {thread_subject}"),
        body: Body::Plain("Zermatt is expensive. What about Chamonix instead?\n".into()),
        id: "offsite-branch@demo.test".into(),
        parents: parents[..3].to_vec(),
        flags: &[],
    });
    // Attachments, including an RFC 2231 file name.
    v.push(Spec {
        folder: "INBOX",
        from: PEOPLE[1],
        to: ME,
        subject: "Größere Änderungen am Vertrag".into(),
        body: Body::WithAttachments(
            "Hallo Alex,\n\nanbei der überarbeitete Vertrag und das Foto vom Whiteboard.\n\nJosé\n"
                .into(),
        ),
        id: "contract@demo.test".into(),
        parents: vec![],
        flags: &[Flagged],
    });
    // HTML only.
    v.push(Spec {
        folder: "INBOX",
        from: ("The Weekly Byte", "news@weekly.example"),
        to: ME,
        subject: "This week: terminals are back".into(),
        body: Body::Html(
            "<html><body><h1>The Weekly Byte</h1><p>Terminal apps are <b>back</b>. \
             Read about <a href=\"https://example.org/tui\">TUIs in 2025</a>.</p>\
             <ul><li>ratatui</li><li>crossterm</li></ul><p>Unsubscribe anytime.</p></body></html>"
                .into(),
        ),
        id: "weekly-1@weekly.example".into(),
        parents: vec![],
        flags: &[],
    });
    // A second thread in the mailing-list folder, three levels.
    let list_subject = "[rust] Borrow checker question";
    let mut lp: Vec<String> = Vec::new();
    for (i, who) in [2usize, 4, 2, 5].iter().enumerate() {
        let id = format!("rust-{i}@lists.example");
        v.push(Spec {
            folder: "Lists/Rust",
            from: PEOPLE[*who],
            to: ("Rust users", "rust@lists.example"),
            subject: if i == 0 {
                list_subject.into()
            } else {
                format!("Re: {list_subject}")
            },
            body: Body::Plain(format!(
                "Message {i} of the discussion about lifetimes and `&mut` aliasing.\n"
            )),
            id: id.clone(),
            parents: lp.clone(),
            flags: if i < 2 { &[Seen] } else { &[] },
        });
        lp.push(id);
    }
    // Filler so lists scroll: varied senders, subjects and folders.
    let topics = [
        "Invoice 2025-031",
        "Lunch on Friday?",
        "Your package has shipped",
        "Re: Quarterly report",
        "Обновление сервера",
        "会議の議題",
        "Build failed on main",
        "Photos from the weekend",
        "Reminder: dentist appointment",
        "Café opening hours",
    ];
    for i in 0..30 {
        let folder = match i % 5 {
            0..=2 => "INBOX",
            3 => "Archive",
            _ => "Lists/Rust",
        };
        v.push(Spec {
            folder,
            from: PEOPLE[i % PEOPLE.len()],
            to: ME,
            subject: format!("{} #{}", topics[i % topics.len()], i + 1),
            body: Body::Plain(format!(
                "Hello Alex,\n\nthis is note number {} about {}.\n\nBest,\n{}\n",
                i + 1,
                topics[i % topics.len()],
                PEOPLE[i % PEOPLE.len()].0
            )),
            id: format!("note-{i}@demo.test"),
            parents: vec![],
            flags: if i % 3 == 0 { &[Seen] } else { &[] },
        });
    }
    v.push(Spec {
        folder: "Drafts",
        from: ME,
        to: PEOPLE[2],
        subject: "Draft: notes for the retro".into(),
        body: Body::Plain("- what went well\n- what to change\n".into()),
        id: "draft-1@demo.test".into(),
        parents: vec![],
        flags: &[Draft, Seen],
    });
    v.push(Spec {
        folder: "Trash",
        from: ("Prize Office", "winner@spam.example"),
        to: ME,
        subject: "You have WON!!!".into(),
        body: Body::Plain("Click here.\n".into()),
        id: "spam-1@spam.example".into(),
        parents: vec![],
        flags: &[Seen, Deleted],
    });
    v
}

fn render(s: &Spec, n: usize) -> Vec<u8> {
    let date = chrono::DateTime::from_timestamp(BASE + n as i64 * 5_400, 0)
        .unwrap_or_default()
        .with_timezone(&chrono::FixedOffset::east_opt(3600).unwrap_or_else(utc));
    let mut h = String::new();
    h.push_str(&format!("From: {}\r\n", addr(s.from)));
    h.push_str(&format!("To: {}\r\n", addr(s.to)));
    h.push_str(&format!("Subject: {}\r\n", encode_word(&s.subject)));
    h.push_str(&format!("Date: {}\r\n", date.to_rfc2822()));
    h.push_str(&format!("Message-ID: <{}>\r\n", s.id));
    if let Some(p) = s.parents.last() {
        h.push_str(&format!("In-Reply-To: <{p}>\r\n"));
        let refs: Vec<String> = s.parents.iter().map(|p| format!("<{p}>")).collect();
        h.push_str(&format!("References: {}\r\n", refs.join("\r\n ")));
    }
    h.push_str("MIME-Version: 1.0\r\n");
    match &s.body {
        Body::Plain(t) => {
            h.push_str("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n");
            h.push_str(&crlf(t));
        }
        Body::Html(t) => {
            h.push_str(
                "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
            );
            h.push_str(&crlf(t));
            h.push_str("\r\n");
        }
        Body::WithAttachments(t) => {
            let b = "=_demo_boundary_1";
            h.push_str(&format!(
                "Content-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n"
            ));
            h.push_str("This is a multi-part message in MIME format.\r\n");
            h.push_str(&format!(
                "--{b}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}",
                crlf(t)
            ));
            let pdf: Vec<u8> = b"%PDF-1.4\n% demo contract\n"
                .iter()
                .copied()
                .cycle()
                .take(2048)
                .collect();
            h.push_str(&format!(
                "--{b}\r\nContent-Type: application/pdf\r\n\
                 Content-Disposition: attachment; filename*=UTF-8''Vertrag%20%C3%BCberarbeitet.pdf\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\n{}\r\n",
                wrap_b64(&pdf)
            ));
            let png: Vec<u8> = (0u8..=255).cycle().take(1500).collect();
            h.push_str(&format!(
                "--{b}\r\nContent-Type: image/png; name=\"whiteboard.png\"\r\n\
                 Content-Disposition: attachment; filename=\"whiteboard.png\"\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--{b}--\r\n",
                wrap_b64(&png)
            ));
        }
    }
    h.into_bytes()
}

fn utc() -> chrono::FixedOffset {
    use chrono::Offset;
    chrono::Utc.fix()
}

fn crlf(t: &str) -> String {
    t.replace("\r\n", "\n").replace('\n', "\r\n")
}

fn wrap_b64(bytes: &[u8]) -> String {
    let s = STANDARD.encode(bytes);
    s.as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// RFC 2047 B-encoding for non-ASCII header text (ASCII passes through).
fn encode_word(s: &str) -> String {
    if s.is_ascii() {
        s.to_owned()
    } else {
        format!("=?UTF-8?B?{}?=", STANDARD.encode(s))
    }
}

fn addr((name, email): (&str, &str)) -> String {
    if name.is_ascii() {
        if name.contains(['\'', ',', '.']) {
            format!("\"{name}\" <{email}>")
        } else {
            format!("{name} <{email}>")
        }
    } else {
        format!("{} <{email}>", encode_word(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::ParsedMessage;
    use crate::store::ListQuery;

    #[test]
    fn demo_store_has_what_the_issue_asks() {
        let dir = tempfile::tempdir().unwrap();
        let store = generate(dir.path()).unwrap();
        let folders = store.folders(Some(ACCOUNT)).unwrap();
        assert!(folders.iter().filter(|f| f.total > 0).count() >= 3);
        let all = store.list(&ListQuery::default()).unwrap();
        assert!(all.len() >= 40, "{}", all.len());
        // Deep thread across INBOX and Sent; at least 5 levels in INBOX alone.
        let (_, threads) = store.threads(ACCOUNT, "INBOX").unwrap();
        let depth = threads
            .iter()
            .flat_map(|t| t.lines.iter().map(|l| l.depth))
            .max()
            .unwrap();
        assert!(depth >= 4, "depth {depth}");
        let contract = all
            .iter()
            .find(|m| m.subject.starts_with("Größere"))
            .unwrap();
        let parsed = ParsedMessage::parse(&store.read_raw(contract.id).unwrap());
        let names: Vec<&str> = parsed.attachments.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, vec!["Vertrag überarbeitet.pdf", "whiteboard.png"]);
        assert_eq!(parsed.attachments[0].size, 2048);
        let html = all
            .iter()
            .find(|m| m.subject.starts_with("This week"))
            .unwrap();
        let text = ParsedMessage::parse(&store.read_raw(html.id).unwrap()).text;
        assert!(
            text.contains("Terminal apps are") && !text.contains("<p>"),
            "{text}"
        );
        assert!(all.iter().any(|m| m.from[0].starts_with("田中")));
        // Deterministic: same bytes every time.
        assert_eq!(
            messages().iter().map(|m| m.1.clone()).collect::<Vec<_>>(),
            messages().iter().map(|m| m.1.clone()).collect::<Vec<_>>()
        );
    }
}

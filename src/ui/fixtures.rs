//! Test data and a fake backend that answers `LoadPage` like the store would.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::keymap::Keymap;
use super::model::Model;
use super::protocol::{Command, Event, ListSource, Page, PageRequest, SearchScope};
use super::theme::Theme;
use super::types::*;
use super::update::{Msg, init, update};

/// 2026-11-25 12:00:00 UTC.
pub const NOW: i64 = 1_795_608_000;

pub fn model() -> Model {
    model_with(Keymap::default())
}

pub fn model_with(keymap: Keymap) -> Model {
    let mut m = Model::new(
        &["work".to_string(), "home".to_string()],
        keymap,
        Theme::default(),
    );
    m.size = (100, 30);
    m.now = NOW;
    m.home = Some("/home/alice".into());
    m
}

pub fn folders() -> Vec<FolderInfo> {
    let f = |name: &str, special, total, unread| FolderInfo {
        name: name.into(),
        special,
        total,
        unread,
    };
    vec![
        f("Projects", None, 12, 0),
        f("Trash", Some(SpecialUse::Trash), 3, 0),
        f("Sent", Some(SpecialUse::Sent), 40, 0),
        f("INBOX", None, 1234, 7),
        f("Archive", Some(SpecialUse::Archive), 900, 0),
        f("Drafts", Some(SpecialUse::Drafts), 1, 0),
    ]
}

/// Row `i` of a folder: threads of four (a root, two replies, then a lone message).
pub fn row(folder: &FolderRef, i: usize, threaded: bool) -> Row {
    let senders = ["Alice Example", "Bob Builder", "Carol Über", "Dave"];
    let pos = i % 4;
    let thread = if !threaded || pos == 3 {
        ThreadPos::default()
    } else if pos == 0 {
        ThreadPos {
            depth: 0,
            last_sibling: true,
            descendants: 2,
            // The replies below (rows i+1, i+2) that are unread, as the backend counts them.
            unread_descendants: (1..=2).filter(|k| (i + k).is_multiple_of(3)).count() as u32,
        }
    } else {
        ThreadPos {
            depth: pos as u16,
            last_sibling: true,
            descendants: 0,
            unread_descendants: 0,
        }
    };
    Row {
        id: MessageId(format!("{}-{}-{i}", folder.account, folder.folder)),
        folder: folder.clone(),
        date: NOW - 3_600 * 7 * i as i64,
        from: senders[i % 4].to_string(),
        subject: if pos == 3 {
            format!("会議の議題 {i}: agenda")
        } else if pos == 0 {
            format!("Topic number {i}")
        } else {
            format!("Re: Topic number {}", i - pos)
        },
        flags: Flags {
            seen: !i.is_multiple_of(3),
            flagged: i % 5 == 2,
            answered: i % 7 == 1,
            ..Flags::NONE
        },
        has_attachments: i % 6 == 4,
        has_body: true,
        size: 1_000 + 937 * i as u64,
        thread,
    }
}

/// A fake store: answers pages of `total` messages per list, and filters by subject.
pub struct Fake {
    pub total: usize,
}

impl Fake {
    pub fn answer(&self, req: &PageRequest) -> Event {
        let (folder, total) = match &req.source {
            ListSource::Folder(f) => (f.clone(), self.total),
            ListSource::Search {
                scope: SearchScope::Folder(f),
                query,
            } => (f.clone(), (self.total / (query.len() + 1)).max(1)),
            ListSource::Search {
                scope: SearchScope::AllAccounts,
                ..
            } => (FolderRef::new("home", "INBOX"), 3),
        };
        let end = (req.offset + req.limit).min(total);
        let rows = (req.offset..end)
            .map(|i| row(&folder, i, req.sort.threaded))
            .collect();
        Event::Page {
            request: req.clone(),
            result: Ok(Page {
                offset: req.offset,
                total,
                rows,
            }),
        }
    }

    /// Apply `msg`, answer every LoadPage at once, and return the other commands.
    pub fn send(&self, model: &mut Model, msg: Msg) -> Vec<Command> {
        let mut out = Vec::new();
        let mut queue = update(model, msg);
        while !queue.is_empty() {
            for cmd in std::mem::take(&mut queue) {
                match cmd {
                    Command::LoadPage(req) => {
                        queue.extend(update(model, Msg::Backend(self.answer(&req))))
                    }
                    other => out.push(other),
                }
            }
        }
        out
    }

    pub fn keys(&self, model: &mut Model, keys: &str) -> Vec<Command> {
        keys.chars()
            .flat_map(|c| self.send(model, Msg::Key(key(KeyCode::Char(c)))))
            .collect()
    }
}

pub fn key(code: KeyCode) -> KeyEvent {
    let m = match code {
        KeyCode::Char(c) if c.is_ascii_uppercase() => KeyModifiers::SHIFT,
        _ => KeyModifiers::NONE,
    };
    KeyEvent::new(code, m)
}

pub fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

/// A model with both accounts' folders loaded and work/INBOX open on a `total`-message list.
pub fn started(total: usize) -> (Model, Fake) {
    let fake = Fake { total };
    let mut m = model();
    assert_eq!(init(&mut m), vec![Command::LoadFolders { account: None }]);
    for account in ["work", "home"] {
        fake.send(
            &mut m,
            Msg::Backend(Event::Folders {
                account: account.into(),
                result: Ok(folders()),
            }),
        );
    }
    (m, fake)
}

pub fn message(id: &MessageId) -> Message {
    let reply = Draft {
        account: "work".into(),
        to: vec!["Alice Example <alice@x.test>".into()],
        subject: "Re: Topic number 0".into(),
        body: "\n\nOn Tue, Alice Example wrote:\n> Hello there\n".into(),
        in_reply_to: Some("<t0@x.test>".into()),
        references: vec!["<t0@x.test>".into()],
        ..Draft::default()
    };
    Message {
        id: id.clone(),
        folder: FolderRef::new("work", "INBOX"),
        headers: vec![
            ("From".into(), "Alice Example <alice@x.test>".into()),
            ("To".into(), "Bob <bob@y.test>".into()),
            ("Date".into(), "Wed, 25 Nov 2026 11:00:00 +0000".into()),
            ("Subject".into(), "Topic number 0".into()),
        ],
        downloaded: true,
        body: "Hello Bob,\n\nthe plan is at https://plans.x.test/q4. Thoughts?\n\n> earlier quoted text\n> more quoted\n\nAlice\n".into(),
        attachments: vec![
            AttachmentInfo { part: 2, name: "plan.pdf".into(), mime: "application/pdf".into(), size: 48_213 },
            AttachmentInfo { part: 3, name: "photo.jpg".into(), mime: "image/jpeg".into(), size: 1_204_000 },
        ],
        all_headers: Vec::new(),
        prefill: Prefill {
            reply_all: Draft { cc: vec!["Bob <bob@y.test>".into()], ..reply.clone() },
            forward: Draft { subject: "Fwd: Topic number 0".into(), ..Draft::default() },
            list_reply: Err("not a mailing-list message (no List-Post header)".into()),
            reply,
        },
    }
}

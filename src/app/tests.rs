//! The backend with a real store (the demo mailbox in a temp dir): commands in, events out.

use std::time::Duration;

use super::*;
use crate::ui::{DraftAttachment, Flags, FolderRef, SearchScope, SortKey};

pub(super) struct Rig {
    rt: tokio::runtime::Runtime,
    cmd: mpsc::Sender<Command>,
    ev: mpsc::Receiver<Event>,
    _dir: tempfile::TempDir,
    pub(super) data: std::path::PathBuf,
}

pub(super) fn rig(mode: Mode) -> Rig {
    rig_with(mode, false)
}

/// A config whose account "demo" sends to a closed local port (nothing listens on port 1).
fn unreachable_config(data: &std::path::Path) -> Config {
    let text = format!(
        r#"data_dir = "{d}"
[accounts.demo]
email = "alex@demo.test"
name = "Alex Demo"
[accounts.demo.incoming]
protocol = "maildir"
path = "{d}/md"
[accounts.demo.outgoing]
host = "127.0.0.1"
port = 1
tls = "none"
allow_plaintext = true
user = "alex"
password_command = "echo secret"
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

fn rig_with(mode: Mode, with_config: bool) -> Rig {
    rig_from(mode, |data| {
        if with_config {
            unreachable_config(data)
        } else {
            Config::empty(data.to_path_buf())
        }
    })
}

/// The demo store with the config `config` makes for its data dir.
pub(super) fn rig_from(mode: Mode, config: impl FnOnce(&std::path::Path) -> Config) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let store = store::demo::generate(&data).unwrap();
    let config = config(&data);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let options = Options {
        mode,
        config,
        accounts: vec![DEMO_ACCOUNT.to_owned()],
        initial_sync: false,
    };
    let h = start(store, options, rt.handle().clone()).unwrap();
    Rig {
        rt,
        cmd: h.commands,
        ev: h.events,
        _dir: dir,
        data,
    }
}

/// The demo store (after `prepare`) and no accounts, with `gpg` as the OpenPGP backend.
pub(super) fn rig_with_gpg(
    gpg: crate::pgp::gpg::Gpg,
    prepare: impl FnOnce(&mut store::Store),
) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut store = store::demo::generate(&data).unwrap();
    prepare(&mut store);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let options = Options {
        mode: Mode::Demo,
        config: Config::empty(data.clone()),
        accounts: vec![DEMO_ACCOUNT.to_owned()],
        initial_sync: false,
    };
    let h = start_with_gpg(store, options, rt.handle().clone(), gpg).unwrap();
    Rig {
        rt,
        cmd: h.commands,
        ev: h.events,
        _dir: dir,
        data,
    }
}

impl Rig {
    pub(super) fn send(&mut self, c: Command) {
        self.cmd.blocking_send(c).unwrap();
    }

    pub(super) fn next(&mut self) -> Event {
        let ev = &mut self.ev;
        self.rt
            .block_on(async { tokio::time::timeout(Duration::from_secs(10), ev.recv()).await })
            .expect("an event within 10 s")
            .expect("backend alive")
    }

    /// Sends `c` and returns the first event `pick` accepts, skipping others.
    pub(super) fn ask<T>(&mut self, c: Command, pick: impl Fn(Event) -> Option<T>) -> T {
        self.send(c);
        for _ in 0..50 {
            if let Some(t) = pick(self.next()) {
                return t;
            }
        }
        panic!("no matching event");
    }

    pub(super) fn folders(&mut self) -> Vec<ui::FolderInfo> {
        self.ask(
            Command::LoadFolders {
                account: Some(DEMO_ACCOUNT.into()),
            },
            |e| match e {
                Event::Folders { result, .. } => Some(result.unwrap()),
                _ => None,
            },
        )
    }

    pub(super) fn page(
        &mut self,
        source: ListSource,
        sort: Sort,
        generation: u64,
        offset: usize,
    ) -> Page {
        let req = PageRequest {
            source,
            offset,
            limit: 100,
            sort,
            generation,
        };
        self.ask(Command::LoadPage(req.clone()), |e| match e {
            Event::Page { request, result } if request == req => Some(result.unwrap()),
            _ => None,
        })
    }

    pub(super) fn open(&mut self, id: &ui::MessageId) -> ui::Message {
        self.ask(Command::OpenMessage(id.clone()), |e| match e {
            Event::Message { result, .. } => Some(result.unwrap()),
            _ => None,
        })
    }
}

pub(super) fn inbox() -> ListSource {
    ListSource::Folder(FolderRef::new(DEMO_ACCOUNT, "INBOX"))
}

pub(super) fn folder(name: &str) -> ListSource {
    ListSource::Folder(FolderRef::new(DEMO_ACCOUNT, name))
}

#[test]
fn folders_come_with_roles_and_counts() {
    let mut r = rig(Mode::Demo);
    let fs = r.folders();
    let by_name = |n: &str| fs.iter().find(|f| f.name == n).unwrap().clone();
    assert_eq!(by_name("INBOX").special, Some(ui::SpecialUse::Inbox));
    assert_eq!(by_name("Sent").special, Some(ui::SpecialUse::Sent));
    assert_eq!(by_name("Trash").special, Some(ui::SpecialUse::Trash));
    assert_eq!(by_name("Lists/Rust").special, None);
    assert!(by_name("INBOX").total > 20 && by_name("INBOX").unread > 0);
    assert_eq!(fs.len(), store::demo::FOLDERS.len());
}

#[test]
fn pages_are_in_thread_order_and_cover_the_folder_once() {
    let mut r = rig(Mode::Demo);
    let p = r.page(inbox(), Sort::default(), 1, 0);
    let total = r
        .folders()
        .iter()
        .find(|f| f.name == "INBOX")
        .unwrap()
        .total as usize;
    assert_eq!(p.total, total);
    assert_eq!(p.rows.len(), total);
    let mut ids: Vec<_> = p.rows.iter().map(|r| r.id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), total, "every message exactly once");
    // The demo has a thread several levels deep: a root with descendants, then deeper rows.
    let root = p
        .rows
        .iter()
        .position(|r| r.thread.descendants >= 3)
        .expect("a thread root");
    let n = p.rows[root].thread.descendants as usize;
    assert!(
        p.rows[root + 1..=root + n]
            .iter()
            .all(|r| r.thread.depth >= 1)
    );
    assert!(
        p.rows[root + 1..=root + n]
            .iter()
            .any(|r| r.thread.depth >= 2)
    );
    // Offsets page through the same order.
    let tail = r.page(inbox(), Sort::default(), 1, 5);
    assert_eq!(tail.offset, 5);
    assert_eq!(tail.rows[0], p.rows[5]);
    // A flat sort by sender is A-Z.
    let flat = Sort {
        key: SortKey::Sender,
        reverse: false,
        threaded: false,
    };
    let s = r.page(inbox(), flat, 2, 0);
    let senders: Vec<String> = s.rows.iter().map(|r| r.from.to_lowercase()).collect();
    let mut sorted = senders.clone();
    sorted.sort();
    assert_eq!(senders, sorted);
}

#[test]
fn a_message_opens_with_headers_body_attachments_and_replies() {
    let mut r = rig(Mode::Demo);
    let p = r.page(inbox(), Sort::default(), 1, 0);
    // The multipart message with attachments.
    let with_att = p
        .rows
        .iter()
        .find_map(|row| {
            let m = r.open(&row.id);
            (!m.attachments.is_empty()).then_some(m)
        })
        .expect("the demo has a message with attachments");
    assert!(with_att.headers.iter().any(|(k, _)| k == "From"));
    assert!(with_att.headers.iter().any(|(k, _)| k == "Subject"));
    assert!(!with_att.body.is_empty());
    assert!(with_att.downloaded);
    assert!(p.rows.iter().all(|row| row.has_body));
    let reply = &with_att.prefill.reply;
    assert_eq!(reply.account, DEMO_ACCOUNT);
    assert!(reply.subject.starts_with("Re: "));
    assert_eq!(reply.to.len(), 1);
    assert!(reply.in_reply_to.is_some());
    assert!(reply.body.contains("> "));
    let fwd = &with_att.prefill.forward;
    assert!(fwd.subject.starts_with("Fwd: "));
    assert!(fwd.to.is_empty());
    assert_eq!(fwd.attachments.len(), with_att.attachments.len());
    // Save the first attachment; a second save never overwrites it.
    let out = r.data.join("saved.bin");
    let id = with_att.id.clone();
    let res = r.ask(
        Command::SaveAttachment {
            id: id.clone(),
            part: 0,
            path: out.clone(),
        },
        |e| match e {
            Event::AttachmentSaved { result, .. } => Some(result),
            _ => None,
        },
    );
    res.unwrap();
    assert_eq!(
        std::fs::metadata(&out).unwrap().len(),
        with_att.attachments[0].size
    );
    let again = r.ask(
        Command::SaveAttachment {
            id,
            part: 0,
            path: out,
        },
        |e| match e {
            Event::AttachmentSaved { result, .. } => Some(result),
            _ => None,
        },
    );
    assert!(again.is_err());
}

#[test]
fn flags_moves_and_deletes_change_the_store() {
    let mut r = rig(Mode::Demo);
    let p = r.page(inbox(), Sort::default(), 1, 0);
    let unread = p.rows.iter().find(|r| !r.flags.seen).unwrap().id.clone();
    let before = r
        .folders()
        .iter()
        .find(|f| f.name == "INBOX")
        .unwrap()
        .unread;
    r.ask(
        Command::SetFlags {
            ids: vec![unread.clone()],
            add: Flags::SEEN.apply(Flags::FLAGGED, Flags::NONE),
            remove: Flags::NONE,
        },
        |e| match e {
            Event::FlagsSet { result, .. } => Some(result),
            _ => None,
        },
    )
    .unwrap();
    let after = r
        .folders()
        .iter()
        .find(|f| f.name == "INBOX")
        .unwrap()
        .unread;
    assert_eq!(after, before - 1);
    let row = r
        .page(inbox(), Sort::default(), 2, 0)
        .rows
        .into_iter()
        .find(|r| r.id == unread)
        .unwrap();
    assert!(row.flags.seen && row.flags.flagged);

    r.ask(
        Command::Move {
            ids: vec![unread.clone()],
            to: FolderRef::new(DEMO_ACCOUNT, "Archive"),
        },
        |e| match e {
            Event::Moved { result, .. } => Some(result),
            _ => None,
        },
    )
    .unwrap();
    let archive = r.page(folder("Archive"), Sort::default(), 3, 0);
    assert!(
        archive.rows.iter().any(|r| r.id == unread),
        "ids survive a move"
    );
    let inbox_now = r.page(inbox(), Sort::default(), 4, 0);
    assert_eq!(inbox_now.total, p.total - 1);

    r.ask(
        Command::Delete {
            ids: vec![unread.clone()],
        },
        |e| match e {
            Event::Deleted { result, .. } => Some(result),
            _ => None,
        },
    )
    .unwrap();
    let trash = r.page(folder("Trash"), Sort::default(), 5, 0);
    assert!(
        trash.rows.iter().any(|r| r.id == unread),
        "deleted to Trash"
    );
}

#[test]
fn search_filters_a_folder_and_all_accounts() {
    let mut r = rig(Mode::Demo);
    let src = |scope| ListSource::Search {
        scope,
        query: "offsite".into(),
    };
    let in_inbox = r.page(
        src(SearchScope::Folder(FolderRef::new(DEMO_ACCOUNT, "INBOX"))),
        Sort::default(),
        1,
        0,
    );
    assert!(in_inbox.total > 0);
    assert!(in_inbox.rows.iter().all(|r| r.folder.folder == "INBOX"));
    assert!(in_inbox.rows.iter().all(|r| r.thread.depth == 0));
    let everywhere = r.page(src(SearchScope::AllAccounts), Sort::default(), 2, 0);
    assert!(everywhere.total > in_inbox.total, "Sent has replies too");
    let none = r.page(
        ListSource::Search {
            scope: SearchScope::AllAccounts,
            query: "zzzqqqnothing".into(),
        },
        Sort::default(),
        3,
        0,
    );
    assert_eq!(none.total, 0);
}

#[test]
fn addresses_complete_from_the_store() {
    let mut r = rig(Mode::Demo);
    let got = r.ask(
        Command::CompleteAddress {
            prefix: "pri".into(),
        },
        |e| match e {
            Event::Completions { prefix, result } if prefix == "pri" => Some(result.unwrap()),
            _ => None,
        },
    );
    assert!(
        got.iter().any(|a| a.contains("priya@example.com")),
        "{got:?}"
    );
    assert!(got.iter().all(|a| a.to_lowercase().contains("pri")));
}

#[test]
fn demo_send_goes_to_sent_and_marks_the_original_answered() {
    let mut r = rig(Mode::Demo);
    let p = r.page(inbox(), Sort::default(), 1, 0);
    let orig = p
        .rows
        .iter()
        .find(|r| !r.flags.answered)
        .unwrap()
        .id
        .clone();
    let m = r.open(&orig);
    let mut draft = m.prefill.reply.clone();
    draft.body = format!("Sounds good.\n\n{}", draft.body);
    let sent_before = r.page(folder("Sent"), Sort::default(), 2, 0).total;
    let outcome = r.ask(Command::Send(draft.clone()), |e| match e {
        Event::Sent { result } => Some(result.unwrap()),
        _ => None,
    });
    assert_eq!(outcome, ui::SendOutcome::SavedOnly);
    let sent = r.page(folder("Sent"), Sort::default(), 3, 0);
    assert_eq!(sent.total, sent_before + 1);
    assert!(sent.rows.iter().any(|row| row.subject == draft.subject));
    let row = r
        .page(inbox(), Sort::default(), 4, 0)
        .rows
        .into_iter()
        .find(|r| r.id == orig)
        .unwrap();
    assert!(row.flags.answered);
}

#[test]
fn bad_addresses_and_unknown_senders_are_refused() {
    let mut r = rig(Mode::Demo);
    let draft = ui::Draft {
        account: DEMO_ACCOUNT.into(),
        to: vec!["not an address".into()],
        subject: "x".into(),
        ..ui::Draft::default()
    };
    let err = r.ask(Command::Send(draft), |e| match e {
        Event::Sent { result } => Some(result.unwrap_err()),
        _ => None,
    });
    assert_eq!(err.kind, ErrorKind::Data);
    // Outside demo mode, an account the config does not have has no address to send from:
    // a config error, not a crash.
    let mut r = rig(Mode::Offline);
    let draft = ui::Draft {
        account: DEMO_ACCOUNT.into(),
        to: vec!["a@example.org".into()],
        ..ui::Draft::default()
    };
    let res = r.ask(Command::Send(draft), |e| match e {
        Event::Sent { result } => Some(result),
        _ => None,
    });
    assert_eq!(res.unwrap_err().kind, ErrorKind::Config);
}

#[test]
fn drafts_are_saved_even_without_recipients() {
    let mut r = rig(Mode::Demo);
    let before = r.page(folder("Drafts"), Sort::default(), 1, 0).total;
    let draft = ui::Draft {
        account: DEMO_ACCOUNT.into(),
        subject: "Half-written".into(),
        body: "to be continued".into(),
        attachments: vec![DraftAttachment::File(r.data.join("index.sqlite3"))],
        ..ui::Draft::default()
    };
    r.ask(Command::SaveDraft(draft), |e| match e {
        Event::DraftSaved { result } => Some(result),
        _ => None,
    })
    .unwrap();
    let drafts = r.page(folder("Drafts"), Sort::default(), 2, 0);
    assert_eq!(drafts.total, before + 1);
    let row = drafts
        .rows
        .iter()
        .find(|r| r.subject == "Half-written")
        .unwrap();
    assert!(row.flags.draft);
    let m = r.open(&row.id);
    assert!(!m.headers.iter().any(|(k, _)| k == "Bcc"));
    assert_eq!(m.attachments.len(), 1);
}

#[test]
fn sync_in_demo_and_offline_mode_never_connects() {
    for mode in [Mode::Demo, Mode::Offline] {
        let mut r = rig(mode);
        r.send(Command::Sync { account: None });
        let mut saw_offline = false;
        let mut saw_error = false;
        for _ in 0..2 {
            match r.next() {
                Event::AccountState { state, .. } => {
                    saw_offline = state == ui::AccountState::Offline
                }
                Event::Error(e) => saw_error = e.message.starts_with("offline"),
                other => panic!("unexpected {other:?}"),
            }
        }
        assert!(saw_offline && saw_error);
    }
}

#[test]
fn unknown_ids_are_errors_not_panics() {
    let mut r = rig(Mode::Demo);
    let res = r.ask(
        Command::OpenMessage(ui::MessageId("nope".into())),
        |e| match e {
            Event::Message { result, .. } => Some(result),
            _ => None,
        },
    );
    assert!(res.is_err());
    let res = r.ask(
        Command::OpenMessage(ui::MessageId("999999".into())),
        |e| match e {
            Event::Message { result, .. } => Some(result),
            _ => None,
        },
    );
    assert!(res.is_err());
}

#[test]
fn a_send_that_cannot_reach_the_server_waits_in_the_outbox() {
    for mode in [Mode::Online, Mode::Offline] {
        let mut r = rig_with(mode, true);
        let draft = ui::Draft {
            account: DEMO_ACCOUNT.into(),
            to: vec!["Bo <bo@example.org>".into()],
            bcc: vec!["secret@example.org".into()],
            subject: "queued".into(),
            body: "hello".into(),
            ..ui::Draft::default()
        };
        let outcome = r.ask(Command::Send(draft), |e| match e {
            Event::Sent { result } => Some(result),
            _ => None,
        });
        assert_eq!(outcome, Ok(ui::SendOutcome::Queued), "{mode:?}");
        drop(r.cmd);
        let store = Store::open(&r.data).unwrap();
        let queued = store.outbox(Some(DEMO_ACCOUNT)).unwrap();
        assert_eq!(queued.len(), 1);
        assert!(
            queued[0]
                .recipients
                .contains(&"secret@example.org".to_owned())
        );
        let raw = store.read_raw(queued[0].id).unwrap();
        assert!(
            !String::from_utf8_lossy(&raw).contains("secret@"),
            "no Bcc header"
        );
    }
}

#[test]
fn the_flat_newest_first_pages_agree_with_the_computed_order() {
    let mut r = rig(Mode::Demo);
    let flat = |reverse| Sort {
        key: SortKey::Date,
        reverse,
        threaded: false,
    };
    // Newest first comes straight from the index, page by page; oldest first is computed.
    let direct = r.page(inbox(), flat(false), 1, 0);
    let computed = r.page(inbox(), flat(true), 2, 0);
    assert_eq!(direct.total, computed.total);
    let mut ids: Vec<_> = computed.rows.iter().map(|r| r.id.clone()).collect();
    ids.reverse();
    assert_eq!(
        direct.rows.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
        ids
    );
    let second = r.page(inbox(), flat(false), 1, 10);
    assert_eq!(second.offset, 10);
    assert_eq!(second.rows[0], direct.rows[10]);
}

#[test]
fn quitting_while_a_message_is_being_sent_still_sends_or_queues_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let store = store::demo::generate(&data).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let options = Options {
        mode: Mode::Online,
        config: unreachable_config(&data),
        accounts: vec![DEMO_ACCOUNT.to_owned()],
        initial_sync: false,
    };
    let h = start(store, options, rt.handle().clone()).unwrap();
    let draft = ui::Draft {
        account: DEMO_ACCOUNT.into(),
        to: vec!["bo@example.org".into()],
        subject: "last words".into(),
        ..ui::Draft::default()
    };
    h.commands.blocking_send(Command::Send(draft)).unwrap();
    // The UI quits at once: both channel ends go away.
    drop(h.commands);
    drop(h.events);
    h.thread.join().unwrap();
    let store = Store::open(&data).unwrap();
    assert_eq!(store.outbox(Some(DEMO_ACCOUNT)).unwrap().len(), 1);
}

/// An online IMAP account whose server cannot be reached (nothing listens on port 1), with one
/// envelope-only message in its INBOX.
pub(super) fn unreachable_imap(mode: Mode) -> (Rig, ui::MessageId) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let text = format!(
        r#"data_dir = "{d}"
[accounts.far]
email = "me@far.test"
[accounts.far.incoming]
protocol = "imap"
host = "127.0.0.1"
port = 1
tls = "none"
allow_plaintext = true
user = "me"
password_command = "echo secret"
[accounts.far.outgoing]
host = "127.0.0.1"
port = 1
tls = "none"
allow_plaintext = true
user = "me"
password_command = "echo secret"
"#,
        d = data.display()
    );
    let config = Config::parse(
        &text,
        std::path::Path::new("/nonexistent/config.toml"),
        &crate::config::Env::default(),
    )
    .unwrap();
    let mut store = Store::open(&data).unwrap();
    store.register_accounts(&config).unwrap();
    let f = store.ensure_folder("far", "INBOX").unwrap();
    store
        .set_folder_state(
            f,
            &store::FolderState {
                uidvalidity: Some(7),
                uidnext: Some(2),
                ..store::FolderState::default()
            },
        )
        .unwrap();
    let raw = b"From: a@x.test\r\nTo: me@far.test\r\nSubject: Far away\r\n\
                Message-ID: <far1@x.test>\r\n\r\nNot here yet.\r\n";
    let env = crate::mail::Envelope::parse(raw);
    let ids = store
        .upsert_envelopes(
            f,
            &[store::RemoteEnvelope {
                uid: 1,
                flags: crate::mail::Flags::empty(),
                modseq: None,
                envelope: &env,
            }],
        )
        .unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let options = Options {
        mode,
        config,
        accounts: vec!["far".to_owned()],
        initial_sync: false,
    };
    let h = start(store, options, rt.handle().clone()).unwrap();
    let rig = Rig {
        rt,
        cmd: h.commands,
        ev: h.events,
        _dir: dir,
        data,
    };
    (rig, convert::ui_id(ids[0]))
}

#[test]
fn an_envelope_only_message_whose_download_fails_shows_its_headers_and_why() {
    let (mut r, id) = unreachable_imap(Mode::Online);
    let m = r.open(&id);
    assert!(
        m.body.starts_with("body not downloaded yet: "),
        "the body says why: {}",
        m.body
    );
    assert!(
        m.body.contains("127.0.0.1"),
        "the reason names the server: {}",
        m.body
    );
    assert!(
        m.headers.iter().any(|(_, v)| v.contains("Far away")),
        "{:?}",
        m.headers
    );
    assert!(!m.downloaded, "so the UI leaves it unread");
}

#[test]
fn a_lost_idle_connection_shows_failed_with_the_retry_time() {
    let (mut r, _) = unreachable_imap(Mode::Online);
    // The watcher starts with the backend; its connection fails at once.
    let why = (0..50)
        .find_map(|_| match r.next() {
            Event::AccountState {
                account,
                state: ui::AccountState::Failed(why),
            } if account == "far" => Some(why),
            _ => None,
        })
        .expect("a Failed state");
    assert!(why.starts_with("watching INBOX: "), "{why}");
    assert!(why.contains("retrying in 2s"), "{why}");
}

#[test]
fn offline_an_envelope_only_message_says_so_and_nothing_connects() {
    let (mut r, id) = unreachable_imap(Mode::Offline);
    let m = r.open(&id);
    assert!(
        m.body.starts_with("body not downloaded yet: offline"),
        "{}",
        m.body
    );
    assert!(!m.downloaded, "so the UI leaves it unread");
    // No watcher runs: no account state arrives on its own.
    let ev = &mut r.ev;
    let got =
        r.rt.block_on(async { tokio::time::timeout(Duration::from_millis(500), ev.recv()).await });
    assert!(got.is_err(), "an unexpected event: {got:?}");
}

#[test]
fn an_account_another_process_is_syncing_shows_busy_then_syncs_when_free() {
    let mut r = rig_with(Mode::Online, true);
    // This test plays the other postie process syncing the account.
    let held = store::lock::AccountLock::try_acquire(&r.data, DEMO_ACCOUNT)
        .unwrap()
        .expect("free");
    r.send(Command::Sync {
        account: Some(DEMO_ACCOUNT.into()),
    });
    let why = (0..50)
        .find_map(|_| match r.next() {
            Event::AccountState {
                account,
                state: ui::AccountState::Busy(why),
            } if account == DEMO_ACCOUNT => Some(why),
            Event::AccountState {
                state: ui::AccountState::Failed(why),
                ..
            } => panic!("a busy account is not a failure: {why}"),
            _ => None,
        })
        .expect("a Busy state");
    assert_eq!(
        why,
        format!(
            "busy: being synced by process {}; trying again in 1s",
            std::process::id()
        )
    );
    // Once the other process lets go, the retry syncs the account.
    drop(held);
    let online = (0..50).any(|_| {
        matches!(
            r.next(),
            Event::AccountState {
                state: ui::AccountState::Online,
                ..
            }
        )
    });
    assert!(online, "synced after the lock was released");
}

mod folders;

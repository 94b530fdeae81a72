//! The Outbox pseudo-folder with a real store: a queued send shows up in it (announced by an
//! event), its rows carry the queue's state, send-now goes through the engine's flush and
//! records the failed attempt, drop removes it, and the folder goes when the queue is empty.

use std::time::Duration;

use super::*;
use crate::ui::FolderRef;

struct Rig {
    rt: tokio::runtime::Runtime,
    cmd: mpsc::Sender<Command>,
    ev: mpsc::Receiver<Event>,
    _dir: tempfile::TempDir,
    data: std::path::PathBuf,
}

/// The demo mailbox with a config whose SMTP server is a closed local port.
fn rig(mode: Mode) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let store = store::demo::generate(&data).unwrap();
    let text = format!(
        r#"data_dir = "{d}"
[accounts.demo]
email = "alex@demo.test"
[accounts.demo.incoming]
protocol = "maildir"
path = "{d}/demo"
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
    let config = Config::parse(
        &text,
        std::path::Path::new("/nonexistent/config.toml"),
        &crate::config::Env::default(),
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

impl Rig {
    fn next(&mut self) -> Event {
        let ev = &mut self.ev;
        self.rt
            .block_on(async { tokio::time::timeout(Duration::from_secs(30), ev.recv()).await })
            .expect("an event within 30 s")
            .expect("backend alive")
    }

    /// Sends `c` and returns the first event `pick` accepts; the ones skipped are returned
    /// too, in order.
    fn ask<T>(&mut self, c: Command, pick: impl Fn(&Event) -> Option<T>) -> (T, Vec<Event>) {
        self.cmd.blocking_send(c).unwrap();
        let mut skipped = Vec::new();
        for _ in 0..50 {
            let ev = self.next();
            if let Some(t) = pick(&ev) {
                return (t, skipped);
            }
            skipped.push(ev);
        }
        panic!("no matching event; got {skipped:?}");
    }

    fn outbox_info(&mut self) -> Option<ui::FolderInfo> {
        let (folders, _) = self.ask(
            Command::LoadFolders {
                account: Some(DEMO_ACCOUNT.into()),
            },
            |e| match e {
                Event::Folders { result, .. } => Some(result.clone().unwrap()),
                _ => None,
            },
        );
        folders
            .into_iter()
            .find(|f| f.special == Some(ui::SpecialUse::Outbox))
    }

    fn outbox_rows(&mut self) -> Page {
        let req = PageRequest {
            source: ListSource::Folder(FolderRef::new(DEMO_ACCOUNT, "Outbox")),
            offset: 0,
            limit: 100,
            sort: Sort::default(),
            generation: 1,
        };
        self.ask(Command::LoadPage(req), |e| match e {
            Event::Page { result, .. } => Some(result.clone().unwrap()),
            _ => None,
        })
        .0
    }

    /// Sends a message the closed port cannot take: it is queued.
    fn queue_one(&mut self) -> Vec<Event> {
        let draft = ui::Draft {
            account: DEMO_ACCOUNT.into(),
            to: vec!["Bo <bo@example.org>".into()],
            subject: "waiting".into(),
            body: "hello".into(),
            ..ui::Draft::default()
        };
        let (outcome, _) = self.ask(Command::Send(draft), |e| match e {
            Event::Sent { result } => Some(result.clone()),
            _ => None,
        });
        assert_eq!(outcome, Ok(ui::SendOutcome::Queued));
        // What follows the answer: the Outbox changed.
        vec![self.next()]
    }
}

#[test]
fn a_queued_send_shows_in_the_outbox_which_goes_when_empty() {
    let mut r = rig(Mode::Online);
    assert_eq!(r.outbox_info(), None, "no Outbox while nothing waits");
    let after = r.queue_one();
    assert_eq!(
        after,
        vec![Event::FolderChanged(FolderRef::new(DEMO_ACCOUNT, "Outbox"))],
        "the backend announces the queued message"
    );
    let info = r.outbox_info().expect("the Outbox is shown");
    assert_eq!((info.name.as_str(), info.total), ("Outbox", 1));
    let page = r.outbox_rows();
    assert_eq!(page.total, 1);
    let row = &page.rows[0];
    assert_eq!(row.from, "To: bo@example.org");
    assert!(
        row.subject.starts_with("waiting  [1 attempt"),
        "{}",
        row.subject
    );
    // Opening it shows the message with its state first.
    let (msg, _) = r.ask(Command::OpenMessage(row.id.clone()), |e| match e {
        Event::Message { result, .. } => Some(result.clone().unwrap()),
        _ => None,
    });
    assert!(
        msg.body
            .starts_with("[Outbox: to bo@example.org; 1 attempt"),
        "{}",
        msg.body
    );
    assert!(msg.body.contains("hello"));

    // Drop: gone from the queue and the store, and the Outbox from the pane.
    let (dropped, after) = r.ask(
        Command::DropOutbox {
            ids: vec![row.id.clone()],
        },
        |e| match e {
            Event::OutboxDropped { result, .. } => Some(result.clone()),
            _ => None,
        },
    );
    assert_eq!(dropped, Ok(()));
    assert!(after.is_empty());
    assert_eq!(
        r.next(),
        Event::FolderChanged(FolderRef::new(DEMO_ACCOUNT, "Outbox"))
    );
    assert_eq!(r.outbox_info(), None);
    let store = Store::open(&r.data).unwrap();
    assert!(store.outbox(Some(DEMO_ACCOUNT)).unwrap().is_empty());
    // Dropping it again says so.
    let (again, _) = r.ask(
        Command::DropOutbox {
            ids: vec![row.id.clone()],
        },
        |e| match e {
            Event::OutboxDropped { result, .. } => Some(result.clone()),
            _ => None,
        },
    );
    assert!(again.is_err());
}

#[test]
fn send_now_runs_the_flush_and_records_the_failed_attempt() {
    let mut r = rig(Mode::Online);
    r.queue_one();
    let id = r.outbox_rows().rows[0].id.clone();
    let (result, _) = r.ask(
        Command::RetryOutbox {
            ids: vec![id.clone()],
        },
        |e| match e {
            Event::OutboxRetried { result, .. } => Some(result.clone()),
            _ => None,
        },
    );
    let e = result.expect_err("the port is closed");
    assert!(e.message.contains("stays queued"), "{}", e.message);
    assert_eq!(
        r.next(),
        Event::FolderChanged(FolderRef::new(DEMO_ACCOUNT, "Outbox"))
    );
    let row = &r.outbox_rows().rows[0];
    assert!(row.subject.contains("[2 attempts"), "{}", row.subject);
    let store = Store::open(&r.data).unwrap();
    assert_eq!(store.outbox(Some(DEMO_ACCOUNT)).unwrap()[0].attempts, 2);
}

#[test]
fn send_now_offline_tries_nothing() {
    let mut r = rig(Mode::Offline);
    r.queue_one();
    let id = r.outbox_rows().rows[0].id.clone();
    let (result, _) = r.ask(Command::RetryOutbox { ids: vec![id] }, |e| match e {
        Event::OutboxRetried { result, .. } => Some(result.clone()),
        _ => None,
    });
    assert!(result.unwrap_err().message.starts_with("offline"));
    let store = Store::open(&r.data).unwrap();
    assert_eq!(store.outbox(Some(DEMO_ACCOUNT)).unwrap()[0].attempts, 1);
}

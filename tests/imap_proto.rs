//! The IMAP protocol layer (src/proto/imap) against the real Dovecot of the test harness.

#[path = "support/fault_proxy.rs"]
mod fault_proxy;
mod support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use postie::config::{Server, TlsMode};
use postie::error::ErrorKind;
use postie::net::TlsConnector;
use postie::proto::imap::{
    BodyOptions, EnvelopeOptions, FlagOp, FolderRole, IdleEvent, IdleOptions, ImapError,
    ImapSession, Login, SessionOptions, TcpImapSession, Trace,
};
use secrecy::SecretString;
use support::seed::{self, to_crlf};
use support::{TestUser, new_user, servers};

fn server(tls: TlsMode, user: &TestUser) -> Server {
    let s = servers();
    Server {
        host: s.host.clone(),
        port: match tls {
            TlsMode::Implicit => s.ports.imaps,
            _ => s.ports.imap,
        },
        tls,
        allow_plaintext: false,
        ca_file: Some(s.ca_file.clone()),
        oauth2: None,
        user: user.login.clone(),
        password_command: None,
        auth: Default::default(),
        oauth2_token_command: None,
    }
}

async fn connect_with(
    tls: TlsMode,
    user: &TestUser,
    password: &str,
    trace: Option<Trace>,
) -> Result<TcpImapSession, ImapError> {
    let server = server(tls, user);
    let connector = TlsConnector::new(server.ca_file.as_deref())
        .unwrap_or_else(|e| panic!("cannot use the harness CA: {e}"));
    let password = SecretString::from(password.to_owned());
    let login = Login {
        user: &user.login,
        password: &password,
        bearer: false,
    };
    ImapSession::connect(
        &server,
        &connector,
        &login,
        SessionOptions {
            trace,
            io_timeout: None,
            ..Default::default()
        },
    )
    .await
}

async fn connect(user: &TestUser) -> TcpImapSession {
    connect_with(TlsMode::Implicit, user, &user.password, None)
        .await
        .unwrap_or_else(|e| panic!("cannot log in as {}: {e}", user.login))
}

/// Message bytes with line ends folded (Dovecot stores LF and serves CRLF).
fn folded(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

#[tokio::test]
async fn login_plain_over_implicit_tls_and_starttls() {
    let user = new_user("imap-login");
    for tls in [TlsMode::Implicit, TlsMode::StartTls] {
        let trace = Trace::new();
        let mut s = connect_with(tls, &user, &user.password, Some(trace.clone()))
            .await
            .unwrap_or_else(|e| panic!("{tls:?}: {e}"));
        let caps = s.capabilities().clone();
        assert!(
            caps.idle && caps.qresync && caps.condstore && caps.uidplus,
            "{caps:?}"
        );
        assert!(caps.r#move && caps.special_use && caps.literal_plus && caps.enable);
        let commands = trace.commands();
        assert!(
            commands.iter().any(|c| c == "AUTHENTICATE PLAIN"),
            "{commands:?}"
        );
        assert!(
            !commands.iter().any(|c| c.contains(&user.password)),
            "{commands:?}"
        );
        if tls == TlsMode::StartTls {
            assert!(commands.iter().any(|c| c == "STARTTLS"), "{commands:?}");
        }
        s.noop().await.unwrap();
        s.logout().await;
    }
}

#[tokio::test]
async fn wrong_password_is_an_auth_error_quickly() {
    let user = new_user("imap-badpw");
    let started = Instant::now();
    let err = connect_with(TlsMode::Implicit, &user, "not-the-password", None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert!(err.to_string().contains(&servers().host), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn folders_have_special_use_roles_and_can_be_managed() {
    let user = new_user("imap-folders");
    let mut s = connect(&user).await;
    let folders = s.list_folders().await.unwrap();
    let role_of = |name: &str| {
        folders
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("no {name} in {folders:?}"))
            .role
    };
    assert_eq!(role_of("INBOX"), Some(FolderRole::Inbox));
    for (name, role) in [
        ("Sent", FolderRole::Sent),
        ("Drafts", FolderRole::Drafts),
        ("Trash", FolderRole::Trash),
        ("Junk", FolderRole::Junk),
        ("Archive", FolderRole::Archive),
    ] {
        assert_eq!(role_of(name), Some(role), "{name}");
    }
    assert!(
        folders
            .iter()
            .all(|f| f.delimiter == Some(servers().separator))
    );

    let name = postie::proto::imap::encode_mailbox_name("Projekte/Entwürfe 2026");
    s.create_folder(&name).await.unwrap();
    let listed = s.list_folders_with_status().await.unwrap();
    let (f, status) = listed.iter().find(|(f, _)| f.name == name).unwrap();
    assert_eq!(f.display_name, "Projekte/Entwürfe 2026");
    let status = status.clone().unwrap();
    assert_eq!(status.messages, 0);
    assert!(status.uid_validity > 0 && status.highest_modseq.is_some());
    let renamed = postie::proto::imap::encode_mailbox_name("Projekte/Alt");
    s.rename_folder(&name, &renamed).await.unwrap();
    assert_eq!(s.status(&renamed).await.unwrap().messages, 0);
    s.delete_folder(&renamed).await.unwrap();
    let err = s.status(&renamed).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
    assert!(s.is_usable(), "a NO must not break the session");
}

#[tokio::test]
async fn envelopes_and_bodies_of_1000_seeded_messages() {
    let user = new_user("imap-fetch");
    let seeded = seed::seed(&user, "INBOX", 1000);
    let mut s = connect(&user).await;
    let sel = s.select("INBOX").await.unwrap();
    assert_eq!(sel.exists, 1000);
    assert!(sel.uid_validity > 0 && sel.uid_next > 1000);

    // Envelopes, newest first, batch by batch.
    let started = Instant::now();
    let mut records = Vec::new();
    let mut first_batch_max = 0;
    {
        let mut env = s
            .fetch_envelopes(1..=u32::MAX, &EnvelopeOptions::default())
            .unwrap();
        while let Some(batch) = env.next_batch().await.unwrap() {
            if records.is_empty() {
                first_batch_max = batch.iter().map(|r| r.uid).max().unwrap();
                let mut uids: Vec<u32> = batch.iter().map(|r| r.uid).collect();
                uids.sort_unstable();
                let newest: Vec<u32> = (sel.uid_next - 200..sel.uid_next).collect();
                assert_eq!(uids, newest, "the first batch is the newest 200");
                assert!(
                    batch.len() <= 200,
                    "first batch is small: {} {sel:?}",
                    batch.len()
                );
            }
            records.extend(batch);
        }
    }
    let env_secs = started.elapsed().as_secs_f64();
    assert_eq!(records.len(), 1000);
    assert_eq!(first_batch_max, sel.uid_next - 1, "newest first");
    let ids: HashSet<Vec<u8>> = records
        .iter()
        .map(|r| r.message_id.clone().unwrap())
        .collect();
    for m in &seeded {
        assert!(
            ids.contains(format!("<{}>", m.message.message_id).as_bytes()),
            "{}",
            m.message.message_id
        );
    }
    let sizes_ok = records
        .iter()
        .all(|r| r.size > 0 && r.internal_date.is_some());
    assert!(sizes_ok);
    let with_parts = records.iter().filter(|r| r.parts.len() > 1).count();
    assert!(with_parts > 0, "some seeded messages are multipart");
    eprintln!(
        "envelopes: 1000 in {env_secs:.3} s = {:.0}/s",
        1000.0 / env_secs
    );

    // A stream dropped half-way leaves the session in step: the owed completions are read
    // before the next command.
    {
        let mut env = s
            .fetch_envelopes(1..=u32::MAX, &EnvelopeOptions::default())
            .unwrap();
        let first = env.next_batch().await.unwrap().unwrap();
        assert!(!first.is_empty());
    }
    assert_eq!(s.status("Drafts").await.unwrap().messages, 0);
    assert_eq!(s.all_uids().await.unwrap().len(), 1000);
    assert!(
        s.take_unsolicited().is_empty(),
        "abandoned records are not reports"
    );

    // Bulk bodies: every byte as seeded.
    let by_id: std::collections::HashMap<Vec<u8>, &seed::Seeded> = seeded
        .iter()
        .map(|m| (format!("<{}>", m.message.message_id).into_bytes(), m))
        .collect();
    let uid_to_id: std::collections::HashMap<u32, Vec<u8>> = records
        .iter()
        .map(|r| (r.uid, r.message_id.clone().unwrap()))
        .collect();
    let started = Instant::now();
    let mut total = 0usize;
    let mut count = 0;
    {
        let mut bodies = s
            .fetch_bodies(1..=u32::MAX, &BodyOptions::default())
            .unwrap();
        while let Some(b) = bodies.next().await.unwrap() {
            total += b.bytes.len();
            count += 1;
            let m = by_id[&uid_to_id[&b.uid]];
            assert_eq!(folded(&b.bytes), m.bytes(), "uid {}", b.uid);
            assert_eq!(b.bytes, m.crlf(), "uid {}: served with CRLF", b.uid);
        }
    }
    let body_secs = started.elapsed().as_secs_f64();
    assert_eq!(count, 1000);
    eprintln!(
        "bodies: 1000 ({:.1} MB) in {body_secs:.3} s = {:.1} MB/s",
        total as f64 / 1e6,
        total as f64 / 1e6 / body_secs
    );

    // One body, one part, one prefix.
    let multi = records.iter().find(|r| r.parts.len() > 1).unwrap();
    let full = s.fetch_body(multi.uid).await.unwrap().unwrap();
    assert_eq!(folded(&full), by_id[&uid_to_id[&multi.uid]].bytes());
    let part = &multi.parts[1];
    let part_bytes = s
        .fetch_part(multi.uid, &part.section)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(part_bytes.len() as u32, part.size, "{part:?}");
    assert!(
        full.windows(part_bytes.len()).any(|w| w == part_bytes),
        "the part is a slice of the message"
    );
    let prefix = s.fetch_prefix(multi.uid, 100).await.unwrap().unwrap();
    assert_eq!(prefix, full[..100]);
    assert_eq!(s.fetch_body(sel.uid_next + 5).await.unwrap(), None);
    // BODY.PEEK never sets \Seen.
    let flags = s.fetch_flags(None).await.unwrap();
    assert_eq!(flags.len(), 1000);
    let seen_before = seeded
        .iter()
        .filter(|m| m.message.flags.contains('S') && !m.message.recent)
        .count();
    assert_eq!(
        flags
            .iter()
            .filter(|f| f.flags.iter().any(|x| x == "\\Seen"))
            .count(),
        seen_before
    );
}

#[tokio::test]
async fn changes_are_visible_from_a_second_session() {
    let user = new_user("imap-changes");
    seed::seed(&user, "INBOX", 10);
    let mut a = connect(&user).await;
    let mut b = connect(&user).await;
    a.select("INBOX").await.unwrap();
    let uids = a.all_uids().await.unwrap();
    assert_eq!(uids.len(), 10);
    let (flag_uid, move_uid, gone_uid) = (uids[0], uids[1], uids[2]);

    a.store_flags(
        &[flag_uid],
        FlagOp::Add,
        &["\\Flagged".into(), "$Work".into()],
    )
    .await
    .unwrap();
    let moved = a
        .move_messages(&[move_uid], "Archive")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(moved.pairs.len(), 1);
    assert_eq!(moved.pairs[0].0, move_uid);
    a.store_flags(&[gone_uid], FlagOp::Add, &["\\Deleted".into()])
        .await
        .unwrap();
    a.expunge_uids(&[gone_uid]).await.unwrap();

    b.select("INBOX").await.unwrap();
    let flags = b.fetch_flags(None).await.unwrap();
    let of = |uid| flags.iter().find(|f| f.uid == uid).map(|f| f.flags.clone());
    let f = of(flag_uid).unwrap();
    assert!(
        f.contains(&"\\Flagged".to_string()) && f.contains(&"$Work".to_string()),
        "{f:?}"
    );
    assert_eq!(of(move_uid), None);
    assert_eq!(of(gone_uid), None);
    let all = b.all_uids().await.unwrap();
    assert_eq!(all.len(), 8, "{all:?}");
    let archive = b.select("Archive").await.unwrap();
    assert_eq!(archive.exists, 1);
    assert_eq!(archive.uid_validity, moved.uid_validity);
    assert_eq!(b.all_uids().await.unwrap(), vec![moved.pairs[0].1]);

    a.store_flags(&[flag_uid], FlagOp::Remove, &["\\Flagged".into()])
        .await
        .unwrap();
    b.select("INBOX").await.unwrap();
    let f = b.fetch_flags(None).await.unwrap();
    assert!(
        !f.iter()
            .find(|x| x.uid == flag_uid)
            .unwrap()
            .flags
            .contains(&"\\Flagged".to_string())
    );
}

#[tokio::test]
async fn append_returns_the_new_uid() {
    let user = new_user("imap-append");
    let mut s = connect(&user).await;
    let message = b"From: a@x.test\r\nTo: b@x.test\r\nSubject: sent copy\r\nMessage-ID: <append-1@x.test>\r\n\r\nHello \xff raw 8-bit\r\n".to_vec();
    let date = chrono::DateTime::parse_from_rfc3339("2026-01-02T03:04:05+01:00").unwrap();
    let uid = s
        .append("Sent", &["\\Seen".into()], Some(date), &message)
        .await
        .unwrap()
        .expect("Dovecot has UIDPLUS");
    let sel = s.select("Sent").await.unwrap();
    assert_eq!(sel.uid_validity, uid.uid_validity);
    assert_eq!(s.fetch_body(uid.uid).await.unwrap().unwrap(), message);
    let mut env = s
        .fetch_envelopes(uid.uid..=uid.uid, &EnvelopeOptions::default())
        .unwrap();
    let rec = env.next().await.unwrap().unwrap();
    assert_eq!(rec.uid, uid.uid);
    assert!(rec.flags.contains(&"\\Seen".to_string()));
    assert_eq!(rec.internal_date, Some(date));
    assert_eq!(rec.subject.as_deref(), Some(&b"sent copy"[..]));
}

#[tokio::test]
async fn qresync_resync_reports_exactly_the_change() {
    let user = new_user("imap-qresync");
    seed::seed(&user, "INBOX", 50);
    let trace = Trace::new();
    let mut a = connect_with(
        TlsMode::Implicit,
        &user,
        &user.password,
        Some(trace.clone()),
    )
    .await
    .unwrap();
    let first = a.select_qresync("INBOX", None).await.unwrap();
    let known = (
        first.selected.uid_validity,
        first.selected.highest_modseq.unwrap(),
    );
    let uids = a.all_uids().await.unwrap();

    // No change: one SELECT, no FETCH.
    a.select_qresync("Drafts", None).await.unwrap();
    trace.clear();
    let same = a.select_qresync("INBOX", Some(known)).await.unwrap();
    assert!(
        same.vanished.is_empty() && same.changed.is_empty(),
        "{same:?}"
    );
    assert!(!trace.contains("FETCH"), "{:?}", trace.commands());
    assert_eq!(trace.commands().len(), 1, "{:?}", trace.commands());

    // Another session flags one message and expunges another.
    let mut b = connect(&user).await;
    b.select("INBOX").await.unwrap();
    b.store_flags(&[uids[4]], FlagOp::Add, &["\\Answered".into()])
        .await
        .unwrap();
    b.store_flags(&[uids[9]], FlagOp::Add, &["\\Deleted".into()])
        .await
        .unwrap();
    b.expunge_uids(&[uids[9]]).await.unwrap();
    b.logout().await;

    a.select_qresync("Drafts", None).await.unwrap();
    let resync = a.select_qresync("INBOX", Some(known)).await.unwrap();
    let vanished: Vec<u32> = resync.vanished.iter().flat_map(|r| r.clone()).collect();
    assert_eq!(vanished, vec![uids[9]]);
    let changed: Vec<u32> = resync.changed.iter().map(|c| c.uid).collect();
    assert_eq!(changed, vec![uids[4]], "{:?}", resync.changed);
    assert!(resync.changed[0].flags.contains(&"\\Answered".to_string()));
    assert!(resync.changed[0].modseq.unwrap() > known.1);
    assert!(resync.selected.highest_modseq.unwrap() > known.1);

    // A stale UIDVALIDITY reports no changes (the caller refetches).
    let stale = a
        .select_qresync("INBOX", Some((known.0 + 1, known.1)))
        .await
        .unwrap();
    assert!(stale.vanished.is_empty() && stale.changed.is_empty());
    assert_eq!(stale.selected.uid_validity, known.0);

    // Without QRESYNC: CHANGEDSINCE lists only the changed message.
    let mut c = connect(&user).await;
    c.select("INBOX").await.unwrap();
    let changed = c.fetch_flags(Some(known.1)).await.unwrap();
    assert_eq!(
        changed.iter().map(|f| f.uid).collect::<Vec<_>>(),
        vec![uids[4]]
    );
}

#[tokio::test]
async fn idle_wakes_when_another_session_appends() {
    let user = new_user("imap-idle");
    seed::seed(&user, "INBOX", 3);
    let mut idler = connect(&user).await;
    let mut other = connect(&user).await;
    let appended = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let at = Instant::now();
        other
            .append("INBOX", &[], None, b"Subject: new\r\n\r\nhi\r\n")
            .await
            .unwrap();
        at
    });
    let event = tokio::time::timeout(
        Duration::from_secs(10),
        idler.idle(
            "INBOX",
            std::future::pending::<()>(),
            &IdleOptions::default(),
        ),
    )
    .await
    .expect("IDLE reported nothing within 10 s")
    .unwrap();
    let woke = Instant::now();
    let at = appended.await.unwrap();
    let IdleEvent::Changed(changes) = event else {
        panic!("{event:?}")
    };
    assert!(
        changes
            .iter()
            .any(|c| matches!(c, postie::proto::imap::Unsolicited::Exists(4))),
        "{changes:?}"
    );
    assert!(
        woke.duration_since(at) < Duration::from_secs(2),
        "woke {:?} after the append",
        woke.duration_since(at)
    );
    // Still usable after IDLE; cancelling returns Stopped and leaves the session usable.
    let stop = tokio::time::sleep(Duration::from_millis(200));
    let event = idler
        .idle("INBOX", stop, &IdleOptions::default())
        .await
        .unwrap();
    assert_eq!(event, IdleEvent::Stopped);
    idler.noop().await.unwrap();
    // A short refresh re-IDLEs without reporting anything.
    let stop = tokio::time::sleep(Duration::from_millis(700));
    let trace_free = idler
        .idle(
            "INBOX",
            stop,
            &IdleOptions {
                refresh: Duration::from_millis(200),
            },
        )
        .await
        .unwrap();
    assert_eq!(trace_free, IdleEvent::Stopped);
}

#[tokio::test]
async fn idle_notices_a_flag_change() {
    let user = new_user("imap-idle2");
    seed::seed(&user, "INBOX", 2);
    let mut idler = connect(&user).await;
    let mut other = connect(&user).await;
    other.select("INBOX").await.unwrap();
    let uid = other.all_uids().await.unwrap()[0];
    let flagger = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        other
            .store_flags(&[uid], FlagOp::Add, &["\\Flagged".into()])
            .await
            .unwrap();
    });
    let event = tokio::time::timeout(
        Duration::from_secs(5),
        idler.idle(
            "INBOX",
            std::future::pending::<()>(),
            &IdleOptions::default(),
        ),
    )
    .await
    .expect("IDLE reported nothing")
    .unwrap();
    flagger.await.unwrap();
    let IdleEvent::Changed(changes) = event else {
        panic!("{event:?}")
    };
    assert!(
        changes.iter().any(|c| matches!(c, postie::proto::imap::Unsolicited::Flags { flags, .. } if flags.contains(&"\\Flagged".to_string()))),
        "{changes:?}"
    );
    let _ = to_crlf; // (kept: helper used by other suites)
}

#[tokio::test]
async fn raw_8bit_and_malformed_mime_do_not_break_the_envelope_fetch() {
    let user = new_user("imap-8bit");
    let mut s = connect(&user).await;
    let messages: Vec<&[u8]> = vec![
        b"From: \xe9mile <e@x.test>\r\nSubject: caf\xe9 raw\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: application/octet-stream; name=\"r\xe9sum\xe9.pdf\"\r\nContent-Disposition: attachment; filename=\"r\xe9sum\xe9.pdf\"\r\n\r\nxx\r\n--b--\r\n",
        b"Subject: utf8 \xc3\xa9\r\nContent-Type: text/plain; charset=\"\xff\xfe\"\r\n\r\nbody\r\n",
        b"Subject: headers only\r\n",
        b"Content-Type: multipart/mixed\r\n\r\nno boundary at all\r\n",
        b"Content-Type: message/rfc822\r\n\r\nSubject: inner\r\nContent-Type: multipart/alternative; boundary=z\r\n\r\n--z\r\n\r\nx\r\n--z--\r\n",
    ];
    for m in &messages {
        s.append("INBOX", &[], None, m).await.unwrap();
    }
    s.select("INBOX").await.unwrap();
    let mut records = Vec::new();
    let mut env = s
        .fetch_envelopes(1..=u32::MAX, &EnvelopeOptions::default())
        .unwrap();
    while let Some(r) = env.next().await.unwrap() {
        records.push(r);
    }
    records.sort_by_key(|r| r.uid);
    assert_eq!(records.len(), messages.len());
    assert_eq!(records[0].parts.len(), 2);
    assert_eq!(
        records[0].parts[1].disposition.as_deref(),
        Some("attachment")
    );
    assert_eq!(records[1].subject.as_deref(), Some("utf8 é".as_bytes()));
    assert_eq!(records[4].parts[0].mime_type, "message/rfc822");
    // The exact bytes are still served as appended.
    assert_eq!(
        s.fetch_body(records[0].uid).await.unwrap().unwrap(),
        messages[0]
    );
}

#[tokio::test]
async fn stripped_starttls_is_refused_and_no_password_crosses_in_clear() {
    use support::proxy::{Protocol, StripTlsProxy};
    let user = new_user("imap-strip");
    let s = servers();
    let proxy = StripTlsProxy::start(s, s.ports.imap, Protocol::Imap).await;
    let mut server = server(TlsMode::StartTls, &user);
    server.host = proxy.host.clone();
    server.port = proxy.port;
    let connector = TlsConnector::new(server.ca_file.as_deref()).unwrap();
    let password = SecretString::from(user.password.clone());
    let login = Login {
        user: &user.login,
        password: &password,
        bearer: false,
    };
    let err = ImapSession::connect(&server, &connector, &login, SessionOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tls, "{err}");
    assert!(
        format!("{err:?}").contains("StartTlsUnavailable"),
        "{err:?}"
    );
    assert!(!proxy.client_sent_contains(user.password.as_bytes()));
    let sent = String::from_utf8_lossy(&proxy.client_sent()).into_owned();
    assert!(
        !sent.contains("AUTHENTICATE") && !sent.contains("LOGIN"),
        "{sent}"
    );
}

/// A session through a fault proxy in front of the IMAPS port.
async fn connect_via(
    proxy: &fault_proxy::FaultProxy,
    user: &TestUser,
    io_timeout: Option<Duration>,
) -> Result<TcpImapSession, ImapError> {
    let mut server = server(TlsMode::Implicit, user);
    server.port = proxy.port();
    let connector = TlsConnector::new(server.ca_file.as_deref())
        .unwrap_or_else(|e| panic!("cannot use the harness CA: {e}"));
    let password = SecretString::from(user.password.clone());
    let login = Login {
        user: &user.login,
        password: &password,
        bearer: false,
    };
    let options = SessionOptions {
        trace: None,
        io_timeout,
        ..Default::default()
    };
    ImapSession::connect(&server, &connector, &login, options).await
}

#[tokio::test]
async fn a_connection_cut_mid_fetch_is_a_network_error_and_a_new_session_resumes() {
    use fault_proxy::{Direction, Fault, FaultProxy};
    let user = new_user("imap-cut");
    seed::seed(&user, "INBOX", 300);
    let s = servers();
    let target = format!("{}:{}", s.host, s.ports.imaps).parse().unwrap();
    let proxy = FaultProxy::start(
        target,
        Fault::Cut {
            dir: Direction::ServerToClient,
            after: 400_000,
        },
    )
    .await
    .unwrap();
    let mut a = connect_via(&proxy, &user, None).await.unwrap();
    a.select("INBOX").await.unwrap();
    let mut got = Vec::new();
    let err = {
        let mut bodies = a
            .fetch_bodies(1..=u32::MAX, &BodyOptions::default())
            .unwrap();
        loop {
            match bodies.next().await {
                Ok(Some(b)) => got.push(b.uid),
                Ok(None) => panic!("the cut did not happen ({} messages)", got.len()),
                Err(e) => break e,
            }
        }
    };
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    assert!(!a.is_usable());
    assert!(matches!(
        a.noop().await.unwrap_err(),
        ImapError::Broken { .. }
    ));
    assert!(!got.is_empty() && got.len() < 300, "{}", got.len());

    // Reconnect and fetch the rest: every UID exactly once overall.
    proxy.set_fault(Fault::None);
    let mut b = connect_via(&proxy, &user, None).await.unwrap();
    b.select("INBOX").await.unwrap();
    let next = got.iter().max().unwrap() + 1;
    let mut bodies = b
        .fetch_bodies(next..=u32::MAX, &BodyOptions::default())
        .unwrap();
    while let Some(body) = bodies.next().await.unwrap() {
        got.push(body.uid);
    }
    let unique: HashSet<u32> = got.iter().copied().collect();
    assert_eq!(unique.len(), 300);
    assert_eq!(got.len(), 300, "no duplicates");
}

#[tokio::test]
async fn a_stalled_server_times_out() {
    use fault_proxy::{Direction, Fault, FaultProxy};
    let user = new_user("imap-stall");
    seed::seed(&user, "INBOX", 300);
    let s = servers();
    let target = format!("{}:{}", s.host, s.ports.imaps).parse().unwrap();
    let proxy = FaultProxy::start(
        target,
        Fault::Stall {
            dir: Direction::ServerToClient,
            after: 400_000,
        },
    )
    .await
    .unwrap();
    let mut a = connect_via(&proxy, &user, Some(Duration::from_millis(700)))
        .await
        .unwrap();
    a.select("INBOX").await.unwrap();
    let started = Instant::now();
    let mut bodies = a
        .fetch_bodies(1..=u32::MAX, &BodyOptions::default())
        .unwrap();
    let err = loop {
        match bodies.next().await {
            Ok(Some(_)) => {}
            Ok(None) => panic!("the stall did not happen"),
            Err(e) => break e,
        }
    };
    assert!(matches!(err, ImapError::Timeout { .. }), "{err}");
    assert_eq!(err.kind(), ErrorKind::Network);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

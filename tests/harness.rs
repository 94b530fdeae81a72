//! Proves the test harness itself: the real servers (private Dovecot + Postfix from
//! `scripts/mailservers`) answer the way every later integration test relies on.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use support::seed::{self, to_crlf};
use support::servers;
use support::wire::{LineConn, Submission, deliver_lmtp, submit, tls_config_with_roots};

#[tokio::test]
async fn imaps_greeting_and_login_with_only_the_harness_ca() {
    let s = servers();
    let user = s.new_user("imaps");
    let mut conn = LineConn::new(s.connect_tls(s.ports.imaps).await);
    let greeting = conn.read_line().await;
    assert!(greeting.starts_with("* OK"), "{greeting}");
    conn.imap_login(&user).await;
    let (list, status) = conn.imap("a", "LIST \"\" \"*\"").await;
    assert!(status.starts_with("OK"), "{status}");
    for (folder, flag) in [
        ("Sent", "\\Sent"),
        ("Drafts", "\\Drafts"),
        ("Trash", "\\Trash"),
        ("Junk", "\\Junk"),
        ("Archive", "\\Archive"),
    ] {
        assert!(
            list.iter()
                .any(|l| l.contains(flag) && l.ends_with(&format!("\"{}\" {folder}", s.separator))),
            "no {folder} with {flag} in {list:?}"
        );
    }
    let (_, status) = conn.imap("b", "LOGOUT").await;
    assert!(status.starts_with("OK"), "{status}");
}

#[tokio::test]
async fn tls_without_the_harness_ca_is_refused() {
    let s = servers();
    // Trusting nothing (as a system store without the harness CA would): the handshake fails.
    let connector = tokio_rustls::TlsConnector::from(tls_config_with_roots(b""));
    let tcp = s.connect(s.ports.imaps).await;
    let err = match connector.connect(s.server_name(), tcp).await {
        Ok(_) => panic!("a TLS client without the harness CA accepted the server"),
        Err(e) => e,
    };
    assert!(
        err.to_string().contains("invalid peer certificate"),
        "{err}"
    );
    // And with the CA but the wrong name, too.
    let config: Arc<rustls::ClientConfig> = s.tls_config();
    let tcp = s.connect(s.ports.imaps).await;
    let wrong = rustls::pki_types::ServerName::try_from("mail.example.com").unwrap();
    assert!(
        tokio_rustls::TlsConnector::from(config)
            .connect(wrong, tcp)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn imap_starttls_upgrade_then_login() {
    let s = servers();
    let user = s.new_user("imap-starttls");
    let mut plain = LineConn::new(s.connect(s.ports.imap).await);
    assert!(plain.read_line().await.starts_with("* OK"));
    let (caps, _) = plain.imap("c", "CAPABILITY").await;
    assert!(caps.iter().any(|l| l.contains("STARTTLS")), "{caps:?}");
    let (_, status) = plain.imap("s", "STARTTLS").await;
    assert!(status.starts_with("OK"), "{status}");
    let mut tls = LineConn::new(s.tls_upgrade(plain.into_inner()).await);
    tls.imap_login(&user).await;
}

#[tokio::test]
async fn pop3_stls_upgrade_then_login() {
    let s = servers();
    let user = s.new_user("pop3-stls");
    let mut plain = LineConn::new(s.connect(s.ports.pop3).await);
    assert!(plain.read_line().await.starts_with("+OK"));
    plain.send("CAPA").await;
    assert!(plain.read_line().await.starts_with("+OK"));
    let mut caps = Vec::new();
    loop {
        let line = plain.read_line().await;
        if line == "." {
            break;
        }
        caps.push(line);
    }
    assert!(caps.iter().any(|c| c == "STLS"), "{caps:?}");
    plain.send("STLS").await;
    assert!(plain.read_line().await.starts_with("+OK"));
    let mut tls = LineConn::new(s.tls_upgrade(plain.into_inner()).await);
    tls.send(&format!("USER {}", user.login)).await;
    assert!(tls.read_line().await.starts_with("+OK"));
    tls.send(&format!("PASS {}", user.password)).await;
    let reply = tls.read_line().await;
    assert!(reply.starts_with("+OK"), "{reply}");
    tls.send("STAT").await;
    assert_eq!(tls.read_line().await, "+OK 0 0");
    tls.send("QUIT").await;
    assert!(tls.read_line().await.starts_with("+OK"));
}

#[tokio::test]
async fn submission_refuses_auth_before_starttls_and_accepts_it_after() {
    let s = servers();
    let user = s.new_user("submit-auth");
    let auth = B64.encode(format!("\0{}\0{}", user.login, user.password));
    let mut plain = LineConn::new(s.connect(s.ports.submission).await);
    assert_eq!(plain.smtp_reply().await.0, 220);
    let (code, ehlo) = plain.smtp("EHLO test").await;
    assert_eq!(code, 250);
    assert!(ehlo.iter().any(|l| l == "STARTTLS"), "{ehlo:?}");
    assert!(
        !ehlo.iter().any(|l| l.starts_with("AUTH")),
        "AUTH offered before TLS: {ehlo:?}"
    );
    let (code, text) = plain.smtp(&format!("AUTH PLAIN {auth}")).await;
    assert_eq!(code, 530, "{text:?}");
    let (code, _) = plain.smtp("STARTTLS").await;
    assert_eq!(code, 220);
    let mut tls = LineConn::new(s.tls_upgrade(plain.into_inner()).await);
    let (code, ehlo) = tls.smtp("EHLO test").await;
    assert_eq!(code, 250);
    let auth_line = ehlo
        .iter()
        .find(|l| l.starts_with("AUTH "))
        .unwrap_or_else(|| panic!("{ehlo:?}"));
    assert!(
        auth_line.contains("PLAIN") && auth_line.contains("LOGIN"),
        "{auth_line}"
    );
    let (code, text) = tls.smtp(&format!("AUTH PLAIN {auth}")).await;
    assert_eq!(code, 235, "{text:?}");
    // Authenticated, but mail for other domains is still not relayed.
    assert_eq!(
        tls.smtp(&format!("MAIL FROM:<{}>", user.email)).await.0,
        250
    );
    let (code, text) = tls.smtp("RCPT TO:<someone@elsewhere.example>").await;
    assert_eq!(code, 554, "{text:?}");
}

#[tokio::test]
async fn submissions_implicit_tls_with_auth_login() {
    let s = servers();
    let user = s.new_user("submit-login");
    let mut tls = LineConn::new(s.connect_tls(s.ports.submissions).await);
    assert_eq!(tls.smtp_reply().await.0, 220);
    assert_eq!(tls.smtp("EHLO test").await.0, 250);
    assert_eq!(tls.smtp("AUTH LOGIN").await.0, 334);
    assert_eq!(tls.smtp(&B64.encode(&user.login)).await.0, 334);
    let (code, text) = tls.smtp(&B64.encode(&user.password)).await;
    assert_eq!(code, 235, "{text:?}");
}

#[tokio::test]
async fn unauthenticated_submission_is_refused() {
    let s = servers();
    let rcpt = s.new_user("unauth-rcpt");
    let mut tls = LineConn::new(s.connect_tls(s.ports.submissions).await);
    assert_eq!(tls.smtp_reply().await.0, 220);
    assert_eq!(tls.smtp("EHLO test").await.0, 250);
    assert_eq!(tls.smtp("MAIL FROM:<x@example.org>").await.0, 250);
    let (code, text) = tls.smtp(&format!("RCPT TO:<{}>", rcpt.email)).await;
    assert_eq!(code, 554, "{text:?}");
}

#[tokio::test]
async fn submitted_message_lands_in_the_recipients_maildir() {
    let s = servers();
    let alice = s.new_user("alice");
    let bob = s.new_user("bob");
    let message = format!(
        "From: Alice <{}>\nTo: Bob <{}>\nSubject: harness delivery\nMessage-ID: <harness-1@example.test>\n\nHello Bob.\n.leading dot\n..two dots\n",
        alice.email, bob.email
    );
    for mode in [Submission::StartTls, Submission::Implicit] {
        submit(
            s,
            mode,
            &alice,
            &alice.email,
            &[&bob.email],
            message.as_bytes(),
        )
        .await
        .unwrap_or_else(|e| panic!("{mode:?}: {e}"));
    }
    let files = bob
        .wait_for_messages("INBOX", 2, Duration::from_secs(30))
        .await;
    for file in files {
        let stored = std::fs::read(&file).unwrap();
        let text = String::from_utf8_lossy(&stored);
        assert!(text.contains("Subject: harness delivery\n"), "{text}");
        // Stored with LF line ends, dot-stuffing undone.
        assert!(
            text.ends_with("\nHello Bob.\n.leading dot\n..two dots\n"),
            "{text}"
        );
        assert!(!stored.contains(&b'\r'));
    }
}

#[tokio::test]
async fn lmtp_delivery_helper_delivers() {
    let s = servers();
    let carol = s.new_user("carol");
    deliver_lmtp(s, &carol.email, b"Subject: via lmtp\n\nbody\n")
        .await
        .unwrap();
    let files = carol
        .wait_for_messages("INBOX", 1, Duration::from_secs(10))
        .await;
    assert!(
        std::fs::read_to_string(&files[0])
            .unwrap()
            .contains("Subject: via lmtp\n")
    );
}

#[tokio::test]
async fn wrong_password_is_rejected_quickly() {
    let s = servers();
    let user = s.new_user("wrongpw");
    // Several failures in a row from 127.0.0.1: neither Dovecot's auth_failure_delay (2 s by
    // default) nor its per-IP penalty (2, 4, 8, 15 s) may slow the next one down. What is left
    // is Dovecot 2.3's 500 ms failure queue check.
    // Two rounds, IMAP and SMTP at once in each: the second round would pay the penalty for
    // the first one's failures if it were on.
    for round in 0..2 {
        let imap = async {
            let mut conn = LineConn::new(s.connect_tls(s.ports.imaps).await);
            conn.read_line().await;
            let started = Instant::now();
            let (_, status) = conn
                .imap("a", &format!("LOGIN {} not-{}", user.login, user.password))
                .await;
            assert!(status.starts_with("NO"), "{status}");
            started.elapsed()
        };
        let smtp = async {
            let mut smtp = LineConn::new(s.connect_tls(s.ports.submissions).await);
            smtp.smtp_reply().await;
            smtp.smtp("EHLO test").await;
            let started = Instant::now();
            let bad = B64.encode(format!("\0{}\0wrong", user.login));
            let (code, _) = smtp.smtp(&format!("AUTH PLAIN {bad}")).await;
            assert_eq!(code, 535);
            started.elapsed()
        };
        let (imap_took, smtp_took) = tokio::join!(imap, smtp);
        for (what, took) in [("IMAP", imap_took), ("SMTP", smtp_took)] {
            assert!(
                took < Duration::from_millis(1000),
                "{what} failure in round {round} took {took:?}"
            );
        }
    }
    // The right password still works right after.
    let mut conn = s.imaps_session(&user).await;
    let (_, status) = conn.imap("o", "LOGOUT").await;
    assert!(status.starts_with("OK"), "{status}");
}

#[tokio::test]
async fn seeding_1000_messages_shows_1000_exists_with_exact_bytes() {
    let s = servers();
    let user = s.new_user("seed1000");
    let started = Instant::now();
    let seeded = support::seed(&user, "INBOX", 1000);
    eprintln!(
        "seeded 1000 messages in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(seeded.len(), 1000);

    let mut conn = s.imaps_session(&user).await;
    let started = Instant::now();
    let (untagged, status) = conn.imap("s", "SELECT INBOX").await;
    eprintln!(
        "SELECT of 1000 fresh messages took {:.2} s",
        started.elapsed().as_secs_f64()
    );
    assert!(status.starts_with("OK"), "{status}");
    assert!(
        untagged.iter().any(|l| l == "* 1000 EXISTS"),
        "{untagged:?}"
    );
    // Messages are served in the order they were generated, byte for byte (CRLF).
    for seq in [1, 2, 500, 999, 1000] {
        let body = conn.imap_fetch_body(seq).await;
        assert!(
            body == seeded[seq - 1].crlf(),
            "message {seq} differs from what was seeded"
        );
    }
    // The sizes in the file names are what Dovecot reports.
    let (sizes, _) = conn.imap("z", "FETCH 1:1000 RFC822.SIZE").await;
    assert_eq!(sizes.len(), 1000);
    for (i, line) in sizes.iter().enumerate() {
        assert_eq!(
            line,
            &format!("* {} FETCH (RFC822.SIZE {})", i + 1, seeded[i].crlf().len())
        );
    }
    // Seen flags come from the file names; the last tenth is unseen in new/.
    let (unseen, _) = conn.imap("u", "SEARCH UNSEEN").await;
    let unseen: Vec<usize> = unseen[0]
        .split(' ')
        .skip(2)
        .map(|n| n.parse().unwrap())
        .collect();
    let expected: Vec<usize> = (1..=1000)
        .filter(|&i| !seeded[i - 1].message.flags.contains('S'))
        .collect();
    assert_eq!(unseen, expected);
}

#[tokio::test]
async fn pop3_list_and_retr_match_seeded_messages() {
    let s = servers();
    let user = s.new_user("seedpop");
    let seeded = support::seed(&user, "INBOX", 40);
    let mut conn = s.pop3s_session(&user).await;
    conn.send("LIST").await;
    assert!(conn.read_line().await.starts_with("+OK"));
    for (i, m) in seeded.iter().enumerate() {
        assert_eq!(
            conn.read_line().await,
            format!("{} {}", i + 1, m.crlf().len())
        );
    }
    assert_eq!(conn.read_line().await, ".");
    for n in [1, 17, 40] {
        conn.send(&format!("RETR {n}")).await;
        assert!(conn.read_line().await.starts_with("+OK"));
        let mut got = Vec::new();
        loop {
            let line = conn.read_line_bytes().await;
            if line == b"." {
                break;
            }
            let line = line
                .strip_prefix(b".")
                .filter(|_| line.starts_with(b".."))
                .unwrap_or(&line);
            got.extend_from_slice(line);
            got.extend_from_slice(b"\r\n");
        }
        assert!(
            got == seeded[n - 1].crlf(),
            "RETR {n} differs from what was seeded"
        );
    }
}

#[tokio::test]
async fn seeding_other_folders_is_visible_over_imap() {
    let s = servers();
    let user = s.new_user("seedfolders");
    support::seed(&user, "Archive", 25);
    support::seed(&user, "Lists/rust", 7);
    let mut conn = s.imaps_session(&user).await;
    let (untagged, _) = conn.imap("a", "STATUS Archive (MESSAGES)").await;
    assert_eq!(untagged, vec!["* STATUS Archive (MESSAGES 25)"]);
    let (untagged, _) = conn.imap("b", "STATUS Lists/rust (MESSAGES)").await;
    assert_eq!(untagged, vec!["* STATUS Lists/rust (MESSAGES 7)"]);
}

#[tokio::test]
async fn seeding_10000_messages_takes_seconds() {
    let s = servers();
    let user = s.new_user("seed10k");
    let started = Instant::now();
    let seeded = support::seed(&user, "INBOX", 10_000);
    let seed_time = started.elapsed();
    let bytes: usize = seeded.iter().map(|m| m.bytes().len()).sum();
    let mut conn = s.imaps_session(&user).await;
    let started = Instant::now();
    let (untagged, _) = conn.imap("s", "SELECT INBOX").await;
    let select_time = started.elapsed();
    assert!(
        untagged.iter().any(|l| l == "* 10000 EXISTS"),
        "{untagged:?}"
    );
    eprintln!(
        "seeded 10,000 messages ({:.1} MB) in {:.2} s; first SELECT {:.2} s",
        bytes as f64 / 1e6,
        seed_time.as_secs_f64(),
        select_time.as_secs_f64()
    );
    // Generous bound for a loaded 2-core machine; typical is a few seconds.
    assert!(
        seed_time < Duration::from_secs(60),
        "seeding took {seed_time:?}"
    );
}

#[test]
fn generated_messages_are_realistic_and_deterministic() {
    let a = seed::generate(7, "user@example.test", 400);
    let b = seed::generate(7, "user@example.test", 400);
    assert!(a.iter().zip(&b).all(|(x, y)| x.bytes == y.bytes));
    let parser = mail_parser::MessageParser::default();
    let (mut replies, mut attachments, mut alternatives, mut encoded, mut dot_lines) =
        (0, 0, 0, 0, 0);
    for m in &a {
        assert!(!m.bytes.contains(&b'\r'));
        let parsed = parser.parse(&m.bytes[..]).expect("parses");
        assert_eq!(parsed.subject(), Some(m.subject.as_str()));
        assert_eq!(parsed.message_id(), Some(m.message_id.as_str()));
        let text = String::from_utf8_lossy(&m.bytes);
        replies += usize::from(parsed.in_reply_to().as_text().is_some());
        attachments += usize::from(parsed.attachment_count() > 0);
        alternatives += usize::from(text.contains("multipart/alternative"));
        encoded += usize::from(text.contains("Subject: =?UTF-8?"));
        dot_lines += usize::from(
            text.contains("\n.") && !text.contains("Content-Transfer-Encoding: quoted-printable"),
        );
    }
    for (what, n) in [
        ("replies", replies),
        ("with attachments", attachments),
        ("multipart/alternative", alternatives),
        ("RFC 2047 subjects", encoded),
        ("lines starting with a dot", dot_lines),
    ] {
        assert!(n >= 20, "only {n} of 400 messages {what}");
    }
    let crlf = to_crlf(b"a\nb\n");
    assert_eq!(crlf, b"a\r\nb\r\n");
}

#[tokio::test]
async fn account_toml_points_at_the_servers() {
    use support::config::{Incoming, Tls};
    let s = servers();
    let user = s.new_user("config");
    let toml_text = user.account_toml("test", Incoming::Pop3, Tls::StartTls);
    let value: toml::Table = toml_text.parse().unwrap();
    let incoming = &value["accounts"]["test"]["incoming"];
    assert_eq!(incoming["port"].as_integer(), Some(i64::from(s.ports.pop3)));
    assert_eq!(incoming["tls"].as_str(), Some("starttls"));
    let outgoing = &value["accounts"]["test"]["outgoing"];
    assert_eq!(
        outgoing["port"].as_integer(),
        Some(i64::from(s.ports.submission))
    );
    // The password command prints the password.
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(incoming["password_command"].as_str().unwrap())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim_end(),
        user.password
    );
}

#[tokio::test]
async fn strip_tls_proxy_hides_starttls_and_records_the_client() {
    use support::proxy::{Protocol, StripTlsProxy};
    let s = servers();
    let user = s.new_user("proxy");

    let imap = StripTlsProxy::start(s, s.ports.imap, Protocol::Imap).await;
    let mut conn = LineConn::new(s.connect(imap.port).await);
    let greeting = conn.read_line().await;
    assert!(
        greeting.starts_with("* OK") && !greeting.contains("STARTTLS"),
        "{greeting}"
    );
    let (caps, _) = conn.imap("c", "CAPABILITY").await;
    assert!(caps.iter().all(|l| !l.contains("STARTTLS")), "{caps:?}");
    conn.send("n NOOP").await;
    assert!(conn.read_line().await.starts_with("n OK"));
    assert!(imap.client_sent_contains(b"n NOOP\r\n"));
    assert!(!imap.client_sent_contains(user.password.as_bytes()));

    let pop3 = StripTlsProxy::start(s, s.ports.pop3, Protocol::Pop3).await;
    let mut conn = LineConn::new(s.connect(pop3.port).await);
    conn.read_line().await;
    conn.send("CAPA").await;
    let mut caps = Vec::new();
    loop {
        let line = conn.read_line().await;
        if line == "." {
            break;
        }
        caps.push(line);
    }
    assert!(caps.iter().all(|l| l != "STLS"), "{caps:?}");

    let smtp = StripTlsProxy::start(s, s.ports.submission, Protocol::Smtp).await;
    let mut conn = LineConn::new(s.connect(smtp.port).await);
    assert_eq!(conn.smtp_reply().await.0, 220);
    let (code, ehlo) = conn.smtp("EHLO test").await;
    assert_eq!(code, 250);
    assert!(ehlo.iter().all(|l| l != "STARTTLS"), "{ehlo:?}");

    // A client that sends STARTTLS anyway gets a working TLS session through the proxy.
    let (code, _) = conn.smtp("STARTTLS").await;
    assert_eq!(code, 220);
    let mut tls = LineConn::new(s.tls_upgrade(conn.into_inner()).await);
    assert_eq!(tls.smtp("EHLO test").await.0, 250);
}

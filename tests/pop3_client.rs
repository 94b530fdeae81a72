//! postie's POP3 client against the real Dovecot of the test harness: implicit TLS and STLS,
//! byte-identical RETR (plain, dot-stuffed, 1,000 pipelined), DELE semantics, and faults
//! injected by the proxy of tests/support (cuts, stalls, a STLS-stripping attacker).

mod support;

#[path = "support/fault_proxy.rs"]
mod fault_proxy;

use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::chown;
use std::time::{Duration, Instant};

use fault_proxy::{Direction, Fault, FaultProxy};
use postie::error::ErrorKind;
use postie::proto::pop3::{ClientOptions, Pop3Client, Pop3Error, Transport};
use secrecy::SecretString;
use support::seed::to_crlf;
use support::{Seeded, TestUser, new_user, seed, servers};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

fn opts() -> ClientOptions {
    ClientOptions {
        read_timeout: Duration::from_secs(20),
        ..ClientOptions::default()
    }
}

fn password(user: &TestUser) -> SecretString {
    SecretString::from(user.password.clone())
}

/// A logged-in session over implicit TLS (port 995's equivalent).
async fn login_tls(user: &TestUser) -> Pop3Client<TlsStream<TcpStream>> {
    let s = servers();
    let tls = s.connect_tls(s.ports.pop3s).await;
    let mut client = Pop3Client::connect(tls, Transport::Tls, opts())
        .await
        .expect("greeting");
    client
        .login(&user.login, &password(user), false)
        .await
        .expect("login");
    client
}

/// The value of the Message-ID header, to match a retrieved message with its seed.
fn message_id(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("message-id")
                .then(|| value.trim().trim_matches(['<', '>']).to_owned())
        })
        .unwrap_or_else(|| panic!("no Message-ID in {:?}", &text[..text.len().min(200)]))
}

fn by_id(seeded: &[Seeded]) -> HashMap<String, Vec<u8>> {
    seeded
        .iter()
        .map(|m| (m.message.message_id.clone(), m.crlf()))
        .collect()
}

/// Dovecot stores LF and serves CRLF: compare with line ends folded, and also require that
/// every line end we received is CRLF (so nothing was lost in our own handling).
fn assert_same_message(got: &[u8], want_crlf: &[u8]) {
    let fold = |b: &[u8]| String::from_utf8_lossy(b).replace("\r\n", "\n");
    assert_eq!(fold(got), fold(want_crlf));
    assert_eq!(
        got, want_crlf,
        "served with CRLF line ends, final CRLF kept"
    );
}

#[tokio::test]
async fn implicit_tls_login_stat_list_uidl_retr_byte_identical() {
    let user = new_user("pop3-tls");
    let seeded = seed(&user, "INBOX", 25);
    let want = by_id(&seeded);
    let mut client = login_tls(&user).await;
    assert!(client.is_secure());
    let stat = client.stat().await.expect("STAT");
    assert_eq!(stat.count, 25);
    let total: usize = want.values().map(Vec::len).sum();
    assert_eq!(stat.size, total as u64, "STAT counts CRLF octets");
    let list = client.list().await.expect("LIST");
    let uidl = client.uidl().await.expect("UIDL");
    assert_eq!((list.len(), uidl.len()), (25, 25));
    let mut uids: Vec<&str> = uidl.iter().map(|u| u.uid.as_str()).collect();
    uids.sort_unstable();
    uids.dedup();
    assert_eq!(uids.len(), 25, "UIDLs are unique");
    for entry in &list {
        let data = client.retr(entry.number).await.expect("RETR");
        assert_eq!(
            data.len() as u64,
            entry.size,
            "LIST size matches RETR bytes"
        );
        assert_same_message(&data, &want[&message_id(&data)]);
    }
    let top = client.top(1, 0).await.expect("TOP");
    assert!(
        top.ends_with(b"\r\n\r\n"),
        "TOP n 0 is the header and the blank line"
    );
    assert_eq!(client.uidl_one(3).await.expect("UIDL 3").uid, uidl[2].uid);
    client.noop().await.expect("NOOP");
    client.quit().await.expect("QUIT");
}

#[tokio::test]
async fn stls_on_the_plain_port() {
    let user = new_user("pop3-stls");
    let seeded = seed(&user, "INBOX", 3);
    let s = servers();
    let tcp = s.connect(s.ports.pop3).await;
    let client = Pop3Client::connect(tcp, Transport::Plain, opts())
        .await
        .expect("greeting");
    assert!(!client.is_secure());
    assert!(client.capabilities().expect("CAPA").has("STLS"));
    let raw = client.stls().await.expect("STLS");
    let tls = s.tls_upgrade(raw).await;
    let mut client = Pop3Client::after_stls(tls, opts())
        .await
        .expect("CAPA after STLS");
    assert!(client.is_secure());
    assert!(
        !client.capabilities().expect("CAPA").has("STLS"),
        "STLS is gone after TLS"
    );
    // So login goes by AUTH PLAIN (RFC 5034), not USER/PASS.
    assert!(client.capabilities().expect("CAPA").has_sasl("PLAIN"));
    client
        .login(&user.login, &password(&user), false)
        .await
        .expect("login");
    let data = client.retr(1).await.expect("RETR");
    assert_same_message(&data, &by_id(&seeded)[&message_id(&data)]);
    client.quit().await.expect("QUIT");
}

/// The way the engine does it: postie's own net layer, one stream type across the upgrade.
#[tokio::test]
async fn stls_through_postie_net_with_one_stream_type() {
    use postie::net::{MaybeTlsStream, TlsConnector, connect_tcp};
    let user = new_user("pop3-net");
    seed(&user, "INBOX", 1);
    let s = servers();
    let connector = TlsConnector::new(Some(&s.ca_file)).expect("connector");
    let tcp = connect_tcp(&s.host, s.ports.pop3).await.expect("tcp");
    let stream = MaybeTlsStream::Plain(tcp);
    let transport = if stream.is_tls() {
        Transport::Tls
    } else {
        Transport::Plain
    };
    let client = Pop3Client::connect(stream, transport, opts())
        .await
        .expect("greeting");
    let MaybeTlsStream::Plain(tcp) = client.stls().await.expect("STLS") else {
        panic!("the stream was plain")
    };
    let tls = connector
        .upgrade(tcp, &s.tls_name, s.ports.pop3)
        .await
        .expect("handshake");
    let stream = MaybeTlsStream::Tls(Box::new(tls));
    let mut client: Pop3Client<MaybeTlsStream<TcpStream>> =
        Pop3Client::after_stls(stream, opts()).await.expect("CAPA");
    client
        .login(&user.login, &password(&user), false)
        .await
        .expect("login");
    assert_eq!(client.stat().await.expect("STAT").count, 1);
    client.quit().await.expect("QUIT");
}

#[tokio::test]
async fn no_password_on_a_plain_connection_without_consent() {
    let user = new_user("pop3-plain");
    let s = servers();
    let tcp = s.connect(s.ports.pop3).await;
    let mut client = Pop3Client::connect(tcp, Transport::Plain, opts())
        .await
        .expect("greeting");
    let err = client
        .login(&user.login, &password(&user), false)
        .await
        .unwrap_err();
    assert!(matches!(err, Pop3Error::PlaintextRefused), "{err:?}");
    // With explicit consent it works (Dovecot trusts loopback).
    client
        .login(&user.login, &password(&user), true)
        .await
        .expect("plaintext login");
    assert_eq!(client.stat().await.expect("STAT").count, 0);
}

#[tokio::test]
async fn a_stls_stripping_proxy_never_gets_the_password() {
    let user = new_user("pop3-strip");
    let s = servers();
    let target = format!("{}:{}", s.host, s.ports.pop3)
        .parse()
        .expect("address");
    let proxy = FaultProxy::start(target, Fault::StripCapability("STLS".into()))
        .await
        .expect("proxy");
    let tcp = TcpStream::connect(proxy.addr()).await.expect("connect");
    let client = Pop3Client::connect(tcp, Transport::Plain, opts())
        .await
        .expect("greeting");
    assert!(
        !client.capabilities().expect("CAPA").has("STLS"),
        "the proxy stripped it"
    );
    let err = client.stls().await.unwrap_err();
    assert!(matches!(err, Pop3Error::StlsNotOffered), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Tls);
    // A caller that then tries to log in anyway is refused locally.
    let tcp = TcpStream::connect(proxy.addr()).await.expect("connect");
    let mut client = Pop3Client::connect(tcp, Transport::Plain, opts())
        .await
        .expect("greeting");
    assert!(matches!(
        client.login(&user.login, &password(&user), false).await,
        Err(Pop3Error::PlaintextRefused)
    ));
    drop(client);
    assert_eq!(proxy.faults_fired(), 2);
    assert_eq!(
        proxy.bytes_to_server(),
        2 * "CAPA\r\n".len(),
        "only CAPA ever went out"
    );
}

#[tokio::test]
async fn wrong_password_is_an_auth_error() {
    let user = new_user("pop3-badpw");
    let s = servers();
    let tls = s.connect_tls(s.ports.pop3s).await;
    let mut client = Pop3Client::connect(tls, Transport::Tls, opts())
        .await
        .expect("greeting");
    let wrong = SecretString::from("not-the-password".to_owned());
    let err = client.login(&user.login, &wrong, false).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert!(!err.to_string().contains("not-the-password"));
}

/// Writes one message into the user's INBOX (new/) as Dovecot expects: LF line ends, owned by
/// the mail user, exact S= and W= sizes.
fn deliver_file(user: &TestUser, name: &str, lf_bytes: &[u8]) {
    let s = servers();
    let size = lf_bytes.len();
    let vsize = size + lf_bytes.iter().filter(|&&b| b == b'\n').count();
    let base = format!("1700000000.{name}.postie-test,S={size},W={vsize}");
    let tmp = user.maildir.join("tmp").join(&base);
    fs::write(&tmp, lf_bytes).expect("write message");
    chown(&tmp, Some(s.mail_uid), Some(s.mail_gid)).expect("chown");
    fs::rename(&tmp, user.maildir.join("new").join(&base)).expect("rename");
}

#[tokio::test]
async fn lines_starting_with_dots_round_trip() {
    let user = new_user("pop3-dots");
    let message: &[u8] = b"From: a@example.test\nTo: b@example.test\nSubject: dots\n\
        Message-ID: <dots@example.test>\n\n.\n..\n...\n.leading\n..double\n. space\n\
        middle . dot\n.\n\xe9\xff 8-bit\nlast line without dot\n";
    deliver_file(&user, "dots", message);
    let mut client = login_tls(&user).await;
    let data = client.retr(1).await.expect("RETR");
    assert_same_message(&data, &to_crlf(message));
    let top = client.top(1, 3).await.expect("TOP");
    assert!(
        top.ends_with(b"\r\n\r\n.\r\n..\r\n...\r\n"),
        "{:?}",
        String::from_utf8_lossy(&top)
    );
    client.quit().await.expect("QUIT");
}

#[tokio::test]
async fn pipelined_retr_of_a_thousand_messages() {
    let user = new_user("pop3-many");
    let seeded = seed(&user, "INBOX", 1000);
    let want = by_id(&seeded);
    let mut client = login_tls(&user).await;
    assert!(client.supports_pipelining(), "Dovecot offers PIPELINING");
    let started = Instant::now();
    let mut run = client.retrieve(1..=1000);
    let (mut count, mut bytes) = (0, 0);
    let mut seen = std::collections::HashSet::new();
    while let Some(message) = run.next().await.expect("RETR") {
        count += 1;
        assert_eq!(message.number, count);
        bytes += message.data.len();
        let id = message_id(&message.data);
        assert_same_message(&message.data, &want[&id]);
        assert!(seen.insert(id), "no message twice");
    }
    let elapsed = started.elapsed();
    eprintln!(
        "pipelined RETR: 1000 messages, {bytes} bytes in {:.3} s ({:.1} MB/s)",
        elapsed.as_secs_f64(),
        bytes as f64 / elapsed.as_secs_f64() / 1e6
    );
    assert_eq!(count, 1000);
    drop(run);
    client.quit().await.expect("QUIT");
}

async fn uids(user: &TestUser) -> Vec<String> {
    let mut client = login_tls(user).await;
    let uids = client
        .uidl()
        .await
        .expect("UIDL")
        .into_iter()
        .map(|u| u.uid)
        .collect();
    client.quit().await.expect("QUIT");
    uids
}

#[tokio::test]
async fn dele_then_quit_deletes() {
    let user = new_user("pop3-dele");
    seed(&user, "INBOX", 5);
    let before = uids(&user).await;
    let mut client = login_tls(&user).await;
    client.dele(1).await.expect("DELE 1");
    client.dele(2).await.expect("DELE 2");
    // Already marked: the server refuses, the session goes on.
    let err = client.dele(1).await.unwrap_err();
    assert!(matches!(err, Pop3Error::Server { .. }), "{err:?}");
    client.quit().await.expect("QUIT");
    assert_eq!(uids(&user).await, before[2..].to_vec());
}

#[tokio::test]
async fn dele_then_rset_or_a_dropped_connection_deletes_nothing() {
    let user = new_user("pop3-drop");
    seed(&user, "INBOX", 5);
    let before = uids(&user).await;
    let mut client = login_tls(&user).await;
    for n in 1..=5 {
        client.dele(n).await.expect("DELE");
    }
    drop(client); // no QUIT: no UPDATE state
    let mut client = login_tls(&user).await;
    client.dele(3).await.expect("DELE");
    client.rset().await.expect("RSET");
    client.quit().await.expect("QUIT");
    // Dovecot ends the dropped session asynchronously; the mailbox must be intact anyway.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(uids(&user).await, before);
}

/// Bytes the server sends for greeting, CAPA and login over the plain port, measured through
/// a faithful proxy (they do not depend on the user).
async fn bytes_before_first_command(proxy: &FaultProxy, user: &TestUser) -> usize {
    let tcp = TcpStream::connect(proxy.addr()).await.expect("connect");
    let mut client = Pop3Client::connect(tcp, Transport::Plain, opts())
        .await
        .expect("greeting");
    client
        .login(&user.login, &password(user), true)
        .await
        .expect("login");
    let n = proxy.bytes_to_client();
    client.quit().await.expect("QUIT");
    n
}

#[tokio::test]
async fn a_connection_cut_mid_retr_is_an_error_not_a_short_message() {
    let user = new_user("pop3-cut");
    seed(&user, "INBOX", 3);
    let s = servers();
    let target = format!("{}:{}", s.host, s.ports.pop3)
        .parse()
        .expect("address");
    let proxy = FaultProxy::start(target, Fault::None).await.expect("proxy");
    let before = bytes_before_first_command(&proxy, &user).await;
    for fault in [
        Fault::TruncateMidLine {
            after: before + 300,
        },
        Fault::Cut {
            dir: Direction::ServerToClient,
            after: before + 300,
        },
    ] {
        proxy.set_fault(fault.clone());
        let tcp = TcpStream::connect(proxy.addr()).await.expect("connect");
        let mut client = Pop3Client::connect(tcp, Transport::Plain, opts())
            .await
            .expect("greeting");
        client
            .login(&user.login, &password(&user), true)
            .await
            .expect("login");
        let err = client.retr(1).await.unwrap_err();
        assert!(matches!(err, Pop3Error::Closed), "{fault:?}: {err:?}");
        assert!(err.kind().is_retryable());
        assert!(matches!(client.noop().await, Err(Pop3Error::Broken)));
    }
    // The retry through a healthy path gets the whole message.
    proxy.set_fault(Fault::None);
    let tcp = TcpStream::connect(proxy.addr()).await.expect("connect");
    let mut client = Pop3Client::connect(tcp, Transport::Plain, opts())
        .await
        .expect("greeting");
    client
        .login(&user.login, &password(&user), true)
        .await
        .expect("login");
    assert!(client.retr(1).await.expect("RETR").len() > 300);
}

#[tokio::test]
async fn a_stalled_connection_times_out() {
    let user = new_user("pop3-stall");
    seed(&user, "INBOX", 2);
    let s = servers();
    let target = format!("{}:{}", s.host, s.ports.pop3)
        .parse()
        .expect("address");
    let proxy = FaultProxy::start(target, Fault::None).await.expect("proxy");
    let before = bytes_before_first_command(&proxy, &user).await;
    proxy.set_fault(Fault::Stall {
        dir: Direction::ServerToClient,
        after: before + 100,
    });
    let quick = ClientOptions {
        read_timeout: Duration::from_millis(500),
        ..opts()
    };
    let tcp = TcpStream::connect(proxy.addr()).await.expect("connect");
    let mut client = Pop3Client::connect(tcp, Transport::Plain, quick)
        .await
        .expect("greeting");
    client
        .login(&user.login, &password(&user), true)
        .await
        .expect("login");
    let started = Instant::now();
    let mut run = client.retrieve([1, 2]);
    let err = run.next().await.unwrap_err();
    assert!(matches!(err, Pop3Error::Timeout(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

//! Pipelined retrieval ([`Retrieval`]) against the scripted fake server.

use super::fake_server::*;
use super::*;

fn retr_reply(n: u32) -> Vec<u8> {
    format!("+OK\r\nSubject: {n}\r\n\r\n..{n}\r\n.\r\n").into_bytes()
}

#[tokio::test]
async fn pipelined_retrieval_keeps_a_window_in_flight() {
    let caps = b"+OK\r\nUIDL\r\nPIPELINING\r\n.\r\n";
    let (io, server) = serve(script(vec![
        opening(caps),
        // Window 4: four RETRs before any reply...
        vec![
            expect("RETR 1"),
            expect("RETR 2"),
            expect("RETR 3"),
            expect("RETR 4"),
        ],
        vec![send(&retr_reply(1)), send(&retr_reply(2))],
        // ...topped up once half the window is consumed.
        vec![expect("RETR 5"), expect("RETR 6")],
        (3..=6).map(|n| send(&retr_reply(n))).collect(),
    ]));
    let mut c = Pop3Client::connect(
        io,
        Transport::Tls,
        ClientOptions {
            pipeline_window: 4,
            ..opts()
        },
    )
    .await
    .unwrap();
    let mut run = c.retrieve(1..=6);
    let mut got = Vec::new();
    while let Some(m) = run.next().await.unwrap() {
        assert_eq!(
            m.data,
            format!("Subject: {0}\r\n\r\n.{0}\r\n", m.number).into_bytes()
        );
        got.push(m.number);
    }
    assert_eq!(run.remaining(), 0);
    assert_eq!(got, vec![1, 2, 3, 4, 5, 6]);
    server.await.unwrap();
}

#[tokio::test]
async fn retrieval_survives_an_err_for_one_message() {
    let caps = b"+OK\r\nPIPELINING\r\n.\r\n";
    let (io, _server) = serve(script(vec![
        opening(caps),
        vec![expect("RETR 1"), expect("RETR 2"), expect("RETR 3")],
        vec![
            send(&retr_reply(1)),
            send(b"-ERR no such message\r\n"),
            send(&retr_reply(3)),
        ],
    ]));
    let mut c = Pop3Client::connect(io, Transport::Tls, opts())
        .await
        .unwrap();
    let mut run = c.retrieve([1, 2, 3]);
    assert_eq!(run.next().await.unwrap().unwrap().number, 1);
    let err = run.next().await.unwrap_err();
    assert!(matches!(&err, Pop3Error::Server { command, .. } if command == "RETR 2"));
    assert_eq!(run.next().await.unwrap().unwrap().number, 3);
    assert!(run.next().await.unwrap().is_none());
}

#[tokio::test]
async fn dropping_a_retrieval_early_discards_its_replies() {
    let caps = b"+OK\r\nPIPELINING\r\n.\r\n";
    let (io, server) = serve(script(vec![
        opening(caps),
        vec![expect("RETR 1"), expect("RETR 2"), expect("RETR 3")],
        vec![
            send(&retr_reply(1)),
            send(&retr_reply(2)),
            send(b"-ERR gone\r\n"),
        ],
        vec![expect("NOOP"), send(b"+OK\r\n")],
    ]));
    let mut c = Pop3Client::connect(io, Transport::Tls, opts())
        .await
        .unwrap();
    {
        let mut run = c.retrieve([1, 2, 3]);
        assert_eq!(run.next().await.unwrap().unwrap().number, 1);
    }
    c.noop().await.unwrap();
    server.await.unwrap();
}

#[tokio::test]
async fn retrieval_cut_mid_message_is_an_error() {
    let caps = b"+OK\r\nPIPELINING\r\n.\r\n";
    let (io, _server) = serve(script(vec![
        opening(caps),
        vec![expect("RETR 1"), expect("RETR 2")],
        vec![
            send(&retr_reply(1)),
            send(b"+OK\r\nSubject: 2\r\n\r\ntrunc"),
        ],
    ]));
    let mut c = Pop3Client::connect(io, Transport::Tls, opts())
        .await
        .unwrap();
    let mut run = c.retrieve([1, 2]);
    assert!(run.next().await.unwrap().is_some());
    assert!(matches!(run.next().await, Err(Pop3Error::Closed)));
    assert!(matches!(run.next().await, Err(Pop3Error::Broken)));
}

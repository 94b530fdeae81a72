//! The pace limits over an in-memory duplex, with small limits so each case takes a second.

use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::*;

fn small() -> PaceLimits {
    PaceLimits {
        min_rate: 100,
        window: Duration::from_millis(1000),
        base_deadline: Duration::from_secs(3),
    }
}

#[tokio::test]
async fn a_trickle_fails_after_one_window() {
    let (a, mut server) = tokio::io::duplex(64);
    let mut paced = Paced::new(a, small());
    paced.control().expect(0);
    let trickle = tokio::spawn(async move {
        for _ in 0..100 {
            if server.write_all(b"x").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let started = std::time::Instant::now();
    let mut sink = Vec::new();
    let err = paced.read_to_end(&mut sink).await.unwrap_err();
    assert_eq!(
        pace_error(&err),
        Some(&PaceError::TooSlow {
            min_rate: 100,
            window: Duration::from_millis(1000)
        }),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(err.to_string().contains("less than 100 B/s"), "{err}");
    trickle.abort();
}

#[tokio::test]
async fn a_fast_endless_reply_meets_the_deadline() {
    let (a, mut server) = tokio::io::duplex(4096);
    let mut paced = Paced::new(a, small());
    paced.control().expect(100);
    let flood = tokio::spawn(async move {
        while server.write_all(b"* 1 EXISTS\r\n").await.is_ok() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    });
    let started = std::time::Instant::now();
    let mut sink = [0u8; 4096];
    let err = loop {
        match paced.read(&mut sink).await {
            Ok(0) => panic!("eof"),
            Ok(_) => {}
            Err(e) => break e,
        }
    };
    assert!(
        matches!(
            pace_error(&err),
            Some(PaceError::Deadline { expected: 100, .. })
        ),
        "{err}"
    );
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_secs(10),
        "{took:?}"
    );
    flood.abort();
}

#[tokio::test]
async fn nothing_is_enforced_while_paused_and_a_steady_reply_passes() {
    let (a, mut server) = tokio::io::duplex(64 * 1024);
    let mut paced = Paced::new(a, small());
    let control = paced.control();
    // Paused: a long silence is not the pace's business.
    let late = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        server.write_all(b"late").await.unwrap();
        server
    });
    let mut four = [0u8; 4];
    paced.read_exact(&mut four).await.unwrap();
    let mut server = late.await.unwrap();
    // Due: 2.5 s of 200 B/s passes a 100 B/s floor.
    control.expect(0);
    let steady = tokio::spawn(async move {
        for _ in 0..25 {
            server.write_all(&[b'y'; 20]).await.unwrap();
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let mut got = vec![0u8; 500];
    paced.read_exact(&mut got).await.unwrap();
    steady.await.unwrap();
}

#[test]
fn the_deadline_grows_with_the_expected_size() {
    let limits = PaceLimits::default();
    assert_eq!(limits.deadline_for(0), Duration::from_secs(120));
    assert_eq!(limits.deadline_for(1024 * 600), Duration::from_secs(720));
    let e = PaceError::TooSlow {
        min_rate: 1024,
        window: Duration::from_secs(60),
    };
    assert_eq!(e.to_string(), "the server sent less than 1 KiB/s for 60 s");
}

#[tokio::test]
async fn only_the_response_in_progress_gets_time_for_its_size() {
    let (a, _server) = tokio::io::duplex(64);
    let paced = Paced::new(a, small());
    let control = paced.control();
    control.expect(0);
    let later = Instant::now() + Duration::from_secs(4);
    // 1,000 bytes at 100 B/s: 10 s on top of the 3 s base.
    control.allow_response(1000);
    assert!(matches!(
        control.lock().judge(later),
        Verdict::WakeAt(Some(_))
    ));
    // Completed: a flood of finished responses earns nothing.
    control.allow_response(0);
    assert!(matches!(
        control.lock().judge(later),
        Verdict::Fail(PaceError::Deadline { expected: 0, .. })
    ));
}

#[tokio::test]
async fn time_the_caller_spends_away_is_not_counted() {
    let (a, _server) = tokio::io::duplex(64);
    let paced = Paced::new(a, small());
    let control = paced.control();
    control.expect(0);
    let t0 = Instant::now();
    // Away 10 s (writing a batch to disk) right after asking: the 3 s deadline moves by 10 s.
    control.lock().hold_at(t0);
    control.lock().resume_at(t0 + Duration::from_secs(10));
    assert!(matches!(
        control.lock().judge(t0 + Duration::from_secs(12)),
        Verdict::WakeAt(Some(_))
    ));
    assert!(matches!(
        control.lock().judge(t0 + Duration::from_secs(14)),
        Verdict::Fail(PaceError::Deadline { .. })
    ));
}

#[tokio::test]
async fn a_fresh_deadline_while_away_still_waits_for_the_caller() {
    let (a, _server) = tokio::io::duplex(64);
    let paced = Paced::new(a, small());
    let control = paced.control();
    control.expect(0);
    control.hold();
    // The session re-arms after a response the caller wanted, then the caller goes away.
    control.expect(0);
    let back = Instant::now() + Duration::from_secs(10);
    control.lock().resume_at(back);
    assert!(matches!(
        control.lock().judge(back + Duration::from_secs(2)),
        Verdict::WakeAt(Some(_))
    ));
}

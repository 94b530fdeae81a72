//! A counting TCP forwarder whose open connections can be cut while it keeps accepting new
//! ones: what a dropped Wi-Fi or a server restart does to a long-lived connection. It counts
//! the connections it accepted, so a test can say how many logins a piece of work cost.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A running forwarder to one target; stops with the test's runtime.
pub struct CutProxy {
    pub port: u16,
    cut: tokio::sync::watch::Sender<u64>,
    accepted: Arc<AtomicUsize>,
    listening: tokio::task::JoinHandle<()>,
}

impl CutProxy {
    /// Listens on 127.0.0.1 (a free port) and forwards each connection to `target`.
    pub async fn start(target: String) -> CutProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let (cut, cut_rx) = tokio::sync::watch::channel(0u64);
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&accepted);
        let listening = tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                counter.fetch_add(1, Ordering::SeqCst);
                let target = target.clone();
                let mut cut_rx = cut_rx.clone();
                cut_rx.borrow_and_update();
                tokio::spawn(async move {
                    let Ok(mut server) = tokio::net::TcpStream::connect(&target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut_rx.changed() => {}
                    }
                });
            }
        });
        CutProxy {
            port,
            cut,
            accepted,
            listening,
        }
    }

    /// Closes every connection open now (both sides); new ones are still accepted.
    pub fn cut_all(&self) {
        self.cut.send_modify(|n| *n += 1);
    }

    /// The server goes away: open connections are cut and new ones refused (nothing listens
    /// on the port any more).
    pub fn close(&self) {
        self.listening.abort();
        self.cut_all();
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

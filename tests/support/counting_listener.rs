//! A TCP listener on 127.0.0.1 that only counts who connects: the server an `--offline` run
//! must never reach. Every connection is counted, then closed at once (no greeting), so a
//! client that does connect fails fast instead of waiting for a reply.

use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Listens for the life of the test process (the accept thread is detached); each test makes
/// its own, so counts never mix.
pub struct CountingListener {
    port: u16,
    count: Arc<AtomicUsize>,
}

impl CountingListener {
    /// Binds a free port on 127.0.0.1 and starts counting.
    pub fn start() -> CountingListener {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a counting listener");
        let port = listener.local_addr().expect("local addr").port();
        let count = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&count);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                seen.fetch_add(1, Ordering::SeqCst);
                if let Ok(stream) = stream {
                    close(stream);
                }
            }
        });
        CountingListener { port, count }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// How many connections were accepted so far.
    pub fn connections(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }
}

fn close(stream: TcpStream) {
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

//! A fake SMTP submission server (plain TCP on 127.0.0.1) whose greeting misbehaves: it
//! trickles one byte at a time, or it is a line that never ends. What a real server will not
//! do on request.

use std::time::Duration;

use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// What the server's greeting is.
#[derive(Debug, Clone, Copy)]
pub enum Greeting {
    /// `220 hostile fake` one byte every `every`, and then nothing.
    Trickle { every: Duration },
    /// `220-` and then `a` forever, as fast as the client reads.
    EndlessLine,
}

/// Stops the server when dropped.
pub struct HostileSmtp {
    pub port: u16,
    task: JoinHandle<()>,
}

impl Drop for HostileSmtp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the server on 127.0.0.1 (an ephemeral port).
pub async fn start(greeting: Greeting) -> HostileSmtp {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let task = tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let _ = match greeting {
                    Greeting::Trickle { every } => trickle(&mut socket, every).await,
                    Greeting::EndlessLine => endless(&mut socket).await,
                };
            });
        }
    });
    HostileSmtp { port, task }
}

async fn trickle(socket: &mut tokio::net::TcpStream, every: Duration) -> std::io::Result<()> {
    for b in b"220 hostile fake ESMTP\r\n" {
        socket.write_all(&[*b]).await?;
        tokio::time::sleep(every).await;
    }
    std::future::pending::<()>().await;
    Ok(())
}

async fn endless(socket: &mut tokio::net::TcpStream) -> std::io::Result<()> {
    socket.write_all(b"220-").await?;
    let chunk = vec![b'a'; 64 * 1024];
    loop {
        socket.write_all(&chunk).await?;
    }
}

//! A fake POP3 server (plain TCP on 127.0.0.1) that behaves until RETR, then trickles the
//! message one byte at a time: what a real server will not do on request.
//!
//! It greets, answers CAPA (USER, UIDL), USER/PASS, STAT, LIST (one 2,000-byte message) and
//! QUIT; RETR gets `+OK` at once, then the body at one byte every `every`, forever.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Stops the server when dropped.
pub struct HostilePop3 {
    pub port: u16,
    task: JoinHandle<()>,
}

impl Drop for HostilePop3 {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the server on 127.0.0.1 (an ephemeral port).
pub async fn start(every: Duration) -> HostilePop3 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let task = tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let _ = serve(socket, every).await;
            });
        }
    });
    HostilePop3 { port, task }
}

async fn serve(socket: tokio::net::TcpStream, every: Duration) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"+OK hostile fake ready\r\n").await?;
    while let Some(line) = lines.next_line().await? {
        let verb = line.split(' ').next().unwrap_or("").to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "CAPA" => b"+OK\r\nUSER\r\nUIDL\r\n.\r\n",
            "USER" | "PASS" | "NOOP" => b"+OK\r\n",
            "STAT" => b"+OK 1 2000\r\n",
            "LIST" => b"+OK\r\n1 2000\r\n.\r\n",
            "UIDL" => b"+OK\r\n1 a1\r\n.\r\n",
            "QUIT" => b"+OK bye\r\n",
            "RETR" => {
                write
                    .write_all(b"+OK 2000 octets\r\nSubject: slow\r\n\r\n")
                    .await?;
                loop {
                    write.write_all(b"x").await?;
                    tokio::time::sleep(every).await;
                }
            }
            _ => b"-ERR not in this script\r\n",
        };
        write.write_all(reply).await?;
    }
    Ok(())
}

//! A scripted fake IMAP server (plain TCP on 127.0.0.1) that behaves until the first FETCH,
//! then misbehaves in one chosen way: what a real server will not do on request.
//!
//! It greets, answers CAPABILITY, LOGIN, SELECT (3 messages, UIDVALIDITY 1) and LOGOUT
//! plausibly, so a client reaches FETCH; the FETCH reply is the [`Misbehaviour`]. Each
//! accepted connection gets the same script; the server stops when the returned handle drops.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// What the server does with a FETCH.
#[derive(Debug, Clone)]
pub enum Misbehaviour {
    /// A well-formed FETCH reply, one byte every `every`.
    Trickle { every: Duration },
    /// `* 1 EXISTS` lines as fast as the client takes them, never the tagged completion.
    ExistsFlood,
    /// A FETCH announcing a literal of `announced` bytes, then `chunk` bytes of it every
    /// `every` (and, if it ever gets there, the end of the FETCH and the tagged OK).
    Literal {
        announced: u64,
        chunk: usize,
        every: Duration,
    },
    /// A line that never ends, sent as fast as the client takes it.
    EndlessLine,
    /// A complete but unparsable FETCH reply holding `content_bytes` of message content
    /// (the word `SECRETBODY` repeated) before the garbage.
    Unparsable { content_bytes: usize },
}

/// Stops the server when dropped.
pub struct HostileImap {
    pub port: u16,
    task: JoinHandle<()>,
}

impl Drop for HostileImap {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the server on 127.0.0.1 (an ephemeral port).
pub async fn start(misbehaviour: Misbehaviour) -> HostileImap {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let task = tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let m = misbehaviour.clone();
            tokio::spawn(async move {
                let _ = serve(socket, m).await;
            });
        }
    });
    HostileImap { port, task }
}

async fn serve(socket: TcpStream, m: Misbehaviour) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    write
        .write_all(b"* OK [CAPABILITY IMAP4rev1 UIDPLUS] hostile fake ready\r\n")
        .await?;
    while let Some(line) = lines.next_line().await? {
        let mut words = line.splitn(3, ' ');
        let tag = words.next().unwrap_or("*").to_owned();
        let verb = words.next().unwrap_or("").to_ascii_uppercase();
        let rest = words.next().unwrap_or("").to_ascii_uppercase();
        let reply = match verb.as_str() {
            "CAPABILITY" => format!("* CAPABILITY IMAP4rev1 UIDPLUS\r\n{tag} OK done\r\n"),
            "LOGIN" => format!("{tag} OK logged in\r\n"),
            "SELECT" | "EXAMINE" => format!(
                "* 3 EXISTS\r\n* 0 RECENT\r\n* FLAGS (\\Seen)\r\n\
                 * OK [UIDVALIDITY 1] ok\r\n* OK [UIDNEXT 4] ok\r\n\
                 {tag} OK [READ-WRITE] selected\r\n"
            ),
            "LOGOUT" => format!("* BYE bye\r\n{tag} OK bye\r\n"),
            "UID" if rest.starts_with("FETCH") => return misbehave(&mut write, &tag, &m).await,
            "NOOP" => format!("{tag} OK noop\r\n"),
            _ => format!("{tag} BAD not in this script\r\n"),
        };
        write.write_all(reply.as_bytes()).await?;
    }
    Ok(())
}

async fn misbehave(
    write: &mut tokio::net::tcp::OwnedWriteHalf,
    tag: &str,
    m: &Misbehaviour,
) -> std::io::Result<()> {
    match m {
        Misbehaviour::Trickle { every } => {
            let reply = format!(
                "* 1 FETCH (UID 1 FLAGS () INTERNALDATE \"01-Jan-2026 00:00:00 +0000\" \
                 BODY[] {{20}}\r\nSubject: x\r\n\r\nhello\r\n)\r\n{tag} OK done\r\n"
            );
            for b in reply.as_bytes() {
                write.write_all(&[*b]).await?;
                tokio::time::sleep(*every).await;
            }
            // Then nothing more, ever.
            std::future::pending::<()>().await;
        }
        Misbehaviour::ExistsFlood => {
            let chunk = b"* 1 EXISTS\r\n".repeat(1000);
            loop {
                write.write_all(&chunk).await?;
                tokio::task::yield_now().await;
            }
        }
        Misbehaviour::Literal {
            announced,
            chunk,
            every,
        } => {
            write
                .write_all(format!("* 1 FETCH (UID 1 BODY[] {{{announced}}}\r\n").as_bytes())
                .await?;
            let piece = vec![b'x'; *chunk];
            let mut left = *announced;
            while left > 0 {
                let n = left.min(piece.len() as u64);
                write.write_all(&piece[..n as usize]).await?;
                left -= n;
                tokio::time::sleep(*every).await;
            }
            write
                .write_all(format!(")\r\n{tag} OK done\r\n").as_bytes())
                .await?;
            std::future::pending::<()>().await;
        }
        Misbehaviour::EndlessLine => {
            write.write_all(b"* OK ").await?;
            let chunk = vec![b'a'; 64 * 1024];
            loop {
                write.write_all(&chunk).await?;
            }
        }
        Misbehaviour::Unparsable { content_bytes } => {
            let content = b"SECRETBODY"
                .iter()
                .copied()
                .cycle()
                .take(*content_bytes)
                .collect::<Vec<u8>>();
            let mut reply =
                format!("* 1 FETCH (UID 1 BODY[] {{{}}}\r\n", content.len()).into_bytes();
            reply.extend_from_slice(&content);
            reply.extend_from_slice(b" ((NOT IMAP\r\n");
            reply.extend_from_slice(format!("{tag} OK done\r\n").as_bytes());
            write.write_all(&reply).await?;
            std::future::pending::<()>().await;
        }
    }
    Ok(())
}

//! A scripted fake POP3 server over `tokio::io::duplex`, for the client's unit tests: every
//! line the client sends is checked against the script, so what it sends (and does not send)
//! is asserted.

use std::time::Duration;

use secrecy::SecretString;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream};
use tokio::task::JoinHandle;

use super::ClientOptions;

pub enum Step {
    /// Bytes the server writes.
    Send(Vec<u8>),
    /// A line the client must send next (without CRLF).
    Expect(String),
    /// Wait this long before the next step.
    Sleep(Duration),
}

pub fn send(bytes: &[u8]) -> Step {
    Step::Send(bytes.to_vec())
}

pub fn expect(line: &str) -> Step {
    Step::Expect(line.to_owned())
}

pub const GREETING: &[u8] = b"+OK fake POP3 ready <123.456@fake>\r\n";
pub const CAPS_PLAIN: &[u8] = b"+OK\r\nTOP\r\nUIDL\r\nUSER\r\nRESP-CODES\r\nSTLS\r\n.\r\n";

/// Runs the script on the server end; returns every line the client sent. When the script
/// ends the server closes its end (so a client still waiting sees end of stream). A line
/// other than the expected one fails the test.
pub fn serve(script: Vec<Step>) -> (DuplexStream, JoinHandle<Vec<String>>) {
    let (client, server) = tokio::io::duplex(1 << 16);
    let task = tokio::spawn(async move {
        let mut io = BufReader::new(server);
        let mut seen = Vec::new();
        for step in script {
            match step {
                Step::Send(bytes) => io.get_mut().write_all(&bytes).await.unwrap(),
                Step::Sleep(d) => tokio::time::sleep(d).await,
                Step::Expect(want) => {
                    let mut line = String::new();
                    io.read_line(&mut line).await.unwrap();
                    let line = line.trim_end_matches(['\r', '\n']).to_owned();
                    assert_eq!(line, want, "client sent an unexpected line");
                    seen.push(line);
                }
            }
        }
        seen
    });
    (client, task)
}

pub fn opts() -> ClientOptions {
    ClientOptions {
        read_timeout: Duration::from_secs(5),
        ..ClientOptions::default()
    }
}

pub fn password(p: &str) -> SecretString {
    SecretString::from(p.to_owned())
}

/// Greeting and CAPA (the given list) as every session starts.
pub fn opening(caps: &[u8]) -> Vec<Step> {
    vec![send(GREETING), expect("CAPA"), send(caps)]
}

pub fn script(parts: Vec<Vec<Step>>) -> Vec<Step> {
    parts.into_iter().flatten().collect()
}

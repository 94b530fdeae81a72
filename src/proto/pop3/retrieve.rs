//! Retrieving many messages in one go: a window of RETR commands in flight (RFC 2449
//! PIPELINING), replies read in order, each message handed to the caller as it completes so
//! memory holds one message, not the mailbox.

use std::fmt::Write as _;

use tokio::io::{AsyncRead, AsyncWrite};

use super::client::Pop3Client;
use super::codec::{CodecError, StatusKind};
use super::error::Pop3Error;
use super::error::server_error;

/// One retrieved message: its number in this session and its exact bytes (dot-unstuffed,
/// final CRLF kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrievedMessage {
    pub number: u32,
    pub data: Vec<u8>,
}

/// A RETR run over a list of message numbers; see [`Pop3Client::retrieve`].
///
/// ```no_run
/// # async fn demo(client: &mut postie::proto::pop3::Pop3Client<tokio::net::TcpStream>)
/// # -> Result<(), postie::proto::pop3::Pop3Error> {
/// let mut run = client.retrieve([1, 2, 3]);
/// while let Some(message) = run.next().await? {
///     // store message.data durably, then record it
/// }
/// # Ok(()) }
/// ```
///
/// A `-ERR` to one RETR is returned as that call's error and the run stays usable (call
/// `next` again for the following message). Dropping the run early is allowed: the replies
/// still in flight are read and discarded before the client's next command.
pub struct Retrieval<'a, S> {
    client: &'a mut Pop3Client<S>,
    numbers: Vec<u32>,
    sent: usize,
    received: usize,
    window: usize,
}

impl<'a, S: AsyncRead + AsyncWrite + Unpin + Send> Retrieval<'a, S> {
    pub(super) fn new(client: &'a mut Pop3Client<S>, numbers: Vec<u32>, window: usize) -> Self {
        Retrieval {
            client,
            numbers,
            sent: 0,
            received: 0,
            window,
        }
    }

    /// The next message, in the order given; `Ok(None)` when all have been returned.
    pub async fn next(&mut self) -> Result<Option<RetrievedMessage>, Pop3Error> {
        // Entered even when done, so a run broken by a fatal error says so instead of
        // looking finished.
        self.client.enter().await?;
        if self.received == self.numbers.len() {
            return self.client.leave(Ok(None));
        }
        let r = self.step().await;
        self.client.leave(r).map(Some)
    }

    /// How many messages have not been returned yet.
    pub fn remaining(&self) -> usize {
        self.numbers.len() - self.received
    }

    async fn step(&mut self) -> Result<RetrievedMessage, Pop3Error> {
        // Top the window up when half of it has been consumed: one write per half-window.
        if self.sent < self.numbers.len() && self.sent - self.received <= self.window / 2 {
            let mut commands = String::new();
            while self.sent < self.numbers.len() && self.sent - self.received < self.window {
                let _ = write!(commands, "RETR {}\r\n", self.numbers[self.sent]);
                self.sent += 1;
            }
            self.client.send(commands.as_bytes()).await?;
        }
        let number = self.numbers[self.received];
        let status = self.client.read_status().await?;
        self.received += 1;
        match status.kind {
            StatusKind::Ok => {
                self.client.expect_message(number);
                let data = self.client.read_body(self.client_max()).await?;
                Ok(RetrievedMessage { number, data })
            }
            StatusKind::Err => Err(server_error(&format!("RETR {number}"), status)),
            StatusKind::Continue => Err(Pop3Error::Codec(CodecError::Invalid(
                "unexpected continuation".to_owned(),
            ))),
        }
    }

    fn client_max(&self) -> usize {
        self.client.max_message_bytes()
    }
}

impl<S> Drop for Retrieval<'_, S> {
    fn drop(&mut self) {
        self.client.owed += self.sent - self.received;
    }
}

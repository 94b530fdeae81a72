//! The key each message on the server is known by, one per message number and never shared.
//!
//! - A UIDL the server lists once is the key itself (what every earlier version recorded).
//! - A UIDL the server lists more than once (RFC 1939 forbids it; broken servers and migrated
//!   mailboxes do it) gives each of its messages a key of its own: the UIDL, a space (never
//!   part of a UIDL, so such a key never equals a real one) and 16 hex digits of SHA-256 over
//!   UIDL, LIST size and header (`TOP n 0`); messages alike in all three get `#2`, `#3`... in
//!   message-number order. The sync then warns once.
//! - Without UIDL: Message-ID + size + a hash of the header ([`fallback_key`]), numbered alike.
//!
//! Why not the message number in the key: another client deleting any message renumbers the
//! rest, and a key must stay the same across syncs while the message does, or it would be
//! downloaded again. What holds instead:
//! - While the server's list is unchanged, every key is the same at every sync.
//! - When one of two duplicates goes (another client deleted it), the UIDL is single again,
//!   but keys made for it were recorded: such a UIDL keeps getting the made key (one `TOP`),
//!   so the survivor is recognised, not downloaded again. An index rebuilt from the Maildirs
//!   also recovers made keys (they are in the file names).
//! - A message recorded under its plain UIDL that later gains a twin gets a made key and is
//!   downloaded once more: a duplicate local copy, never a loss.
//! - Keys are unique within one listing; [`crate::engine::pop3`] deletes a message only by a
//!   key that names that one message.
//!
//! The hash is of the header only, so two duplicates with the same header and size differing
//! only in their bodies are told apart by their `#n` order alone; if one of them is deleted by
//! another client the other takes the first one's key. Both were downloaded by then (they are
//! listed together), so nothing is lost that was not stored.

use std::collections::{HashMap, HashSet};

use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::engine::sync::SyncSummary;
use crate::mail::Envelope;
use crate::proto::pop3::{Pop3Client, Pop3Error};

/// The keys of every listed message, in message-number order: from UIDL, or (with a warning)
/// from headers when the server has no UIDL. `known` is every key recorded for the account.
pub(super) async fn server_keys<S>(
    client: &mut Pop3Client<S>,
    sizes: &HashMap<u32, u64>,
    known: &HashSet<String>,
    summary: &mut SyncSummary,
) -> Result<Vec<(u32, String)>, Pop3Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    match client.uidl().await {
        Ok(entries) => {
            let mut uidls: Vec<(u32, String)> =
                entries.into_iter().map(|e| (e.number, e.uid)).collect();
            uidls.sort_unstable_by_key(|(n, _)| *n);
            uidl_keys(client, uidls, sizes, known, summary).await
        }
        Err(Pop3Error::Unsupported(_)) => {
            summary.warnings.push(
                "the POP3 server does not support UIDL: messages are recognised by \
                 Message-ID, size and a hash of their header instead, which may download a \
                 message twice if the server changes it"
                    .to_owned(),
            );
            fallback_keys(client, sizes).await
        }
        Err(e) => Err(e),
    }
}

/// UIDLs as keys; a UIDL listed more than once, or one whose made keys were recorded, gets a
/// made key per message (see the module docs).
async fn uidl_keys<S>(
    client: &mut Pop3Client<S>,
    uidls: Vec<(u32, String)>,
    sizes: &HashMap<u32, u64>,
    known: &HashSet<String>,
    summary: &mut SyncSummary,
) -> Result<Vec<(u32, String)>, Pop3Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let mut listed: HashMap<&str, usize> = HashMap::new();
    for (_, uidl) in &uidls {
        *listed.entry(uidl.as_str()).or_insert(0) += 1;
    }
    // UIDLs that had made keys recorded: one that is single again still gets its made key.
    let had_made: HashSet<&str> = known
        .iter()
        .filter_map(|k| k.split_once(' ').map(|(uidl, _)| uidl))
        .collect();
    let repeated = listed.values().filter(|n| **n > 1).count();
    let mut made = Ordinal::default();
    let mut keys = Vec::with_capacity(uidls.len());
    for (number, uidl) in &uidls {
        let shared = listed.get(uidl.as_str()).copied().unwrap_or(0) > 1;
        let key = if shared || (!known.contains(uidl) && had_made.contains(uidl.as_str())) {
            // A server that refuses TOP still gets distinct keys (size and order tell them
            // apart); only a fatal error ends the sync.
            let head = match client.top(*number, 0).await {
                Ok(head) => head,
                Err(e) if !e.is_fatal() => Vec::new(),
                Err(e) => return Err(e),
            };
            let size = sizes.get(number).copied().unwrap_or(0);
            made.next(made_key(uidl, size, &head))
        } else {
            uidl.clone()
        };
        keys.push((*number, key));
    }
    if repeated > 0 {
        let messages: usize = listed.values().filter(|n| **n > 1).sum();
        summary.warnings.push(format!(
            "the POP3 server lists {messages} messages under {repeated} UIDLs that are not \
             unique (RFC 1939 forbids it): they are told apart by size and header; tell the \
             server's administrator"
        ));
    }
    Ok(keys)
}

/// Keys for every message in `sizes`, in message-number order (one `TOP n 0` each).
async fn fallback_keys<S>(
    client: &mut Pop3Client<S>,
    sizes: &HashMap<u32, u64>,
) -> Result<Vec<(u32, String)>, Pop3Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let mut numbers: Vec<u32> = sizes.keys().copied().collect();
    numbers.sort_unstable();
    let mut ordinal = Ordinal::default();
    let mut keys = Vec::with_capacity(numbers.len());
    for number in numbers {
        let head = client.top(number, 0).await?;
        let key = fallback_key(&head, sizes.get(&number).copied().unwrap_or(0));
        keys.push((number, ordinal.next(key)));
    }
    Ok(keys)
}

/// Numbers keys that came out alike: the first stays as it is, later ones get `#2`, `#3`...
#[derive(Default)]
struct Ordinal(HashMap<String, u32>);

impl Ordinal {
    fn next(&mut self, key: String) -> String {
        let n = self.0.entry(key.clone()).or_insert(0);
        *n += 1;
        if *n == 1 { key } else { format!("{key}#{n}") }
    }
}

/// The key made for one of several messages listed under `uidl`: `UIDL HASH16`, with a hash of
/// UIDL, LIST size and header (`TOP n 0`, exact bytes).
pub(super) fn made_key(uidl: &str, size: u64, head: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(uidl.as_bytes());
    hash.update([0]);
    hash.update(size.to_string().as_bytes());
    hash.update([0]);
    hash.update(head);
    format!("{uidl} {}", hex(&hash.finalize()[..8]))
}

/// The server's UIDL in a key (a made key starts with it), for messages naming the message.
pub(super) fn server_uidl(key: &str) -> &str {
    key.split_once(' ').map_or(key, |(uidl, _)| uidl)
}

/// The key of one message from its header (`TOP n 0`, exact bytes) and LIST size: `h:` and 48
/// hex digits of SHA-256 over Message-ID, size and header (short enough to be kept in the
/// Maildir file name, so a rebuilt index still knows it).
pub fn fallback_key(head: &[u8], size: u64) -> String {
    let message_id = Envelope::parse(head).message_id.unwrap_or_default();
    let mut hash = Sha256::new();
    hash.update(message_id.as_bytes());
    hash.update([0]);
    hash.update(size.to_string().as_bytes());
    hash.update([0]);
    hash.update(head);
    format!("h:{}", hex(&hash.finalize()[..24]))
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

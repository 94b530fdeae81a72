//! The key each message on the server is known by, one per message number and never shared.
//!
//! - A UIDL the server lists once is the key itself (what every earlier version recorded).
//! - A UIDL the server lists more than once (RFC 1939 forbids it; broken servers and migrated
//!   mailboxes do it) gives each of its messages a *made key*: the UIDL, a space (never part
//!   of a UIDL, so a made key never equals a real one) and 16 hex digits of SHA-256 over
//!   UIDL, LIST size and header (`TOP n 0`); messages alike in all three get `#2`, `#3`... in
//!   message-number order. The sync then warns once.
//! - A UIDL recorded plain (downloaded when it was single) stays the key of the one message
//!   listed under it with the LIST size recorded at download; every other message under it
//!   gets a made key. So a twin that appears later is downloaded, the original is not, and a
//!   server that reuses a UIDL for a new message (after the first was deleted) has the new
//!   one downloaded, never deleted unseen (with a warning). Not told apart: a reused UIDL of a
//!   message of exactly the same size (taken for the recorded one), twins of the original's
//!   size, and rows without a recorded size (downloaded before sizes were recorded, or an
//!   index rebuilt from the Maildirs): those twins all get made keys and the original is
//!   downloaded once more (a duplicate, never a loss).
//! - Without UIDL: Message-ID + size + a hash of the header ([`fallback_key`]), numbered alike;
//!   the header comes from `TOP n 0`, or from the whole message (RETR) when TOP is missing too.
//!
//! Why not the message number in the key: another client deleting any message renumbers the
//! rest, and a key must stay the same across syncs while the message does, or it would be
//! downloaded again. What holds instead:
//! - While the server's list is unchanged, every key is the same at every sync.
//! - When one of two duplicates goes (another client deleted it), the UIDL is single again,
//!   but keys made for it were recorded: such a UIDL keeps getting the made key (one `TOP`),
//!   so the survivor is recognised, not downloaded again. An index rebuilt from the Maildirs
//!   also recovers made keys (they are in the file names).
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

/// What the store recorded of earlier downloads.
pub(super) struct Recorded<'a> {
    /// Every key downloaded for the account.
    pub keys: &'a HashSet<String>,
    /// The LIST size each had then, where known.
    pub sizes: &'a HashMap<String, u64>,
}

/// The keys of every listed message, in message-number order: from UIDL, or (with a warning)
/// from headers when the server has no UIDL.
pub(super) async fn server_keys<S>(
    client: &mut Pop3Client<S>,
    sizes: &HashMap<u32, u64>,
    recorded: &Recorded<'_>,
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
            uidl_keys(client, uidls, sizes, recorded, summary).await
        }
        Err(Pop3Error::Unsupported(_)) => {
            summary.warnings.push(
                "the POP3 server does not support UIDL: messages are recognised by \
                 Message-ID, size and a hash of their header instead, which may download a \
                 message twice if the server changes it"
                    .to_owned(),
            );
            fallback_keys(client, sizes, summary).await
        }
        Err(e) => Err(e),
    }
}

/// UIDLs as keys, except where the UIDL does not name one message for sure: then a made key
/// per message (see the module docs for the rules).
async fn uidl_keys<S>(
    client: &mut Pop3Client<S>,
    uidls: Vec<(u32, String)>,
    sizes: &HashMap<u32, u64>,
    recorded: &Recorded<'_>,
    summary: &mut SyncSummary,
) -> Result<Vec<(u32, String)>, Pop3Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let size_of = |number: &u32| sizes.get(number).copied().unwrap_or(0);
    let mut listed: HashMap<&str, Vec<u32>> = HashMap::new();
    for (number, uidl) in &uidls {
        listed.entry(uidl.as_str()).or_default().push(*number);
    }
    // UIDLs that had made keys recorded: one that is single again still gets its made key.
    let had_made: HashSet<&str> = recorded
        .keys
        .iter()
        .filter_map(|k| k.split_once(' ').map(|(uidl, _)| uidl))
        .collect();
    let mut made = Ordinal::default();
    let mut keys = Vec::with_capacity(uidls.len());
    let mut reused = 0usize;
    for (number, uidl) in &uidls {
        let numbers = listed.get(uidl.as_str()).map_or(&[][..], Vec::as_slice);
        let plain = if recorded.keys.contains(uidl) {
            // Recorded under the plain UIDL: this is that message if it is the only one listed
            // under the UIDL with the size it had (or the size was not recorded).
            let then = recorded.sizes.get(uidl);
            let same_size: Vec<&u32> = numbers
                .iter()
                .filter(|n| then.is_none_or(|s| *s == size_of(n)))
                .collect();
            match then {
                None => numbers.len() == 1,
                Some(_) => same_size.len() == 1 && *same_size[0] == *number,
            }
        } else {
            numbers.len() == 1 && !had_made.contains(uidl.as_str())
        };
        let key = if plain {
            uidl.clone()
        } else {
            // A server that refuses TOP still gets distinct keys (size and order tell them
            // apart); only a fatal error ends the sync.
            let head = match client.top(*number, 0).await {
                Ok(head) => head,
                Err(e) if !e.is_fatal() => Vec::new(),
                Err(e) => return Err(e),
            };
            made.next(made_key(uidl, size_of(number), &head))
        };
        // A single UIDL recorded plain but not taken for the recorded message, and new under
        // its made key: the server reused the UIDL (said once; next time the made key is known).
        if !plain
            && numbers.len() == 1
            && recorded.keys.contains(uidl)
            && !recorded.keys.contains(&key)
        {
            reused += 1;
        }
        keys.push((*number, key));
    }
    let repeated: Vec<usize> = listed.values().map(Vec::len).filter(|n| *n > 1).collect();
    if !repeated.is_empty() {
        let under = match repeated.len() {
            1 => "one UIDL".to_owned(),
            n => format!("{n} UIDLs"),
        };
        summary.warnings.push(format!(
            "the POP3 server lists {} messages under {under} shared between messages (RFC \
             1939 forbids it): they are told apart by size and header; tell the server's \
             administrator",
            repeated.iter().sum::<usize>(),
        ));
    }
    if reused > 0 {
        summary.warnings.push(format!(
            "the POP3 server lists {reused} messages under UIDLs already downloaded with \
             another size (it reuses UIDLs, or changed a message): they are downloaded again \
             rather than taken for the earlier ones"
        ));
    }
    Ok(keys)
}

/// Keys for every message in `sizes`, in message-number order (one `TOP n 0` each).
async fn fallback_keys<S>(
    client: &mut Pop3Client<S>,
    sizes: &HashMap<u32, u64>,
    summary: &mut SyncSummary,
) -> Result<Vec<(u32, String)>, Pop3Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let mut numbers: Vec<u32> = sizes.keys().copied().collect();
    numbers.sort_unstable();
    let mut ordinal = Ordinal::default();
    let mut keys = Vec::with_capacity(numbers.len());
    // Without TOP either, the header is read from the whole message (RETR): every message is
    // transferred at every sync just to be recognised, but none is stored twice and the
    // sync goes on (delete mode leaves few messages on the server, so it costs little there).
    let mut whole = false;
    for number in numbers {
        let head = if whole {
            header_of(client.retr(number).await?)
        } else {
            match client.top(number, 0).await {
                Ok(head) => head,
                Err(Pop3Error::Unsupported(_)) => {
                    whole = true;
                    summary.warnings.push(
                        "the POP3 server supports neither UIDL nor TOP: every message is read \
                         in full at each sync to recognise it (none is stored twice)"
                            .to_owned(),
                    );
                    header_of(client.retr(number).await?)
                }
                Err(e) => return Err(e),
            }
        };
        let key = fallback_key(&head, sizes.get(&number).copied().unwrap_or(0));
        keys.push((number, ordinal.next(key)));
    }
    Ok(keys)
}

/// The header of a whole message as `TOP n 0` would give it: up to and including the empty
/// line that ends it (the whole message when it has no body).
fn header_of(mut message: Vec<u8>) -> Vec<u8> {
    let end = message
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
        .or_else(|| message.windows(2).position(|w| w == b"\n\n").map(|i| i + 2));
    if let Some(end) = end {
        message.truncate(end);
    }
    message
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

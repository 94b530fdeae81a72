//! Keys for servers without UIDL: Message-ID + size + a hash of the header (`TOP n 0`).
//!
//! Such a key is only as stable as the server's copy: a server that rewrites headers makes it
//! change (the message would be downloaded again), which is why the sync warns. Two messages
//! with the same header and size in one mailbox get `#2`, `#3`... so neither hides the other.

use std::collections::HashMap;

use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::mail::Envelope;
use crate::proto::pop3::{Pop3Client, Pop3Error};

/// Keys for every message in `sizes`, in message-number order (one `TOP n 0` each).
pub(super) async fn fallback_keys<S>(
    client: &mut Pop3Client<S>,
    sizes: &HashMap<u32, u64>,
) -> Result<Vec<(u32, String)>, Pop3Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let mut numbers: Vec<u32> = sizes.keys().copied().collect();
    numbers.sort_unstable();
    let mut seen: HashMap<String, u32> = HashMap::new();
    let mut keys = Vec::with_capacity(numbers.len());
    for number in numbers {
        let head = client.top(number, 0).await?;
        let key = fallback_key(&head, sizes.get(&number).copied().unwrap_or(0));
        let n = seen.entry(key.clone()).or_insert(0);
        *n += 1;
        let key = if *n == 1 { key } else { format!("{key}#{n}") };
        keys.push((number, key));
    }
    Ok(keys)
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
    let digest = hash.finalize();
    let mut key = String::with_capacity(50);
    key.push_str("h:");
    for b in &digest[..24] {
        key.push_str(&format!("{b:02x}"));
    }
    key
}

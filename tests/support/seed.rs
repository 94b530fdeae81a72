//! Fast, deterministic seeding: realistic messages written straight into a user's Maildir
//! (tmp/, then renamed into cur/ or new/), which Dovecot indexes on the next access.
//!
//! What must hold for Dovecot to serve the files as they are:
//! - names carry `,S=<bytes on disk>` and `,W=<size with CRLF line ends>`: Dovecot trusts them
//!   for POP3 LIST and IMAP RFC822.SIZE without reading the file;
//! - files use LF line ends only (Dovecot stores LF and serves CRLF), and no bare CR;
//! - files and directories belong to the mail uid/gid;
//! - the time part of the name grows with the message number, so that UIDs follow the order in
//!   which the messages were generated; the file's mtime (IMAP INTERNALDATE) is its Date.
//!
//! The generator is a pure function of (seed, recipient, count), so a test can regenerate what
//! it expects; [`seed`] also returns every message's bytes and path.

use std::fs::{self, File};
use std::io::Write as _;
use std::os::unix::fs::{PermissionsExt, chown};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use super::{TestUser, servers};

mod corpus;

pub use corpus::generate;

/// A tiny xorshift64* generator: deterministic test data without another dependency.
#[derive(Debug, Clone)]
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> Self {
        // splitmix64 of the seed, so that nearby seeds give unrelated streams (and never 0).
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        XorShift(if z == 0 { 1 } else { z })
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with the given percentage.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }

    /// `n` random ASCII letters and digits.
    pub fn alnum(&mut self, n: usize) -> String {
        const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..n).map(|_| *self.pick(CHARS) as char).collect()
    }
}

/// One message as generated: LF line ends, exactly the bytes written to disk.
#[derive(Debug, Clone)]
pub struct Message {
    pub bytes: Vec<u8>,
    /// Without the angle brackets.
    pub message_id: String,
    /// The decoded Subject.
    pub subject: String,
    /// The Date header as a Unix time (also the file's mtime, so IMAP INTERNALDATE).
    pub date: i64,
    /// Maildir flags, sorted ("" or e.g. "FS"); ignored when `recent`.
    pub flags: String,
    /// Whether it goes to new/ (unseen, \Recent) rather than cur/.
    pub recent: bool,
}

/// One message written by [`seed`].
#[derive(Debug, Clone)]
pub struct Seeded {
    /// The file in `cur/` or `new/`. Dovecot may rename it later (flag changes, new/ -> cur/).
    pub path: PathBuf,
    pub message: Message,
}

impl Seeded {
    /// The bytes on disk (LF line ends).
    pub fn bytes(&self) -> &[u8] {
        &self.message.bytes
    }

    /// The bytes as IMAP and POP3 serve them: CRLF line ends.
    pub fn crlf(&self) -> Vec<u8> {
        to_crlf(&self.message.bytes)
    }
}

/// LF line ends to CRLF (input must hold no CR).
pub fn to_crlf(lf: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(lf.len() + lf.len() / 40);
    for &b in lf {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// Puts `n` messages into `folder` of `user` ("INBOX", "Archive", "Lists/rust", ...), generated
/// from a seed derived from the folder name. Seeding the same folder twice gives the same
/// Message-IDs again: use [`seed_with`] and another seed for a second batch.
pub fn seed(user: &TestUser, folder: &str, n: usize) -> Vec<Seeded> {
    seed_with(user, folder, n, fnv1a(folder.as_bytes()))
}

/// Like [`seed`], with an explicit seed.
pub fn seed_with(user: &TestUser, folder: &str, n: usize, seed: u64) -> Vec<Seeded> {
    let servers = servers();
    let (uid, gid) = (servers.mail_uid, servers.mail_gid);
    let dir = user.folder_dir(folder);
    ensure_maildir(&dir, dir != user.maildir, uid, gid);
    let messages = generate(seed, &user.email, n);
    let mut out = Vec::with_capacity(n);
    for message in messages {
        let path = write_message(&dir, &message, uid, gid);
        out.push(Seeded { path, message });
    }
    out
}

/// Puts the given messages into `folder` of `user`, in order (later ones get later UIDs).
pub fn seed_messages(user: &TestUser, folder: &str, messages: Vec<Message>) -> Vec<Seeded> {
    let servers = servers();
    let (uid, gid) = (servers.mail_uid, servers.mail_gid);
    let dir = user.folder_dir(folder);
    ensure_maildir(&dir, dir != user.maildir, uid, gid);
    messages
        .into_iter()
        .map(|message| Seeded {
            path: write_message(&dir, &message, uid, gid),
            message,
        })
        .collect()
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

fn ensure_maildir(dir: &Path, subfolder: bool, uid: u32, gid: u32) {
    for sub in ["", "cur", "new", "tmp"] {
        let d = dir.join(sub);
        if !d.is_dir() {
            fs::create_dir_all(&d).unwrap_or_else(|e| panic!("cannot create {}: {e}", d.display()));
            fs::set_permissions(&d, fs::Permissions::from_mode(0o700))
                .unwrap_or_else(|e| panic!("cannot chmod {}: {e}", d.display()));
            chown(&d, Some(uid), Some(gid))
                .unwrap_or_else(|e| panic!("cannot chown {}: {e}", d.display()));
        }
    }
    let marker = dir.join("maildirfolder");
    if subfolder && !marker.exists() {
        File::create(&marker).unwrap_or_else(|e| panic!("cannot create {}: {e}", marker.display()));
        chown(&marker, Some(uid), Some(gid))
            .unwrap_or_else(|e| panic!("cannot chown {}: {e}", marker.display()));
    }
}

fn write_message(dir: &Path, message: &Message, uid: u32, gid: u32) -> PathBuf {
    // Increases across every seed call of this process: later batches get later UIDs.
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    let k = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    let size = message.bytes.len();
    let vsize = size + message.bytes.iter().filter(|&&b| b == b'\n').count();
    let base = format!(
        "{}.M{}P{}Q{k}.postie-seed,S={size},W={vsize}",
        1_600_000_000 + k,
        k % 1_000_000,
        std::process::id()
    );
    let tmp = dir.join("tmp").join(&base);
    let dest = if message.recent {
        dir.join("new").join(&base)
    } else {
        dir.join("cur").join(format!("{base}:2,{}", message.flags))
    };
    let mut file =
        File::create(&tmp).unwrap_or_else(|e| panic!("cannot create {}: {e}", tmp.display()));
    file.write_all(&message.bytes)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", tmp.display()));
    let mtime = UNIX_EPOCH + Duration::from_secs(message.date.max(0) as u64);
    file.set_modified(mtime)
        .unwrap_or_else(|e| panic!("cannot set the mtime of {}: {e}", tmp.display()));
    drop(file);
    chown(&tmp, Some(uid), Some(gid))
        .unwrap_or_else(|e| panic!("cannot chown {}: {e}", tmp.display()));
    fs::rename(&tmp, &dest)
        .unwrap_or_else(|e| panic!("cannot rename {} into place: {e}", tmp.display()));
    dest
}

//! Fetching: envelopes newest first in pipelined batches, whole bodies (one, or a UID range
//! streamed), single parts, partial prefixes, and the flag diff.
//!
//! Pipelining: [`FetchStream`] keeps up to `depth` `UID FETCH` commands in flight on the one
//! connection, so the server never waits for us between batches; records come out as soon as
//! each FETCH response is parsed. Dropping a stream early is safe: the completions still owed
//! are read and discarded before the session's next command.

use std::collections::VecDeque;
use std::ops::RangeInclusive;

use async_imap::imap_proto::{AttributeValue, RequestId, Response};

use super::codec;
use super::error::ImapError;
use super::session::{ImapSession, ImapStream, Step};
use super::types::{EnvelopeRecord, FetchedBody, FlagUpdate};

/// The attributes of the envelope fetch (issue #6): enough for the list, threading and the
/// attachment marker, without a byte of any body.
const ENVELOPE_ITEMS: &str = "UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE \
                              BODY.PEEK[HEADER.FIELDS (REFERENCES IN-REPLY-TO LIST-ID)]";
const ENVELOPE_ITEMS_NO_BS: &str = "UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE \
                                    BODY.PEEK[HEADER.FIELDS (REFERENCES IN-REPLY-TO LIST-ID)]";

/// How the envelope fetch is cut up.
#[derive(Debug, Clone)]
pub struct EnvelopeOptions {
    /// Messages in the first batch: small, so the newest screenful arrives at once.
    pub first_batch: u32,
    /// Messages per later batch.
    pub batch: u32,
    /// Commands in flight at once.
    pub depth: usize,
    /// Ask for BODYSTRUCTURE. imap-proto fails on some malformed structures (a raw 8-bit
    /// file name), which breaks the connection: a caller that sees the same envelope fetch
    /// break twice can retry without it.
    pub bodystructure: bool,
}

impl Default for EnvelopeOptions {
    fn default() -> Self {
        Self {
            first_batch: 200,
            batch: 2000,
            depth: 4,
            bodystructure: true,
        }
    }
}

/// How bulk body downloads are cut up.
#[derive(Debug, Clone)]
pub struct BodyOptions {
    /// Messages per `UID FETCH` command.
    pub batch: u32,
    /// Commands in flight at once.
    pub depth: usize,
}

impl Default for BodyOptions {
    fn default() -> Self {
        Self {
            batch: 500,
            depth: 3,
        }
    }
}

/// Splits `lo..=hi` into UID ranges, highest first: the first `first` wide, the rest `rest`.
pub(crate) fn descending_ranges(lo: u32, hi: u32, first: u32, rest: u32) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    if lo == 0 || hi < lo {
        return out;
    }
    let mut top = hi;
    let mut width = first.max(1);
    loop {
        let bottom = top.saturating_sub(width - 1).max(lo);
        out.push((bottom, top));
        if bottom == lo {
            break;
        }
        top = bottom - 1;
        width = rest.max(1);
    }
    out
}

/// Splits `lo..=hi` ascending into ranges of `width`.
pub(crate) fn ascending_ranges(lo: u32, hi: u32, width: u32) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    if lo == 0 || hi < lo {
        return out;
    }
    let mut bottom = lo;
    loop {
        let top = bottom.saturating_add(width.max(1) - 1).min(hi);
        out.push((bottom, top));
        if top == hi {
            break;
        }
        bottom = top + 1;
    }
    out
}

/// A pipelined sequence of `UID FETCH` commands whose FETCH responses become `T`s.
///
/// Pull with [`FetchStream::next`] (one record) or [`FetchStream::next_batch`] (whatever
/// arrived up to the end of the next command): write each batch to the index while the
/// server keeps sending the next ones.
pub struct FetchStream<'a, S: ImapStream, T> {
    session: &'a mut ImapSession<S>,
    commands: VecDeque<String>,
    in_flight: VecDeque<RequestId>,
    depth: usize,
    convert: fn(&[AttributeValue<'_>]) -> Option<T>,
    ready: VecDeque<T>,
    failed: bool,
    /// How many records [`FetchStream::next_batch`] hands out at most: the first batch, then
    /// the rest. Dovecot runs pipelined FETCHes concurrently and sends a command's tagged OK
    /// late, so batches are cut by count, not by command completion.
    batch_sizes: (usize, usize),
    batches_given: usize,
    /// Records outside this UID range are dropped (`n:*` returns the last message even when
    /// its UID is below n).
    uid_range: (u32, u32),
}

/// A record that carries its UID.
pub trait HasUid {
    fn uid(&self) -> u32;
}

impl HasUid for EnvelopeRecord {
    fn uid(&self) -> u32 {
        self.uid
    }
}

impl HasUid for FetchedBody {
    fn uid(&self) -> u32 {
        self.uid
    }
}

impl HasUid for FlagUpdate {
    fn uid(&self) -> u32 {
        self.uid
    }
}

/// The upper end of a UID range on the wire: `*` for "no limit".
fn upper(hi: u32) -> String {
    if hi == u32::MAX {
        "*".to_owned()
    } else {
        hi.to_string()
    }
}

impl<S: ImapStream, T: HasUid> FetchStream<'_, S, T> {
    async fn top_up(&mut self) -> Result<(), ImapError> {
        if self.in_flight.is_empty() {
            // Nothing of ours pending: anything left over from earlier is settled here.
            if let Some(command) = self.commands.pop_front() {
                let tag = self.session.send(&command).await?;
                self.track(tag);
            }
        }
        while self.in_flight.len() < self.depth {
            let Some(command) = self.commands.pop_front() else {
                break;
            };
            let tag = self.session.send_now(&command).await?;
            self.track(tag);
        }
        Ok(())
    }

    fn track(&mut self, tag: RequestId) {
        // Registered as an orphan until we read its completion, so a dropped stream leaves
        // the session able to resynchronise.
        self.session.orphans.push(tag.clone());
        self.in_flight.push_back(tag);
    }

    /// Reads one response; returns true when a command completed.
    async fn pump(&mut self) -> Result<bool, ImapError> {
        let convert = self.convert;
        let step = self
            .session
            .step(|r| match r {
                Response::Fetch(_, attrs) => convert(attrs),
                _ => None,
            })
            .await?;
        match step {
            Step::More(Some(item)) => {
                let (lo, hi) = self.uid_range;
                if (lo..=hi).contains(&item.uid()) {
                    self.ready.push_back(item);
                }
                Ok(false)
            }
            Step::More(None) | Step::Bye(_) => Ok(false),
            Step::Done { tag, result } => {
                self.session.orphans.retain(|o| o != &tag);
                self.in_flight.retain(|t| t != &tag);
                if let Err((status, message)) = result {
                    self.failed = true;
                    return Err(self.session.refused("UID FETCH", status, message));
                }
                Ok(true)
            }
        }
    }

    /// The next record, or None when every command has completed.
    pub async fn next(&mut self) -> Result<Option<T>, ImapError> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Ok(Some(item));
            }
            if self.failed {
                return Ok(None);
            }
            self.top_up().await?;
            if self.in_flight.is_empty() {
                return Ok(None);
            }
            self.pump().await?;
        }
    }

    /// The next batch of records (never empty), or None when done. The first batch holds up
    /// to the first-batch size (the newest screenful, quickly), later ones up to the batch
    /// size; a batch is also cut short when a command completes.
    pub async fn next_batch(&mut self) -> Result<Option<Vec<T>>, ImapError> {
        let limit = if self.batches_given == 0 {
            self.batch_sizes.0
        } else {
            self.batch_sizes.1
        }
        .max(1);
        loop {
            if self.ready.len() >= limit {
                break;
            }
            if self.failed {
                break;
            }
            self.top_up().await?;
            if self.in_flight.is_empty() {
                break;
            }
            if self.pump().await? && !self.ready.is_empty() {
                break;
            }
        }
        if self.ready.is_empty() {
            return Ok(None);
        }
        self.batches_given += 1;
        let n = self.ready.len().min(limit);
        Ok(Some(self.ready.drain(..n).collect()))
    }
}

fn body_of(attrs: &[AttributeValue<'_>]) -> Option<FetchedBody> {
    let mut uid = None;
    let mut flags = Vec::new();
    let mut internal_date = None;
    let mut bytes = None;
    for a in attrs {
        match a {
            AttributeValue::Uid(u) => uid = Some(*u),
            AttributeValue::Flags(f) => flags = f.iter().map(|s| s.to_string()).collect(),
            AttributeValue::InternalDate(d) => internal_date = codec::parse_internal_date(d),
            AttributeValue::BodySection { data, .. } => {
                bytes = Some(data.as_ref().map(|d| d.to_vec()).unwrap_or_default())
            }
            AttributeValue::Rfc822(data) => {
                bytes = Some(data.as_ref().map(|d| d.to_vec()).unwrap_or_default())
            }
            _ => {}
        }
    }
    Some(FetchedBody {
        uid: uid?,
        flags,
        internal_date,
        bytes: bytes?,
    })
}

fn flags_of(attrs: &[AttributeValue<'_>]) -> Option<FlagUpdate> {
    let (uid, flags, modseq) = codec::flag_update(attrs);
    Some(FlagUpdate {
        uid: uid?,
        flags: flags?,
        modseq,
    })
}

impl<S: ImapStream> ImapSession<S> {
    fn stream<T>(
        &mut self,
        commands: Vec<String>,
        depth: usize,
        batch_sizes: (usize, usize),
        convert: fn(&[AttributeValue<'_>]) -> Option<T>,
    ) -> FetchStream<'_, S, T> {
        FetchStream {
            session: self,
            commands: commands.into(),
            in_flight: VecDeque::new(),
            depth: depth.max(1),
            convert,
            ready: VecDeque::new(),
            failed: false,
            batch_sizes,
            batches_given: 0,
            uid_range: (1, u32::MAX),
        }
    }

    /// Envelopes of the selected folder's messages with UIDs in `uids`, newest (highest UID)
    /// batch first. For a first sync pass `1..=selected.uid_next - 1`; for new mail
    /// `last_known + 1..=uid_next - 1`. Batches are widened by the folder's UID density, so a
    /// sparse folder (UIDNEXT 1,000,000, 1,000 messages) does not cost thousands of empty
    /// commands.
    pub fn fetch_envelopes(
        &mut self,
        uids: RangeInclusive<u32>,
        options: &EnvelopeOptions,
    ) -> Result<FetchStream<'_, S, EnvelopeRecord>, ImapError> {
        let sel = self.require_selected()?;
        let (lo, mut hi) = (*uids.start(), *uids.end());
        if sel.uid_next > 0 {
            hi = hi.min(sel.uid_next.saturating_sub(1));
        }
        let span = u64::from(hi.saturating_sub(lo)) + 1;
        let exists = u64::from(sel.exists.max(1));
        // UIDs per message, at least 1: scale batch widths so each holds about `batch` messages.
        let spread = if sel.uid_next > 0 {
            (span / exists).max(1)
        } else {
            1
        };
        let widen = |n: u32| u32::try_from(u64::from(n) * spread).unwrap_or(u32::MAX);
        let items = if options.bodystructure {
            ENVELOPE_ITEMS
        } else {
            ENVELOPE_ITEMS_NO_BS
        };
        let commands = if sel.uid_next == 0 {
            // No UIDNEXT: one open-ended command (records below `lo` that `lo:*` may return
            // are dropped by the stream).
            vec![format!("UID FETCH {lo}:{} ({items})", upper(hi))]
        } else {
            descending_ranges(lo, hi, widen(options.first_batch), widen(options.batch))
                .into_iter()
                .map(|(a, b)| format!("UID FETCH {a}:{b} ({items})"))
                .collect()
        };
        let sizes = (options.first_batch as usize, options.batch as usize);
        let mut stream = self.stream(commands, options.depth, sizes, codec::envelope_record);
        stream.uid_range = (lo, hi);
        Ok(stream)
    }

    /// Full messages with UIDs in `uids` (ascending), exact bytes, with flags and
    /// INTERNALDATE for the Maildir file name: the `fetch_bodies = "all"` download. Large
    /// pipelined ranges, never one command per message.
    pub fn fetch_bodies(
        &mut self,
        uids: RangeInclusive<u32>,
        options: &BodyOptions,
    ) -> Result<FetchStream<'_, S, FetchedBody>, ImapError> {
        let sel = self.require_selected()?;
        let (lo, mut hi) = (*uids.start(), *uids.end());
        if sel.uid_next > 0 {
            hi = hi.min(sel.uid_next.saturating_sub(1));
        }
        let commands = if sel.uid_next == 0 {
            vec![format!(
                "UID FETCH {lo}:{} (UID FLAGS INTERNALDATE BODY.PEEK[])",
                upper(hi)
            )]
        } else {
            ascending_ranges(lo, hi, options.batch)
                .into_iter()
                .map(|(a, b)| format!("UID FETCH {a}:{b} (UID FLAGS INTERNALDATE BODY.PEEK[])"))
                .collect()
        };
        let mut stream = self.stream(commands, options.depth, (64, 64), body_of);
        stream.uid_range = (lo, hi);
        Ok(stream)
    }

    /// Full messages for an explicit UID list (e.g. the ones not yet downloaded).
    pub fn fetch_bodies_of(
        &mut self,
        uids: &[u32],
        options: &BodyOptions,
    ) -> Result<FetchStream<'_, S, FetchedBody>, ImapError> {
        self.require_selected()?;
        let mut sorted = uids.to_vec();
        sorted.sort_unstable();
        let mut commands = Vec::new();
        for chunk in sorted.chunks(options.batch.max(1) as usize) {
            commands.push(format!(
                "UID FETCH {} (UID FLAGS INTERNALDATE BODY.PEEK[])",
                codec::uid_set(chunk)?
            ));
        }
        Ok(self.stream(commands, options.depth, (64, 64), body_of))
    }

    async fn fetch_one(&mut self, uid: u32, item: &str) -> Result<Option<FetchedBody>, ImapError> {
        self.require_selected()?;
        let command = format!("UID FETCH {uid} (UID {item})");
        let mut stream = self.stream(vec![command], 1, (1, 1), body_of);
        let mut found = None;
        while let Some(b) = stream.next().await? {
            if b.uid == uid {
                found = Some(b);
            }
        }
        Ok(found)
    }

    /// One message's exact bytes (`BODY.PEEK[]`: the \Seen flag is not set). None when the
    /// UID no longer exists.
    pub async fn fetch_body(&mut self, uid: u32) -> Result<Option<Vec<u8>>, ImapError> {
        Ok(self.fetch_one(uid, "BODY.PEEK[]").await?.map(|b| b.bytes))
    }

    /// One MIME part (`section` as in [`super::types::BodyPart::section`], e.g. `2` or `1.2`),
    /// still transfer-encoded as the server stores it.
    pub async fn fetch_part(
        &mut self,
        uid: u32,
        section: &str,
    ) -> Result<Option<Vec<u8>>, ImapError> {
        if section.is_empty() || !section.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return Err(ImapError::InvalidArgument {
                reason: format!("{section:?} is not a MIME part number"),
            });
        }
        Ok(self
            .fetch_one(uid, &format!("BODY.PEEK[{section}]"))
            .await?
            .map(|b| b.bytes))
    }

    /// The first `len` bytes of a message (`BODY.PEEK[]<0.len>`), for previews.
    pub async fn fetch_prefix(&mut self, uid: u32, len: u32) -> Result<Option<Vec<u8>>, ImapError> {
        Ok(self
            .fetch_one(uid, &format!("BODY.PEEK[]<0.{len}>"))
            .await?
            .map(|b| b.bytes))
    }

    /// Current flags of every message in the selected folder (`UID FETCH 1:* (UID FLAGS)`),
    /// or with CONDSTORE and `changed_since` only those changed after that modseq
    /// (`(CHANGEDSINCE m)`). Without QRESYNC, expunges do not show here: compare
    /// [`ImapSession::all_uids`] with the store.
    pub async fn fetch_flags(
        &mut self,
        changed_since: Option<u64>,
    ) -> Result<Vec<FlagUpdate>, ImapError> {
        self.require_selected()?;
        let command = match changed_since {
            Some(m) if self.caps.condstore => {
                format!("UID FETCH 1:* (UID FLAGS) (CHANGEDSINCE {m})")
            }
            _ => "UID FETCH 1:* (UID FLAGS)".to_owned(),
        };
        let mut out = Vec::new();
        let mut stream = self.stream(vec![command], 1, (4096, 4096), flags_of);
        while let Some(u) = stream.next().await? {
            out.push(u);
        }
        Ok(out)
    }

    /// Every UID in the selected folder (`UID SEARCH ALL`), to detect expunges without
    /// QRESYNC.
    pub async fn all_uids(&mut self) -> Result<Vec<u32>, ImapError> {
        use async_imap::imap_proto::MailboxDatum;
        self.require_selected()?;
        let mut uids = Vec::new();
        let tag = self.send("UID SEARCH ALL").await?;
        self.finish(&tag, "UID SEARCH", |r| match r {
            Response::MailboxData(MailboxDatum::Search(found)) => {
                uids.extend_from_slice(found);
                true
            }
            _ => false,
        })
        .await?;
        uids.sort_unstable();
        Ok(uids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descending_ranges_cover_everything_newest_first() {
        assert_eq!(
            descending_ranges(1, 1000, 100, 400),
            vec![(901, 1000), (501, 900), (101, 500), (1, 100)]
        );
        assert_eq!(descending_ranges(5, 5, 100, 400), vec![(5, 5)]);
        assert!(descending_ranges(6, 5, 100, 400).is_empty());
        assert!(descending_ranges(0, 5, 100, 400).is_empty());
        assert_eq!(
            descending_ranges(1, u32::MAX, u32::MAX, u32::MAX),
            vec![(1, u32::MAX)]
        );
    }

    #[test]
    fn ascending_ranges_cover_everything() {
        assert_eq!(ascending_ranges(1, 10, 4), vec![(1, 4), (5, 8), (9, 10)]);
        assert_eq!(ascending_ranges(3, 3, 4), vec![(3, 3)]);
        assert_eq!(
            ascending_ranges(u32::MAX - 1, u32::MAX, 10),
            vec![(u32::MAX - 1, u32::MAX)]
        );
    }
}

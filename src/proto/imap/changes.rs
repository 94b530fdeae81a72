//! Changing messages on the server: flags, moves, expunges, APPEND.
//!
//! APPEND and MOVE/COPY are raw commands: async-imap's typed calls drop APPENDUID and COPYUID,
//! which the engine needs to record a new message's UID without refetching.

use chrono::{DateTime, FixedOffset};

use super::codec;
use super::error::ImapError;
use super::session::{ImapSession, ImapStream};
use super::types::AppendUid;

/// How STORE changes the flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagOp {
    Add,
    Remove,
    Replace,
}

/// Where moved messages ended up (COPYUID, with UIDPLUS): pairs of (old UID, new UID).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    pub uid_validity: u32,
    pub pairs: Vec<(u32, u32)>,
}

fn moved(copy: Option<(u32, Vec<u32>, Vec<u32>)>) -> Option<Moved> {
    copy.map(|(uid_validity, from, to)| Moved {
        uid_validity,
        pairs: from.into_iter().zip(to).collect(),
    })
}

impl<S: ImapStream> ImapSession<S> {
    /// `UID STORE set ±FLAGS.SILENT (...)` on the selected folder.
    pub async fn store_flags(
        &mut self,
        uids: &[u32],
        op: FlagOp,
        flags: &[String],
    ) -> Result<(), ImapError> {
        self.require_selected()?;
        let item = match op {
            FlagOp::Add => "+FLAGS.SILENT",
            FlagOp::Remove => "-FLAGS.SILENT",
            FlagOp::Replace => "FLAGS.SILENT",
        };
        let command = format!(
            "UID STORE {} {item} {}",
            codec::uid_set(uids)?,
            codec::flag_list(flags)?
        );
        self.simple(&command).await.map(|_| ())
    }

    /// Moves messages from the selected folder to `destination`: `UID MOVE` when offered,
    /// else `UID COPY` + `\Deleted` + an expunge of those UIDs only
    /// ([`ImapSession::expunge_uids`]).
    pub async fn move_messages(
        &mut self,
        uids: &[u32],
        destination: &str,
    ) -> Result<Option<Moved>, ImapError> {
        self.require_selected()?;
        let set = codec::uid_set(uids)?;
        let dest = codec::quote(destination)?;
        if self.caps.r#move {
            self.pending_copy_uid = None;
            let done = self.simple(&format!("UID MOVE {set} {dest}")).await?;
            // Servers put COPYUID in an untagged OK before the expunges (RFC 6851 4.3), some
            // in the tagged OK.
            return Ok(moved(self.pending_copy_uid.take().or(done.copy_uid)));
        }
        let done = self.simple(&format!("UID COPY {set} {dest}")).await?;
        self.store_flags(uids, FlagOp::Add, &["\\Deleted".to_owned()])
            .await?;
        self.expunge_uids(uids).await?;
        Ok(moved(done.copy_uid))
    }

    /// Copies messages (COPYUID reported as for [`ImapSession::move_messages`]).
    pub async fn copy_messages(
        &mut self,
        uids: &[u32],
        destination: &str,
    ) -> Result<Option<Moved>, ImapError> {
        self.require_selected()?;
        let done = self
            .simple(&format!(
                "UID COPY {} {}",
                codec::uid_set(uids)?,
                codec::quote(destination)?
            ))
            .await?;
        Ok(moved(done.copy_uid))
    }

    /// UIDs of the selected folder's messages whose Message-ID header holds `<message_id>`
    /// (`UID SEARCH HEADER Message-ID "<id>"`, a substring match on the server): how a moved
    /// message is found when the server did not say its new UID (no UIDPLUS, or the MOVE
    /// was already done by an earlier, interrupted run). Ascending.
    pub async fn uids_by_message_id(&mut self, message_id: &str) -> Result<Vec<u32>, ImapError> {
        self.require_selected()?;
        let command = format!(
            "UID SEARCH HEADER Message-ID {}",
            codec::quote(&format!("<{message_id}>"))?
        );
        let tag = self.send(&command).await?;
        self.search_result(&tag).await
    }

    /// Removes messages already flagged \Deleted, and only `uids`: `UID EXPUNGE` with
    /// UIDPLUS. Without it a plain EXPUNGE removes every \Deleted message of the folder, so
    /// the ones another client marked (and may still undelete) are unmarked first and marked
    /// again after (`UID SEARCH DELETED`; a plain EXPUNGE when there are none). What must
    /// hold: no message outside `uids` is ever expunged by us. The window between the two
    /// STOREs is small; a session that breaks in it leaves the other messages unmarked, never
    /// removed.
    pub async fn expunge_uids(&mut self, uids: &[u32]) -> Result<(), ImapError> {
        self.require_selected()?;
        if self.caps.uidplus {
            let command = format!("UID EXPUNGE {}", codec::uid_set(uids)?);
            return self.simple(&command).await.map(|_| ());
        }
        let tag = self.send("UID SEARCH DELETED").await?;
        let marked = self.search_result(&tag).await?;
        let others: Vec<u32> = marked.into_iter().filter(|u| !uids.contains(u)).collect();
        let deleted = ["\\Deleted".to_owned()];
        if !others.is_empty() {
            self.store_flags(&others, FlagOp::Remove, &deleted).await?;
        }
        let expunged = self.simple("EXPUNGE").await.map(|_| ());
        if !others.is_empty() {
            // Marked again even when the EXPUNGE failed: they were the other client's.
            self.store_flags(&others, FlagOp::Add, &deleted).await?;
        }
        expunged
    }

    /// Appends `message` (exact bytes, CRLF line ends as IMAP requires) to `folder` with
    /// `flags` and an INTERNALDATE. Returns the new UID when the server has UIDPLUS.
    ///
    /// The literal goes non-synchronizing (`{n+}`) with LITERAL+, else after the server's `+`.
    pub async fn append(
        &mut self,
        folder: &str,
        flags: &[String],
        date: Option<DateTime<FixedOffset>>,
        message: &[u8],
    ) -> Result<Option<AppendUid>, ImapError> {
        let mut command = format!("APPEND {}", codec::quote(folder)?);
        if !flags.is_empty() {
            command.push(' ');
            command.push_str(&codec::flag_list(flags)?);
        }
        if let Some(d) = date {
            command.push(' ');
            command.push_str(&codec::format_internal_date(&d));
        }
        let plus = if self.caps.literal_plus { "+" } else { "" };
        command.push_str(&format!(" {{{}{plus}}}", message.len()));
        let tag = self.send(&command).await?;
        if !self.caps.literal_plus {
            // Wait for the continuation; a tagged NO here (e.g. over quota) ends the command.
            self.wait_continuation(&tag, "APPEND").await?;
        }
        let mut payload = Vec::with_capacity(message.len() + 2);
        payload.extend_from_slice(message);
        payload.extend_from_slice(b"\r\n");
        self.write_raw(&payload).await?;
        let done = self.finish(&tag, "APPEND", |_| false).await?;
        Ok(done.append_uid)
    }
}

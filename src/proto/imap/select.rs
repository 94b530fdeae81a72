//! SELECT, with CONDSTORE, and the QRESYNC resync (RFC 7162) that reports what changed since a
//! known (UIDVALIDITY, HIGHESTMODSEQ) in the SELECT itself.
//!
//! imap-proto has no typed QRESYNC SELECT, so these are raw commands; their replies (VANISHED
//! (EARLIER), FETCH with MODSEQ, `[HIGHESTMODSEQ]`) parse fine. `[CLOSED]` and `[NOMODSEQ]`
//! arrive as plain text.

use async_imap::imap_proto::{MailboxDatum, Response, ResponseCode, Status};

use super::codec;
use super::error::ImapError;
use super::session::{ImapSession, ImapStream};
use super::types::{FlagUpdate, Resync, Selected};

impl<S: ImapStream> ImapSession<S> {
    /// Selects `name` (read-write). With CONDSTORE the reply carries HIGHESTMODSEQ.
    pub async fn select(&mut self, name: &str) -> Result<Selected, ImapError> {
        let modifier = if self.caps.condstore && !self.qresync_enabled {
            " (CONDSTORE)"
        } else {
            ""
        };
        let command = format!("SELECT {}{modifier}", codec::quote(name)?);
        Ok(self.run_select(name, &command).await?.selected)
    }

    /// Selects `name` reporting the changes since `known` = (uidvalidity, highest modseq) the
    /// caller stored at its last sync: expunged UIDs and messages whose flags changed. Needs
    /// QRESYNC (check [`ImapSession::capabilities`]); without it, use [`ImapSession::select`]
    /// and [`ImapSession::fetch_flags`].
    ///
    /// A no-change resync costs this one command: no FETCH is sent.
    pub async fn select_qresync(
        &mut self,
        name: &str,
        known: Option<(u32, u64)>,
    ) -> Result<Resync, ImapError> {
        if !self.caps.qresync {
            return Err(ImapError::Unexpected {
                server: self.server.clone(),
                reason: "the server does not offer QRESYNC".into(),
            });
        }
        self.enable_qresync().await?;
        let mut command = format!("SELECT {}", codec::quote(name)?);
        if let Some((validity, modseq)) = known
            && validity != 0
            && modseq != 0
        {
            command.push_str(&format!(" (QRESYNC ({validity} {modseq}))"));
        }
        let resync = self.run_select(name, &command).await?;
        if let Some((validity, _)) = known
            && validity != resync.selected.uid_validity
        {
            // The server sends no changes for a stale UIDVALIDITY; make that plain.
            return Ok(Resync {
                selected: resync.selected,
                vanished: Vec::new(),
                changed: Vec::new(),
            });
        }
        Ok(resync)
    }

    /// `ENABLE QRESYNC`, once per session. After it, expunges arrive as VANISHED.
    pub async fn enable_qresync(&mut self) -> Result<(), ImapError> {
        if self.qresync_enabled {
            return Ok(());
        }
        self.simple("ENABLE QRESYNC").await?;
        self.qresync_enabled = true;
        Ok(())
    }

    async fn run_select(&mut self, name: &str, command: &str) -> Result<Resync, ImapError> {
        self.selected = None;
        // Reports about the previously selected mailbox mean nothing from here on.
        self.unsolicited.clear();
        let mut sel = Selected {
            name: name.to_owned(),
            ..Selected::default()
        };
        let mut vanished = Vec::new();
        let mut changed = Vec::new();
        let mut have_validity = false;
        let tag = self.send(command).await?;
        let done_read_only = {
            let mut read_only = false;
            let done = self
                .finish(&tag, command, |r| match r {
                    Response::MailboxData(MailboxDatum::Exists(n)) => {
                        sel.exists = *n;
                        true
                    }
                    Response::MailboxData(MailboxDatum::Recent(_)) => true,
                    Response::MailboxData(MailboxDatum::Flags(f)) => {
                        sel.flags = f.iter().map(|s| s.to_string()).collect();
                        true
                    }
                    Response::Data {
                        status: Status::Ok,
                        outcome,
                    } => {
                        match &outcome.code {
                            Some(ResponseCode::UidValidity(v)) => {
                                sel.uid_validity = *v;
                                have_validity = true;
                            }
                            Some(ResponseCode::UidNext(n)) => sel.uid_next = *n,
                            Some(ResponseCode::HighestModSeq(m)) => sel.highest_modseq = Some(*m),
                            Some(ResponseCode::PermanentFlags(f)) => {
                                sel.permanent_flags = f.iter().map(|s| s.to_string()).collect()
                            }
                            Some(ResponseCode::ReadOnly) => read_only = true,
                            _ => {}
                        }
                        true
                    }
                    Response::Vanished {
                        earlier: true,
                        uids,
                    } => {
                        vanished.extend(uids.iter().cloned());
                        true
                    }
                    Response::Fetch(_, attrs) => {
                        let (uid, flags, modseq) = codec::flag_update(attrs);
                        if let (Some(uid), Some(flags)) = (uid, flags) {
                            changed.push(FlagUpdate { uid, flags, modseq });
                        }
                        true
                    }
                    _ => false,
                })
                .await?;
            read_only || done.read_only
        };
        sel.read_only = done_read_only;
        if !have_validity {
            return Err(ImapError::Unexpected {
                server: self.server.clone(),
                reason: format!("SELECT {name} reported no UIDVALIDITY"),
            });
        }
        self.selected = Some(sel.clone());
        Ok(Resync {
            selected: sel,
            vanished,
            changed,
        })
    }

    /// What the last SELECT reported (None when nothing is selected).
    pub fn selected(&self) -> Option<&Selected> {
        self.selected.as_ref()
    }

    pub(crate) fn require_selected(&self) -> Result<&Selected, ImapError> {
        self.selected
            .as_ref()
            .ok_or_else(|| ImapError::InvalidArgument {
                reason: "no folder is selected".into(),
            })
    }
}

//! OpenPGP off the store thread: gpg may wait for a pinentry or a slow key (up to its
//! timeout), so the store thread never runs it to show a message. An opened message with
//! OpenPGP content is answered at once with a `PGP: checking…` line (and, when encrypted,
//! replies that start encrypted); gpg runs on a blocking worker; when it is done the reader gets
//! the same message again with the result (the decrypted text, the signature status).
//!
//! What must hold: the list and everything else keep answering while gpg runs; the second
//! answer is an [`ui::Event::Message`] for the same id, which the UI takes only while that
//! message is still the one open; the decrypted text goes to the UI (and, with
//! `index_decrypted`, the index) only, never to the store.

use crate::pgp::Inspection;
use crate::pgp::read::Kind;
use crate::store;
use crate::ui;

use super::{Backend, Internal};

/// The reader's `PGP` line while gpg runs.
pub(super) const CHECKING: &str = "checking… (gpg is running)";

/// An opened message waiting for gpg, and what gpg found.
pub(crate) struct Checked {
    message: ui::Message,
    raw: Vec<u8>,
    sid: store::MessageId,
    note: String,
    /// None: no OpenPGP content after all.
    inspection: Option<Inspection>,
}

/// Says which message only: the rest may be decrypted text, which no log gets.
impl std::fmt::Debug for Checked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checked")
            .field("message", &self.message.id)
            .finish_non_exhaustive()
    }
}

/// Whether the message still waits for gpg (the reader shows [`CHECKING`]).
pub(super) fn pending(message: &ui::Message) -> bool {
    message
        .headers
        .iter()
        .any(|(name, value)| name == "PGP" && value == CHECKING)
}

impl Backend {
    /// When `raw` has OpenPGP content: marks the message as being checked and starts gpg on a
    /// blocking worker ([`Backend::pgp_checked`] gets the result). `note` is the outbox note
    /// the body starts with.
    pub(super) fn start_pgp_check(
        &mut self,
        message: &mut ui::Message,
        raw: Vec<u8>,
        sid: store::MessageId,
        note: String,
    ) {
        let Some(kind) = crate::pgp::read::kind_of(&raw) else {
            return;
        };
        message
            .headers
            .push(("PGP".to_owned(), CHECKING.to_owned()));
        if kind == Kind::Encrypted {
            // A reply made before gpg is done must not go out in clear either.
            super::pgp::answer_encrypted(&mut message.prefill);
        }
        let gpg = self.gpg.clone();
        let internal = self.internal.clone();
        let message = message.clone();
        self.network.spawn_blocking(move || {
            let inspection = crate::pgp::inspect(&gpg, &raw);
            let checked = Checked {
                message,
                raw,
                sid,
                note,
                inspection,
            };
            let _ = internal.send(Internal::PgpChecked(Box::new(checked)));
        });
    }

    /// An account with `autocrypt = true` remembers the Autocrypt key an opened message
    /// carries, on a blocking worker (gpg imports it); a failure is only logged.
    pub(super) fn remember_autocrypt(&self, account: &str, raw: &[u8]) {
        let autocrypt = self
            .options
            .config
            .account(account)
            .is_some_and(|a| a.pgp.autocrypt);
        let Some(peer) = crate::pgp::autocrypt::peer_of(raw).filter(|_| autocrypt) else {
            return;
        };
        let gpg = self.gpg.clone();
        let data_dir = self.options.config.data_dir.clone();
        self.network.spawn_blocking(move || {
            if let Err(e) = crate::pgp::autocrypt::remember(&gpg, &data_dir, &peer) {
                tracing::warn!("cannot remember the Autocrypt key of {}: {e}", peer.addr);
            }
        });
    }

    /// gpg is done with an opened message: the reader gets it again, with the result.
    pub(super) async fn pgp_checked(&mut self, checked: Checked) -> bool {
        let Checked {
            mut message,
            raw,
            sid,
            note,
            inspection,
        } = checked;
        message
            .headers
            .retain(|(name, value)| !(name == "PGP" && value == CHECKING));
        if let Some(inspection) = &inspection {
            self.show_pgp(&mut message, &raw, sid, &note, inspection);
        }
        self.answer_open(message.id.clone(), Ok(message)).await
    }
}

//! The reader's OpenPGP view: a message that is signed or encrypted gets a `PGP` line among
//! its headers (the status `postie read` prints), and an encrypted one shows its decrypted text.
//!
//! What must hold: the decrypted text goes to the UI only, never to the store or the index
//! (`index_decrypted = false`, docs/pgp.md); attachments inside the encryption are listed in
//! the body, not in the attachment list, because saving and opening read parts of the stored
//! (encrypted) message by number and would pick the wrong bytes.

use std::collections::BTreeMap;

use crate::config::{Config, PgpEncrypt};
use crate::mail::ParsedMessage;
use crate::mail::compose::Composed;
use crate::pgp::read::Kind;
use crate::pgp::{Inspection, Protection, gpg::Gpg};
use crate::ui::{self, BackendError, EncryptChoice, PgpChoice};

use super::Backend;

/// Each account's `pgp_sign` / `pgp_encrypt`, as the composer starts with them.
pub fn defaults(config: &Config) -> BTreeMap<String, PgpChoice> {
    config
        .accounts
        .iter()
        .map(|a| {
            let encrypt = match a.pgp.encrypt {
                PgpEncrypt::Never => EncryptChoice::No,
                PgpEncrypt::IfAllKeys => EncryptChoice::IfAllKeys,
                PgpEncrypt::Always => EncryptChoice::Yes,
            };
            let choice = PgpChoice {
                sign: a.pgp.sign,
                encrypt,
            };
            (a.name.clone(), choice)
        })
        .collect()
}

impl Backend {
    /// The reader's OpenPGP view of a message (nothing for one without OpenPGP content); with
    /// `index_decrypted = true`, the decrypted text goes into the search index too.
    pub(super) fn show_pgp(
        &mut self,
        message: &mut ui::Message,
        raw: &[u8],
        id: crate::store::MessageId,
        note: &str,
    ) {
        let Some(inspection) = inspect(raw) else {
            return;
        };
        apply(message, &inspection, note);
        if inspection.kind == Kind::Encrypted {
            if let Some(shown) = &inspection.shown {
                let decrypted = crate::pgp::mime::with_entity(raw, shown);
                let account = message.folder.account.clone();
                message.prefill = self.prefill(&decrypted, &account, &message.id);
                // Its attachments are inside the encryption: the stored message has no such
                // parts to take them from.
                message.prefill.forward.attachments.clear();
            }
            answer_encrypted(&mut message.prefill);
        }
        if let Some(shown) = &inspection.shown
            && self.options.config.index_decrypted
        {
            let text = ParsedMessage::parse_for_index(shown).text;
            if let Err(e) = self.store.index_body_text(id, &text) {
                tracing::warn!("cannot index the decrypted text: {e}");
            }
        }
    }

    /// The draft's OpenPGP choice, or its account's defaults when the composer set none.
    pub(super) fn pgp_choice(&self, d: &ui::Draft) -> PgpChoice {
        d.pgp.unwrap_or_else(|| {
            defaults(&self.options.config)
                .remove(&d.account)
                .unwrap_or_default()
        })
    }

    /// Signs and/or encrypts a composed message as the draft says (through gpg, on this
    /// thread: it may wait for pinentry). A recipient without a key fails it: nothing is sent
    /// or queued in plaintext.
    pub(super) fn protect(
        &self,
        d: &ui::Draft,
        composed: Composed,
    ) -> Result<Composed, BackendError> {
        let choice = self.pgp_choice(d);
        if choice == PgpChoice::default() {
            return Ok(composed);
        }
        let fail = |e: crate::pgp::PgpError| {
            BackendError::new(
                e.kind(),
                format!(
                    "account {:?} (OpenPGP through gpg): {}",
                    d.account,
                    crate::error::chain_line(&e)
                ),
            )
        };
        let gpg = Gpg::default();
        let encrypt = match choice.encrypt {
            EncryptChoice::No => false,
            EncryptChoice::Yes => true,
            EncryptChoice::IfAllKeys => crate::pgp::mime::missing_keys(&gpg, &composed.recipients)
                .map_err(fail)?
                .is_empty(),
        };
        let account = self.options.config.account(&d.account);
        let how = Protection::for_sender(
            choice.sign,
            encrypt,
            &composed.envelope_from,
            account.and_then(|a| a.pgp_key_for(&composed.envelope_from)),
        );
        let bytes =
            crate::pgp::protect(&gpg, &composed.bytes, &composed.recipients, &how).map_err(fail)?;
        Ok(composed.with_bytes(bytes))
    }
}

/// Replies to (and the forward of) an encrypted message start encrypted and signed, whatever
/// the account's `pgp_encrypt` says (neomutt's `crypt_replyencrypt`): its text is in the quote.
fn answer_encrypted(prefill: &mut ui::Prefill) {
    let encrypted = Some(PgpChoice {
        sign: true,
        encrypt: EncryptChoice::Yes,
    });
    let drafts = [
        &mut prefill.reply,
        &mut prefill.reply_all,
        &mut prefill.forward,
    ];
    for d in drafts.into_iter().chain(prefill.list_reply.as_mut().ok()) {
        d.pgp = encrypted;
    }
}

/// Checks the message with gpg when it has OpenPGP content; None (and no gpg run) otherwise.
pub(super) fn inspect(raw: &[u8]) -> Option<Inspection> {
    crate::pgp::inspect(&Gpg::default(), raw)
}

/// Puts what [`inspect`] found into the message the reader shows.
pub(super) fn apply(message: &mut ui::Message, inspection: &Inspection, note: &str) {
    let line = inspection.status_line();
    let value = line.split_once(": ").map_or(line.as_str(), |(_, v)| v);
    let value = if line.starts_with("PGP (inline)") {
        format!("(inline) {value}")
    } else {
        value.to_owned()
    };
    message.headers.push(("PGP".to_owned(), value));
    let Some(shown) = &inspection.shown else {
        return;
    };
    let decrypted = ParsedMessage::parse_with_width(shown, 78);
    let mut body = format!("{note}{}", decrypted.text);
    if !decrypted.attachments.is_empty() {
        body.push_str("\n[encrypted attachments (save them with gpg --decrypt):");
        for a in &decrypted.attachments {
            body.push_str(&format!(
                "\n  {} ({}, {} bytes)",
                a.name, a.mime_type, a.size
            ));
        }
        body.push(']');
    }
    message.body = body;
    message.attachments.clear();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pgp::read::Decryption;

    fn message() -> ui::Message {
        ui::Message {
            id: ui::MessageId("1".into()),
            folder: ui::FolderRef::new("a", "INBOX"),
            headers: vec![("Subject".into(), "s".into())],
            all_headers: Vec::new(),
            body: "-----BEGIN PGP MESSAGE-----".into(),
            downloaded: true,
            attachments: vec![ui::AttachmentInfo {
                part: 1,
                name: "encrypted.asc".into(),
                mime: "application/octet-stream".into(),
                size: 10,
            }],
            prefill: ui::Prefill::default(),
        }
    }

    #[test]
    fn a_decrypted_message_shows_its_text_status_and_no_outer_attachments() {
        let inspection = Inspection {
            kind: Kind::Encrypted,
            decryption: Some(Decryption::Decrypted {
                key: Some("1111222233334444".into()),
            }),
            signatures: Vec::new(),
            shown: Some(
                b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
Content-Type: text/plain\r\n\r\nthe secret\r\n--b\r\nContent-Type: application/pdf\r\n\
Content-Disposition: attachment; filename=plan.pdf\r\n\r\nPDF\r\n--b--\r\n"
                    .to_vec(),
            ),
            problem: None,
        };
        let mut m = message();
        apply(&mut m, &inspection, "");
        assert_eq!(
            m.headers.last(),
            Some(&(
                "PGP".to_owned(),
                "decrypted with key 1111222233334444; not signed".to_owned()
            ))
        );
        assert!(m.body.starts_with("the secret"), "{}", m.body);
        assert!(
            m.body.contains("plan.pdf (application/pdf, 3 bytes)"),
            "{}",
            m.body
        );
        assert!(m.attachments.is_empty());
    }

    /// The reader styles a PGP line as an error exactly when the inspection is alarming.
    #[test]
    fn the_reader_alarm_matches_the_inspection() {
        use crate::pgp::{Signature, SignatureState, Trust};
        let signature = |state| Signature {
            state,
            key_id: "DD8AADFDF435C992".into(),
            fingerprint: None,
            user_id: Some("Alice <a@x.test>".into()),
            trust: Trust::Unknown,
            expired: false,
        };
        let cases = [
            (Kind::Signed, None, vec![signature(SignatureState::Good)]),
            (Kind::Signed, None, vec![signature(SignatureState::Bad)]),
            (Kind::Signed, None, vec![signature(SignatureState::Revoked)]),
            (
                Kind::Signed,
                None,
                vec![signature(SignatureState::UnknownKey)],
            ),
            (
                Kind::Encrypted,
                Some(Decryption::Failed {
                    encrypted_to: vec!["AAAA".into()],
                    no_secret_key: true,
                }),
                Vec::new(),
            ),
        ];
        for (kind, decryption, signatures) in cases {
            let inspection = Inspection {
                kind,
                decryption,
                signatures,
                shown: None,
                problem: None,
            };
            let mut m = message();
            apply(&mut m, &inspection, "");
            let (_, value) = m.headers.last().expect("a PGP line");
            assert_eq!(
                ui::pgp_line_is_alarming(value),
                inspection.is_alarming(),
                "{value}"
            );
        }
    }
}

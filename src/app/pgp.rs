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
    /// The reader's OpenPGP view of a message, from what gpg found (`pgp_check`); with
    /// `index_decrypted = true`, the decrypted text goes into the search index too.
    pub(super) fn show_pgp(
        &mut self,
        message: &mut ui::Message,
        raw: &[u8],
        id: crate::store::MessageId,
        note: &str,
        inspection: &Inspection,
    ) {
        apply(message, inspection, note);
        if inspection.kind == Kind::Encrypted {
            if let Some(shown) = &inspection.shown {
                let decrypted = crate::pgp::mime::with_entity(raw, shown);
                let account = message.folder.account.clone();
                // Its forward names the decrypted form's parts: `readable` finds them.
                message.prefill = self.prefill(&decrypted, &account, &message.id);
            }
            answer_encrypted(&mut message.prefill);
        }
        if let Some(shown) = &inspection.shown
            && self.options.config.index_decrypted
        {
            let mut text = ParsedMessage::parse_for_index(shown).text;
            // The real Subject of protected headers is searchable with the text.
            if let Some(subject) = crate::pgp::read::protected_subject(shown) {
                text = format!("{subject}\n{text}");
            }
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

    /// What signing and encrypting `d` needs, to run away from this thread
    /// ([`ProtectJob::run`] may wait for pinentry); None when there is nothing to do.
    pub(super) fn protect_job(&self, d: &ui::Draft) -> Option<ProtectJob> {
        let choice = self.pgp_choice(d);
        let account = self.options.config.account(&d.account).cloned();
        let autocrypt = account.as_ref().is_some_and(|a| a.pgp.autocrypt);
        (choice != PgpChoice::default() || autocrypt).then(|| ProtectJob {
            gpg: self.gpg.clone(),
            account_name: d.account.clone(),
            account,
            choice,
        })
    }
}

/// Signing and/or encrypting one composed message: everything it needs, owned, so it runs on
/// a blocking worker (`send.rs`) while the store thread keeps serving the UI.
pub(super) struct ProtectJob {
    gpg: Gpg,
    account_name: String,
    account: Option<crate::config::Account>,
    choice: PgpChoice,
}

impl ProtectJob {
    /// Signs and/or encrypts `composed` as the draft said. A recipient without a key fails
    /// it: nothing is sent or queued in plaintext.
    pub(super) fn run(&self, composed: Composed) -> Result<Composed, BackendError> {
        let fail = |e: crate::pgp::PgpError| {
            BackendError::new(
                e.kind(),
                format!(
                    "account {:?} (OpenPGP through gpg): {}",
                    self.account_name,
                    crate::error::chain_line(&e)
                ),
            )
        };
        let gpg = &self.gpg;
        let encrypt = match self.choice.encrypt {
            EncryptChoice::No => false,
            EncryptChoice::Yes => true,
            EncryptChoice::IfAllKeys => crate::pgp::mime::missing_keys(gpg, &composed.recipients)
                .map_err(fail)?
                .is_empty(),
        };
        let account = self.account.as_ref();
        let how = Protection::for_sender(
            self.choice.sign,
            encrypt,
            &composed.envelope_from,
            account.and_then(|a| a.pgp_key_for(&composed.envelope_from)),
        );
        let bytes = match account {
            Some(a) => crate::pgp::autocrypt::add_for(
                gpg,
                a,
                &composed.envelope_from,
                &how.signer,
                &composed.bytes,
            )
            .map_err(fail)?,
            None => composed.bytes.clone(),
        };
        let bytes = crate::pgp::protect(gpg, &bytes, &composed.recipients, &how).map_err(fail)?;
        Ok(composed.with_bytes(bytes))
    }
}

/// The header field a saved draft keeps its OpenPGP toggles in (as neomutt's `X-Mutt-PGP`).
/// It never leaves with the mail: a draft is composed again from its fields to be sent.
const DRAFT_HEADER: &str = "X-Postie-PGP";

impl Backend {
    /// The bytes to store for a draft: with its toggles in [`DRAFT_HEADER`], and encrypted to
    /// the sender's own key (only) when encryption is on (neomutt's `postpone_encrypt`), so a
    /// draft of an encrypted message is never stored in clear, here or on the server. A
    /// failure stores nothing.
    pub(super) fn seal_draft(
        &self,
        d: &ui::Draft,
        from: &str,
        bytes: Vec<u8>,
    ) -> Result<Vec<u8>, BackendError> {
        let Some(choice) = d.pgp else {
            return Ok(bytes);
        };
        let mut out = format!("{DRAFT_HEADER}: {}\r\n", draft_header_value(choice)).into_bytes();
        out.extend_from_slice(&bytes);
        if choice.encrypt == EncryptChoice::No {
            return Ok(out);
        }
        let account = self.options.config.account(&d.account);
        let how = Protection {
            // The owner's Drafts list stays readable; the text does not.
            hide_subject: false,
            ..Protection::for_sender(false, true, from, account.and_then(|a| a.pgp_key_for(from)))
        };
        crate::pgp::protect(&self.gpg, &out, &[], &how).map_err(|e| {
            BackendError::new(
                e.kind(),
                format!(
                    "account {:?}: draft not saved: it is to be encrypted, and encrypting it to \
                     your own key failed (OpenPGP through gpg): {}",
                    d.account,
                    crate::error::chain_line(&e)
                ),
            )
        })
    }
}

/// A stored draft as the composer reopens it: decrypted when it was saved encrypted, with
/// the toggles it was saved with (None: the account's defaults). One that cannot be decrypted
/// is an error, not ciphertext in the composer.
pub(super) fn open_draft(
    gpg: &Gpg,
    raw: Vec<u8>,
) -> Result<(Vec<u8>, Option<PgpChoice>), BackendError> {
    let choice = mail_parser::MessageParser::default()
        .parse_headers(&raw)
        .and_then(|m| m.header_raw(DRAFT_HEADER).map(parse_draft_header));
    let Some(inspection) = crate::pgp::inspect(gpg, &raw).filter(|i| i.kind == Kind::Encrypted)
    else {
        return Ok((raw, choice));
    };
    match &inspection.shown {
        Some(shown) => Ok((crate::pgp::mime::with_entity(&raw, shown), choice)),
        None => Err(BackendError::new(
            crate::error::ErrorKind::Data,
            format!("cannot open the draft: {}", inspection.status_line()),
        )),
    }
}

/// A message as its parts are numbered for attachments: the decrypted form of an encrypted
/// one (what the composer lists for a reopened draft or a forward), else the message itself.
///
/// gpg runs on the calling thread: this is for attachments the user asked for, not for showing.
pub(super) fn readable(raw: Vec<u8>) -> Vec<u8> {
    match crate::pgp::inspect(&Gpg::default(), &raw) {
        Some(Inspection {
            kind: Kind::Encrypted,
            shown: Some(shown),
            ..
        }) => crate::pgp::mime::with_entity(&raw, &shown),
        _ => raw,
    }
}

fn draft_header_value(choice: PgpChoice) -> String {
    let encrypt = match choice.encrypt {
        EncryptChoice::No => None,
        EncryptChoice::IfAllKeys => Some("encrypt-if-all-keys"),
        EncryptChoice::Yes => Some("encrypt"),
    };
    let words: Vec<&str> = choice
        .sign
        .then_some("sign")
        .into_iter()
        .chain(encrypt)
        .collect();
    if words.is_empty() {
        "none".to_owned()
    } else {
        words.join(", ")
    }
}

fn parse_draft_header(value: &str) -> PgpChoice {
    let mut choice = PgpChoice::default();
    for word in value.split(',').map(str::trim) {
        match word {
            "sign" => choice.sign = true,
            "encrypt" => choice.encrypt = EncryptChoice::Yes,
            "encrypt-if-all-keys" => choice.encrypt = EncryptChoice::IfAllKeys,
            _ => {}
        }
    }
    choice
}

/// Replies to (and the forward of) an encrypted message start encrypted and signed, whatever
/// the account's `pgp_encrypt` says (neomutt's `crypt_replyencrypt`): its text is in the quote.
pub(super) fn answer_encrypted(prefill: &mut ui::Prefill) {
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
    if let Some(subject) = crate::pgp::read::protected_subject(shown) {
        for (name, value) in &mut message.headers {
            if name == "Subject" {
                *value = subject.clone();
            }
        }
    }
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
    fn the_draft_header_keeps_every_toggle() {
        for sign in [false, true] {
            for encrypt in [
                EncryptChoice::No,
                EncryptChoice::IfAllKeys,
                EncryptChoice::Yes,
            ] {
                let choice = PgpChoice { sign, encrypt };
                assert_eq!(parse_draft_header(&draft_header_value(choice)), choice);
            }
        }
        let raw = format!("{DRAFT_HEADER}: sign\r\nSubject: s\r\n\r\nbody\r\n").into_bytes();
        let (bytes, choice) =
            open_draft(&Gpg::default(), raw.clone()).expect("a plain draft opens");
        assert_eq!(bytes, raw);
        assert_eq!(
            choice,
            Some(PgpChoice {
                sign: true,
                encrypt: EncryptChoice::No
            })
        );
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

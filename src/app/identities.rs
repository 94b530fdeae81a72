//! Which From a reply answers from, and who "me" is in reply-all: the account's identities
//! and aliases (config) applied to an original's headers.
//!
//! What must hold: a reply answers from the identity the original was addressed to (To, Cc,
//! Delivered-To, X-Original-To, in that order), else from the account's own address; a
//! reply-all never copies any of the user's own addresses (email, identities, aliases) while
//! someone else is left to answer.

use mail_parser::{HeaderValue, MessageParser};

use crate::config::{Account, Identity, address_of};
use crate::mail::compose::{Draft as MailDraft, Mailbox};

use super::Backend;

/// The addresses the original was sent to, in the order they decide the identity.
fn recipients(raw: &[u8]) -> Vec<String> {
    let Some(msg) = MessageParser::default().parse_headers(raw) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for address in [msg.to(), msg.cc()].into_iter().flatten() {
        out.extend(
            address
                .iter()
                .filter_map(|a| a.address().map(str::to_string)),
        );
    }
    for name in ["Delivered-To", "X-Original-To"] {
        for value in msg.header_values(name) {
            let text = match value {
                HeaderValue::Text(t) => t.to_string(),
                HeaderValue::Address(a) => a
                    .iter()
                    .filter_map(|a| a.address())
                    .collect::<Vec<_>>()
                    .join(","),
                _ => continue,
            };
            out.extend(text.split(',').filter_map(address_of));
        }
    }
    out
}

/// The identity a reply to `raw` is sent from.
pub(super) fn pick<'a>(account: &'a Account, raw: &[u8]) -> Option<&'a Identity> {
    let default = account.identities.first();
    recipients(raw)
        .iter()
        .find_map(|addr| {
            account
                .identities
                .iter()
                .find(|i| i.address.eq_ignore_ascii_case(addr))
        })
        .or(default)
}

/// The identity as a mailbox (None when its From does not parse as one).
pub(super) fn mailbox(identity: &Identity) -> Option<Mailbox> {
    Mailbox::parse_list(&identity.from)
        .ok()
        .and_then(|list| list.into_iter().next())
}

/// Drops every address of the user's own from a reply's To and Cc (To only while someone
/// else stays in it: a reply to one's own message goes to its recipients).
pub(super) fn drop_me(account: &Account, draft: &mut MailDraft) {
    draft.cc.retain(|m| !account.is_me(&m.addr));
    if draft.to.iter().any(|m| !account.is_me(&m.addr)) {
        draft.to.retain(|m| !account.is_me(&m.addr));
    }
}

impl Backend {
    /// Who answers `raw` in `account`: the identity it was sent to (else the account's own),
    /// as a mailbox and as the draft's From (None: the account's own address).
    pub(super) fn reply_identity(
        &self,
        account: &str,
        raw: &[u8],
    ) -> Option<(Mailbox, Option<String>)> {
        let chosen = self
            .options
            .config
            .account(account)
            .and_then(|a| pick(a, raw).map(|i| (a, i)));
        match chosen {
            Some((a, identity)) if a.identities.first() != Some(identity) => {
                let me = mailbox(identity)?;
                Some((me, Some(identity.from.clone())))
            }
            _ => self.me(account).map(|me| (me, None)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Incoming, MaildirIncoming};

    fn account() -> Account {
        let identity = |from: &str, address: &str| Identity {
            from: from.into(),
            address: address.into(),
            signature: None,
            pgp_key: None,
        };
        Account {
            name: "work".into(),
            email: "alice@x.test".into(),
            display_name: Some("Alice".into()),
            default: true,
            incoming: Incoming::Maildir(MaildirIncoming {
                path: "/tmp/none".into(),
            }),
            outgoing: None,
            check_interval: None,
            notify_command: None,
            identities: vec![
                identity("Alice <alice@x.test>", "alice@x.test"),
                identity("Alice (lists) <lists@x.test>", "lists@x.test"),
            ],
            aliases: vec!["old@x.test".into()],
            reply_style: None,
            pgp: Default::default(),
        }
    }

    #[test]
    fn the_identity_the_mail_was_sent_to_answers() {
        let a = account();
        let to_lists = b"From: bob@y.test\r\nTo: dev@list.test, Lists@x.test\r\n\r\nhi\r\n";
        assert_eq!(pick(&a, to_lists).unwrap().address, "lists@x.test");
        let delivered =
            b"Delivered-To: lists@x.test\r\nFrom: bob@y.test\r\nTo: dev@list.test\r\n\r\nhi\r\n";
        assert_eq!(pick(&a, delivered).unwrap().address, "lists@x.test");
        let other = b"From: bob@y.test\r\nTo: dev@list.test\r\n\r\nhi\r\n";
        assert_eq!(pick(&a, other).unwrap().address, "alice@x.test");
    }

    #[test]
    fn reply_all_drops_every_own_address() {
        let a = account();
        let me = Mailbox::new("lists@x.test", None).unwrap();
        let mut d = MailDraft::new(me);
        d.to = Mailbox::parse_list("bob@y.test, old@x.test").unwrap();
        d.cc = Mailbox::parse_list("alice@x.test, carol@z.test, LISTS@x.test").unwrap();
        drop_me(&a, &mut d);
        let addrs = |v: &[Mailbox]| v.iter().map(|m| m.addr.clone()).collect::<Vec<_>>();
        assert_eq!(addrs(&d.to), vec!["bob@y.test"]);
        assert_eq!(addrs(&d.cc), vec!["carol@z.test"]);
    }

    /// The demo's mail is addressed to alex@demo.test: as a second identity of an account
    /// whose own address is another, it answers the replies.
    #[test]
    fn prefilled_replies_answer_from_the_identity_the_mail_was_sent_to() {
        use crate::app::tests::{inbox, rig_from};
        use crate::ui::Sort;
        let mut r = rig_from(crate::app::Mode::Offline, |data| {
            let text = format!(
                "data_dir = \"{d}\"\n[accounts.demo]\nemail = \"main@demo.test\"\n\
                 aliases = [\"old@demo.test\"]\n\
                 [accounts.demo.incoming]\nprotocol = \"maildir\"\npath = \"{d}/md\"\n\
                 [[accounts.demo.identities]]\nfrom = \"Alex Lists <alex@demo.test>\"\n",
                d = data.display()
            );
            crate::config::Config::parse(
                &text,
                std::path::Path::new("/nonexistent/config.toml"),
                &crate::config::Env::default(),
            )
            .unwrap()
        });
        let page = r.page(inbox(), Sort::default(), 1, 0);
        let m = r.open(&page.rows[0].id);
        assert_eq!(
            m.prefill.reply.from.as_deref(),
            Some("Alex Lists <alex@demo.test>")
        );
        assert_eq!(m.prefill.reply_all.from, m.prefill.reply.from);
        assert_eq!(m.prefill.forward.from, m.prefill.reply.from);
        let mine = |list: &[String]| list.iter().any(|a| a.contains("@demo.test"));
        assert!(
            !mine(&m.prefill.reply_all.to) && !mine(&m.prefill.reply_all.cc),
            "{:?}",
            m.prefill.reply_all
        );
    }
}

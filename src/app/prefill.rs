//! The replies and forward prepared with an opened message ([`ui::Prefill`]), so `r`, `R`, `f`
//! and `L` open the composer at once.
//!
//! What must hold: the quote is the text the reader shows (the mail layer's one renderer);
//! replies start the cursor where the account's `reply_style` says (an empty line below the
//! quote by default); a list reply that cannot be written carries its reason for the status
//! line instead of a draft.

use crate::mail::compose::{
    Draft as MailDraft, ForwardMode, ReplyStyle, forward, list_reply, reply,
};
use crate::ui;

use super::{Backend, convert, identities};

impl Backend {
    /// Where replies in `account` start the cursor (`reply_style`).
    fn reply_style(&self, account: &str) -> ReplyStyle {
        self.options
            .config
            .account(account)
            .and_then(|a| a.reply_style)
            .unwrap_or_default()
    }

    /// The prepared drafts for message `id` (bytes `raw`) of `account`, answering from the
    /// identity the message was sent to (reply-all leaves out every address of the user's).
    pub(super) fn prefill(&self, raw: &[u8], account: &str, id: &ui::MessageId) -> ui::Prefill {
        let Some((me, from)) = self.reply_identity(account, raw) else {
            return ui::Prefill::default();
        };
        let blank = || ui::Draft {
            account: account.to_owned(),
            ..ui::Draft::default()
        };
        let config_account = self.options.config.account(account);
        let conv = |d: Result<MailDraft, _>, original| match d {
            Ok(mut d) => {
                if let Some(a) = config_account {
                    identities::drop_me(a, &mut d);
                }
                ui::Draft {
                    from: from.clone(),
                    ..convert::ui_draft(&d, account, original)
                }
            }
            Err(_) => blank(),
        };
        let style = self.reply_style(account);
        let arranged = |mut d: ui::Draft| {
            (d.body, d.body_cursor) = style.arrange(&d.body);
            d
        };
        ui::Prefill {
            reply: arranged(conv(reply(raw, &me, false), None)),
            reply_all: arranged(conv(reply(raw, &me, true), None)),
            forward: conv(forward(raw, &me, ForwardMode::Inline), Some(id)),
            list_reply: list_reply(raw, &me)
                .map(|d| {
                    arranged(ui::Draft {
                        from: from.clone(),
                        ..convert::ui_draft(&d, account, None)
                    })
                })
                .map_err(|e| e.to_string()),
        }
    }
}

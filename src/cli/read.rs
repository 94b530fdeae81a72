//! `postie read`: one message as text (headers, body, attachment list), or its exact bytes.
//!
//! OpenPGP messages get a `PGP: ...` status line after the headers (good or bad signature,
//! decrypted or not) and show their decrypted body; the plaintext is only printed, never
//! stored.

use std::io::Write;

use super::offline::{OfflineError, open_store, sanitize};
use super::{CliError, Context};
use crate::config::Config;
use crate::mail::envelope::format_addresses;
use crate::mail::{Attachment, ParsedMessage};
use crate::pgp::Inspection;
use crate::store::MessageId;

/// Print a message: headers, text body and attachment list (HTML-only mail as text).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ReadArgs {
    /// The message id (from `list` or `search`).
    #[arg(value_name = "ID")]
    pub id: MessageId,
    /// Print the exact stored bytes instead.
    #[arg(long)]
    pub raw: bool,
}

/// Offline `read`. A message whose body was never downloaded fails with `StoreError::NoBody`
/// (exit 75); the engine-backed command fetches it first when the account is reachable.
pub fn run_offline(
    config: &Config,
    args: &ReadArgs,
    out: &mut dyn Write,
) -> Result<(), OfflineError> {
    let mut store = open_store(config)?;
    let bytes = store.read_raw(args.id)?;
    if args.raw {
        out.write_all(&bytes)?;
    } else {
        let gpg = crate::pgp::gpg::Gpg::with_peers(&config.data_dir);
        remember_autocrypt(config, &store, args.id, &gpg, &bytes);
        let pgp = crate::pgp::inspect(&gpg, &bytes);
        if let Some(shown) = pgp.as_ref().and_then(|p| p.shown.as_deref())
            && config.index_decrypted
        {
            let mut text = ParsedMessage::parse_for_index(shown).text;
            if let Some(subject) = crate::pgp::read::protected_subject(shown) {
                text = format!("{subject}\n{text}");
            }
            if let Err(e) = store.index_body_text(args.id, &text) {
                tracing::warn!("cannot index the decrypted text: {e}");
            }
        }
        out.write_all(render_with(&bytes, pgp.as_ref()).as_bytes())?;
    }
    out.flush()?;
    Ok(())
}

/// An account with `autocrypt = true` remembers the Autocrypt key the message carries (a
/// failure is only logged: reading goes on).
fn remember_autocrypt(
    config: &Config,
    store: &crate::store::Store,
    id: crate::store::MessageId,
    gpg: &crate::pgp::gpg::Gpg,
    bytes: &[u8],
) {
    let autocrypt = store
        .get(id)
        .ok()
        .and_then(|s| config.account(&s.account).map(|a| a.pgp.autocrypt))
        .unwrap_or(false);
    if let Some(peer) = crate::pgp::autocrypt::peer_of(bytes).filter(|_| autocrypt)
        && let Err(e) = crate::pgp::autocrypt::remember(gpg, &config.data_dir, &peer)
    {
        tracing::warn!("cannot remember the Autocrypt key of {}: {e}", peer.addr);
    }
}

/// The text view of a message: Date/From/To/Cc/Subject, a blank line, the body text, then the
/// attachments. Control characters are neutralised (see [`sanitize`]).
pub fn render(bytes: &[u8]) -> String {
    render_with(bytes, None)
}

/// [`render`] with what OpenPGP found: its status line after the headers, and the decrypted
/// (or inline-verified) body in place of the message's own.
pub fn render_with(bytes: &[u8], pgp: Option<&Inspection>) -> String {
    let outer = ParsedMessage::parse(bytes);
    let e = &outer.envelope;
    let shown = pgp
        .and_then(|i| i.shown.as_deref())
        .map(ParsedMessage::parse);
    let p = shown.as_ref().unwrap_or(&outer);
    let mut s = String::new();
    let date = e
        .date
        .and_then(|d| chrono::DateTime::from_timestamp(d, 0))
        .and_then(|d| {
            chrono::FixedOffset::east_opt(e.tz_offset_minutes * 60)
                .map(|tz| d.with_timezone(&tz).to_rfc2822())
        });
    if let Some(date) = date {
        s.push_str(&format!("Date: {date}\n"));
    }
    for (name, list) in [("From", &e.from), ("To", &e.to), ("Cc", &e.cc)] {
        if !list.is_empty() {
            s.push_str(&format!("{name}: {}\n", format_addresses(list)));
        }
    }
    // Protected headers: the real Subject is inside the encryption (the outer one is `...`).
    let subject = pgp
        .and_then(|i| i.shown.as_deref())
        .and_then(crate::pgp::read::protected_subject)
        .unwrap_or_else(|| e.subject.clone());
    s.push_str(&format!("Subject: {subject}\n"));
    if let Some(pgp) = pgp {
        s.push_str(&pgp.status_line());
        s.push('\n');
    }
    s.push('\n');
    s.push_str(p.text.trim_end());
    s.push('\n');
    if !p.attachments.is_empty() {
        s.push_str("\nAttachments:\n");
        for (i, a) in p.attachments.iter().enumerate() {
            s.push_str(&attachment_line(i + 1, a));
        }
    }
    sanitize(&s)
}

fn attachment_line(n: usize, a: &Attachment) -> String {
    format!(
        "  [{n}] {}  ({}, {})\n",
        a.name,
        a.mime_type,
        human_size(a.size)
    )
}

/// 512 B, 2.0 KiB, 3.4 MiB.
pub fn human_size(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// The `postie read` command: on an IMAP account, a body never downloaded is fetched first.
pub fn run(ctx: &Context, args: ReadArgs) -> Result<std::process::ExitCode, CliError> {
    let config = ctx.load_config()?;
    super::remote::fetch_body_if_needed(&config, args.id)?;
    super::offline::run_to_stdout(|out| run_offline(&config, &args, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_headers_body_and_attachments_without_escape_sequences() {
        let raw = b"From: =?UTF-8?Q?Zo=C3=AB?= <z@x.test>\r\nTo: a@x.test\r\n\
Subject: hi \x1b[31mred\r\nDate: Tue, 1 Jul 2025 10:00:00 +0200\r\n\
Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n\
Hello \x1b]0;pwned\x07 there\r\n--b\r\nContent-Type: application/zip\r\n\
Content-Disposition: attachment; filename=a.zip\r\nContent-Transfer-Encoding: base64\r\n\r\n\
AAAA\r\n--b--\r\n";
        let text = render(raw);
        assert!(
            text.starts_with(
                "Date: Tue, 1 Jul 2025 10:00:00 +0200\nFrom: Zoë <z@x.test>\nTo: a@x.test\n"
            ),
            "{text}"
        );
        assert!(text.contains("Hello"));
        assert!(!text.contains('\x1b') && !text.contains('\x07'));
        assert!(text.contains("[1] a.zip  (application/zip, 3 B)"), "{text}");
        assert_eq!(human_size(2048), "2.0 KiB");
        assert_eq!(human_size(5 * 1024 * 1024), "5.0 MiB");
    }

    /// What IMAP and POP3 store: CRLF everywhere. The text view shows plain lines, with no
    /// replacement character where each CR was.
    #[test]
    fn a_crlf_message_renders_as_plain_lines() {
        let raw = b"From: a@x.test\r\nTo: b@x.test\r\nSubject: lines\r\n\
Date: Tue, 1 Jul 2025 10:00:00 +0200\r\n\r\nfirst line\r\nsecond line\r\n\r\n\
after a blank\r\n";
        let text = render(raw);
        assert!(
            !text.contains('\u{FFFD}') && !text.contains('\r'),
            "{text:?}"
        );
        assert!(
            text.ends_with("Subject: lines\n\nfirst line\nsecond line\n\nafter a blank\n"),
            "{text:?}"
        );
    }
}

//! The composer's From and signature: which of the account's identities sends, and the
//! signature block (`-- ` line, then the text) that goes with it.
//!
//! What must hold: a body never gets a second signature (no block is added while a `-- ` line
//! is there); switching identity swaps the block only while it is exactly as the composer put
//! it (an edited signature is the user's text and stays); the first identity is the account's
//! own, sent as `from: None`.

use ratatui_textarea::{CursorMove, TextArea};

use super::super::model::{Compose, Model};
use super::super::types::Identity;

/// The signature separator line (dash dash space).
const SEPARATOR: &str = "-- ";

/// The identity in `identities` whose address is `from`'s (0, the account's own, if none).
pub(super) fn index_of(identities: &[Identity], from: Option<&str>) -> usize {
    let Some(from) = from else { return 0 };
    let wanted = address(from);
    identities
        .iter()
        .position(|i| address(&i.from).eq_ignore_ascii_case(&wanted))
        .unwrap_or(0)
}

/// The address in `Name <addr>` or `addr`.
fn address(from: &str) -> String {
    let from = from.trim();
    match (from.rfind('<'), from.ends_with('>')) {
        (Some(open), true) => from[open + 1..from.len() - 1].trim().to_string(),
        _ => from.to_string(),
    }
}

/// The draft's From: None for the account's own identity.
pub(super) fn chosen_from(c: &Compose) -> Option<String> {
    (c.identity > 0)
        .then(|| c.identities.get(c.identity).map(|i| i.from.clone()))
        .flatten()
}

fn current_signature(c: &Compose) -> Option<String> {
    c.identities
        .get(c.identity)
        .and_then(|i| i.signature.clone())
}

/// The signature block as text: the separator line, then the signature.
fn block(signature: &str) -> String {
    format!("{SEPARATOR}\n{signature}")
}

fn body_text(c: &Compose) -> String {
    c.body.lines().join("\n")
}

fn has_separator(c: &Compose) -> bool {
    c.body.lines().iter().any(|l| l == SEPARATOR)
}

/// Where the block of `signature` starts in `text`, when it is there untouched (on its own
/// lines, at a line start, ending at a line end).
fn find_block(text: &str, signature: &str) -> Option<usize> {
    let block = block(signature);
    text.match_indices(&block).map(|(i, _)| i).find(|&i| {
        let starts_line = i == 0 || text[..i].ends_with('\n');
        let rest = &text[i + block.len()..];
        starts_line && (rest.is_empty() || rest.starts_with('\n'))
    })
}

/// The current identity's signature when the body holds its block untouched.
pub(super) fn present_signature(c: &Compose) -> Option<String> {
    let signature = current_signature(c)?;
    find_block(&body_text(c), &signature).map(|_| signature)
}

/// Replace the body, keeping the cursor where it was (as far as the new text allows).
fn set_body(c: &mut Compose, text: &str) {
    let ratatui_textarea::DataCursor(row, col) = c.body.cursor();
    let mut body = TextArea::new(text.split('\n').map(str::to_string).collect());
    body.set_cursor_line_style(ratatui::style::Style::new());
    body.move_cursor(CursorMove::Jump(
        u16::try_from(row).unwrap_or(u16::MAX),
        u16::try_from(col).unwrap_or(u16::MAX),
    ));
    c.body = body;
}

/// Put the current identity's signature in, below the cursor's line (a blank line before
/// it, and one after it when text follows), unless the body already has a `-- ` line.
pub(super) fn sign(c: &mut Compose) {
    let Some(signature) = current_signature(c) else {
        return;
    };
    if has_separator(c) {
        return;
    }
    let row = c.body.cursor().0;
    let mut lines: Vec<String> = c.body.lines().to_vec();
    let at = (row + 1).min(lines.len());
    let mut insert = vec![String::new()];
    insert.extend(block(&signature).split('\n').map(str::to_string));
    if at < lines.len() {
        insert.push(String::new());
    }
    lines.splice(at..at, insert);
    set_body(c, &lines.join("\n"));
    c.signature = Some(signature);
}

/// Choose the next (`step` 1) or previous (-1) identity, swapping the signature block.
pub(super) fn cycle(model: &mut Model, step: isize) {
    let Some(c) = model.compose.as_mut() else {
        return;
    };
    let n = c.identities.len();
    if n < 2 {
        model.set_status("This account has one From address (add identities in the config)");
        return;
    }
    c.identity = (c.identity as isize + step).rem_euclid(n as isize) as usize;
    let new = current_signature(c);
    let edited = match c.signature.take() {
        Some(old) => {
            let text = body_text(c);
            match find_block(&text, &old) {
                Some(i) => {
                    let end = i + block(&old).len();
                    let replaced = match &new {
                        Some(sig) => format!("{}{}{}", &text[..i], block(sig), &text[end..]),
                        None => {
                            // The block goes with the blank lines the composer put around it.
                            let start = if text[..i].ends_with("\n\n") {
                                i - 2
                            } else if text[..i].ends_with('\n') {
                                i - 1
                            } else {
                                i
                            };
                            let end = if start + 2 == i && text[end..].starts_with("\n\n") {
                                end + 1
                            } else {
                                end
                            };
                            format!("{}{}", &text[..start], &text[end..])
                        }
                    };
                    set_body(c, &replaced);
                    c.signature = new.clone();
                    false
                }
                None => true,
            }
        }
        // A `-- ` line the composer did not put there (or no longer recognises): the user's.
        None if has_separator(c) => true,
        None => {
            sign(c);
            false
        }
    };
    let from = match c.identities.get(c.identity) {
        Some(i) if !i.from.is_empty() => i.from.clone(),
        _ => c.account.clone(),
    };
    if edited {
        model.set_status(format!(
            "From: {from} (the signature was edited: it stays as written)"
        ));
    } else {
        model.set_status(format!("From: {from}"));
    }
}

/// Nothing written yet: no header, no attachment, and the body is empty or only the
/// signature the composer put in.
pub(super) fn untouched(c: &Compose) -> bool {
    let mut text = body_text(c);
    if let Some(signature) = &c.signature
        && let Some(i) = find_block(&text, signature)
    {
        text.replace_range(i..i + block(signature).len(), "");
    }
    c.to.text().trim().is_empty()
        && c.cc.text().trim().is_empty()
        && c.bcc.text().trim().is_empty()
        && c.subject.text().trim().is_empty()
        && c.attachments.is_empty()
        && c.in_reply_to.is_none()
        && c.message_id.is_none()
        && text.trim().is_empty()
}

//! `[ui] auto_view`: the reader shows a body part of a listed type (e.g. `text/html`) through
//! its mailcap `copiousoutput` entry (e.g. `w3m -dump -T text/html`) instead of the built-in
//! conversion — neomutt's `auto_view`.
//!
//! What must hold: the store thread never waits for the viewer (it runs as a task on the
//! network runtime and the message is answered from there); a viewer gets at most
//! [`AUTO_VIEW_LIMIT`] and a bounded output, and a viewer that fails, hangs or is missing never
//! costs the user the message: its part is shown with the built-in conversion and a note
//! saying why.

use std::path::PathBuf;
use std::time::Duration;

use mail_parser::{MessageParser, MimeHeaders, PartType};

use super::external::run_captured;
use super::files::write_new;
use super::mailcap::{choose, load_entries, program_name};
use super::{Backend, store_id_of};
use crate::mail::body::html_to_text;
use crate::mail::mailcap::{self, Subject};
use crate::ui::{self, BackendError, Event};

/// How long an `auto_view` viewer may take before the built-in text is shown instead.
pub(super) const AUTO_VIEW_LIMIT: Duration = Duration::from_secs(10);
/// The width the built-in conversion renders at (as `open_message` does).
const WIDTH: usize = 78;

/// A body part the reader shows: its type and decoded text.
#[derive(Debug, Clone)]
struct ShownPart {
    mime_type: String,
    text: String,
    html: bool,
}

/// The parts `mail::body::body_text` shows, in order.
fn shown_parts(raw: &[u8]) -> Vec<ShownPart> {
    let Some(msg) = MessageParser::default().parse(raw) else {
        return Vec::new();
    };
    let ids = if msg.text_body.is_empty() {
        &msg.html_body
    } else {
        &msg.text_body
    };
    ids.iter()
        .filter_map(|id| msg.parts.get(*id as usize))
        .filter_map(|part| {
            let (text, html) = match &part.body {
                PartType::Text(t) => (t.to_string(), false),
                PartType::Html(h) => (h.to_string(), true),
                _ => return None,
            };
            let mime_type = part
                .content_type()
                .map(|ct| match &ct.c_subtype {
                    Some(sub) => format!("{}/{}", ct.c_type, sub),
                    None => ct.c_type.to_string(),
                })
                .unwrap_or_else(|| if html { "text/html" } else { "text/plain" }.to_owned())
                .to_ascii_lowercase();
            Some(ShownPart {
                mime_type,
                text,
                html,
            })
        })
        .collect()
}

fn listed(auto_view: &[String], mime_type: &str) -> bool {
    auto_view
        .iter()
        .any(|pattern| mailcap::type_matches(pattern, mime_type))
}

impl Backend {
    /// Sends the answer to an open: at once, or — when a part it shows is an `auto_view` type
    /// — from a task, once the viewer has rendered it. `false` when the UI is gone.
    pub(super) async fn answer_open(
        &mut self,
        id: ui::MessageId,
        result: Result<ui::Message, BackendError>,
    ) -> bool {
        let message = match result {
            // A message gpg still works on is shown as it is; its second answer (with the
            // OpenPGP result) goes through here again.
            Ok(m)
                if m.downloaded
                    && !self.options.config.auto_view.is_empty()
                    && !super::pgp_check::pending(&m) =>
            {
                m
            }
            result => return self.emit(Event::Message { id, result }).await,
        };
        let raw = store_id_of(&id)
            .ok()
            .and_then(|sid| self.store.read_raw(sid).ok());
        let parts = raw.as_deref().map(shown_parts).unwrap_or_default();
        let auto_view = self.options.config.auto_view.clone();
        if !parts.iter().any(|p| listed(&auto_view, &p.mime_type)) {
            return self
                .emit(Event::Message {
                    id,
                    result: Ok(message),
                })
                .await;
        }
        let dir = match self.scratch_dir() {
            Ok(d) => d,
            Err(_) => {
                return self
                    .emit(Event::Message {
                        id,
                        result: Ok(message),
                    })
                    .await;
            }
        };
        let events = self.events.clone();
        let stem = id.to_string();
        self.network.spawn(async move {
            let mut message = message;
            let entries = load_entries();
            message.body = render(&parts, &auto_view, &entries, dir, &stem).await;
            let _ = events
                .send(Event::Message {
                    id,
                    result: Ok(message),
                })
                .await;
        });
        true
    }
}

/// The body text: each listed part through its viewer, the others (and any whose viewer
/// failed, with a note) through the built-in conversion.
async fn render(
    parts: &[ShownPart],
    auto_view: &[String],
    entries: &[mailcap::Entry],
    dir: PathBuf,
    stem: &str,
) -> String {
    let mut out = String::new();
    for (n, part) in parts.iter().enumerate() {
        let builtin = || {
            if part.html {
                html_to_text(&part.text, WIDTH)
            } else {
                part.text.clone()
            }
        };
        let text = if listed(auto_view, &part.mime_type) {
            let file = dir.join(format!("{stem}-view-{n}"));
            match view_part(entries, part, &file).await {
                Ok(text) => text,
                Err(why) => format!(
                    "[auto_view: {why}; showing the built-in text]\n\n{}",
                    builtin()
                ),
            }
        } else {
            builtin()
        };
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&text);
    }
    out
}

/// Runs the part's `copiousoutput` entry; `Err` says why its output cannot be used.
async fn view_part(
    entries: &[mailcap::Entry],
    part: &ShownPart,
    file: &std::path::Path,
) -> Result<String, String> {
    let params = vec![("charset".to_owned(), "utf-8".to_owned())];
    let file_text = file.to_string_lossy().into_owned();
    let subject = Subject {
        file: &file_text,
        mime_type: &part.mime_type,
        params: &params,
    };
    let _ = std::fs::remove_file(file);
    write_new(file, part.text.as_bytes(), 0o600).map_err(|e| e.message)?;
    let result = async {
        let entry = choose(entries, &subject, true).await.ok_or_else(|| {
            format!(
                "no copiousoutput mailcap entry for {} (add one to ~/.mailcap)",
                part.mime_type
            )
        })?;
        let program = program_name(&entry);
        let expanded = mailcap::expand(&entry.view, &subject);
        let input = if expanded.stdin {
            part.text.as_bytes().to_vec()
        } else {
            Vec::new()
        };
        let c = run_captured(&expanded.shell, input, AUTO_VIEW_LIMIT)
            .await
            .map_err(|e| format!("cannot run {program}: {e}"))?;
        if !c.success {
            return Err(format!(
                "{program} for {} failed ({})",
                part.mime_type, c.status
            ));
        }
        Ok(c.text)
    }
    .await;
    let _ = std::fs::remove_file(file);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    const HTML: &[u8] =
        b"Content-Type: text/html; charset=iso-8859-1\r\n\r\n<h1>Caf\xe9</h1><p>Body text</p>\r\n";

    async fn rendered(mailcap_text: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        let parts = shown_parts(HTML);
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].mime_type, "text/html");
        let entries = mailcap::parse(mailcap_text);
        let out = render(
            &parts,
            &["text/*".to_owned()],
            &entries,
            dir.path().to_owned(),
            "9",
        )
        .await;
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "the viewer's copy is removed"
        );
        out
    }

    #[tokio::test]
    async fn a_listed_part_is_shown_through_its_copiousoutput_entry() {
        let out = rendered(
            "text/html; less %s; needsterminal\n\
             text/html; sed -e 's/<[^>]*>/ /g' -e 's/^/VIEWER [%{charset}]/' %s; copiousoutput\n",
        )
        .await;
        assert_eq!(out.trim(), "VIEWER [utf-8] Café  Body text");
    }

    #[tokio::test]
    async fn a_failing_or_missing_viewer_leaves_the_built_in_text_and_says_why() {
        let out = rendered("text/html; printf partial && exit 3; copiousoutput\n").await;
        assert!(
            out.starts_with(
                "[auto_view: printf for text/html failed (exit 3); showing the built-in text]"
            ),
            "{out}"
        );
        assert!(out.contains("Café") && out.contains("Body text"), "{out}");
        assert!(!out.contains("partial"), "{out}");
        let out = rendered("text/html; less %s; needsterminal\n").await;
        assert!(
            out.starts_with("[auto_view: no copiousoutput mailcap entry for text/html"),
            "{out}"
        );
        assert!(out.contains("Body text"), "{out}");
    }
}

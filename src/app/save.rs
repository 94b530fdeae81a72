//! Whole messages leaving the store: the raw view's bytes, and `W` / `:save PATH`, which writes
//! messages to an mbox file (mboxrd, see [`crate::mail::mbox`]) or, into a directory, one
//! `.eml` file each (the exact stored bytes) named from the subject. Envelope-only messages of
//! an online IMAP account are downloaded first, over its live connection.
//!
//! What must hold: nothing existing is overwritten or damaged. A new file is written to a
//! temporary name, synced, then linked into place (which fails rather than replace a file
//! someone made meanwhile) and the directory synced; an append goes only to a file that is an
//! mbox already, is synced before success is reported, and every message is read before the
//! first byte is written, so a message that cannot be read leaves the target untouched.

use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::{Backend, Internal, Mode, convert, store_error, store_id_of};
use crate::error::ErrorKind;
use crate::mail::mbox;
use crate::store::StoreError;
use crate::ui::{self, BackendError};

/// One message to save: its bytes and what names it.
pub(super) struct Saved {
    pub raw: Vec<u8>,
    pub subject: String,
    /// The envelope sender for the mbox `From ` line (the first From address).
    pub sender: String,
    /// Unix seconds, for the `From ` line.
    pub date: i64,
}

impl Backend {
    /// The stored bytes of a message, for the raw view and for saving.
    pub(super) fn raw_bytes(&self, id: &ui::MessageId) -> Result<Vec<u8>, BackendError> {
        match self.store.read_raw(store_id_of(id)?) {
            Ok(raw) => Ok(raw),
            Err(StoreError::NoBody(_)) => Err(BackendError::new(
                ErrorKind::Temporary,
                format!(
                    "only the envelope of message {id} is stored here: open it while online \
                     (or sync) to download it first"
                ),
            )),
            Err(e) => Err(store_error(e)),
        }
    }

    /// Before a save: downloads the bodies of the envelope-only messages among `ids` over their
    /// accounts' live connections (online IMAP only), then saves ([`Internal::SaveFetched`]);
    /// `false` when nothing needs downloading. The store thread does not wait meanwhile.
    pub(super) fn start_save_fetch(&mut self, ids: &[ui::MessageId], path: &Path) -> bool {
        if self.options.mode != Mode::Online {
            return false;
        }
        let missing: Vec<_> = ids
            .iter()
            .filter_map(convert::store_id)
            .filter_map(|sid| self.store.get(sid).ok())
            .filter(|s| !s.has_body)
            .filter_map(|s| Some((s.id, self.live.get(&s.account)?.handle())))
            .collect();
        if missing.is_empty() {
            return false;
        }
        let internal = self.internal.clone();
        let (ids, path) = (ids.to_vec(), path.to_path_buf());
        self.network.spawn(async move {
            for (sid, live) in missing {
                // A failure shows as the save's own error (only the envelope is stored).
                if let Err(e) = live.fetch_body(sid).await {
                    tracing::warn!(
                        "cannot download a message to save: {}",
                        crate::error::chain_line(&e)
                    );
                }
            }
            let _ = internal.send(Internal::SaveFetched { ids, path });
        });
        true
    }

    /// `Command::SaveMessages`: reads every message, then writes them all.
    pub(super) fn save_messages(
        &self,
        ids: &[ui::MessageId],
        path: &Path,
    ) -> Result<String, BackendError> {
        let mut messages = Vec::with_capacity(ids.len());
        for id in ids {
            messages.push(self.saved(id, self.raw_bytes(id)?)?);
        }
        write_messages(&messages, path)
    }
}

impl Backend {
    /// A message's bytes `raw` with what names it in an mbox `From ` line or a file name (for
    /// `W` and for `|` of several messages).
    pub(super) fn saved(&self, id: &ui::MessageId, raw: Vec<u8>) -> Result<Saved, BackendError> {
        let summary = self.store.get(store_id_of(id)?).map_err(store_error)?;
        Ok(Saved {
            raw,
            subject: summary.subject.clone(),
            sender: summary
                .from
                .first()
                .map(|f| bare_address(f).to_string())
                .unwrap_or_default(),
            date: summary
                .date
                .unwrap_or_else(|| chrono::Utc::now().timestamp()),
        })
    }
}

/// `a@b` of `Name <a@b>`.
fn bare_address(from: &str) -> &str {
    match (from.rfind('<'), from.rfind('>')) {
        (Some(i), Some(j)) if i < j => &from[i + 1..j],
        _ => from.trim(),
    }
}

/// Writes `messages` to `path`: a directory (existing, or a path ending in `/`, created) gets
/// one `.eml` per message; any other path is an mbox file, created or appended to. `Ok`: what
/// was written, for the status line.
pub(super) fn write_messages(messages: &[Saved], path: &Path) -> Result<String, BackendError> {
    let n = messages.len();
    let count = if n == 1 {
        "1 message".to_string()
    } else {
        format!("{n} messages")
    };
    if path.is_dir() || path.as_os_str().as_bytes().ends_with(b"/") {
        std::fs::create_dir_all(path).map_err(|e| io_error("create the directory", path, e))?;
        let mut names = Vec::with_capacity(n);
        for m in messages {
            names.push(write_eml(path, m)?);
        }
        let shown = match names.as_slice() {
            [one] => one.display().to_string(),
            _ => format!("{}/", path.display()).replace("//", "/"),
        };
        return Ok(format!("Saved {count} to {shown} (.eml)"));
    }
    let bytes: Vec<u8> = messages
        .iter()
        .flat_map(|m| mbox::entry(&m.raw, &m.sender, m.date))
        .collect();
    if path.exists() {
        append_mbox(path, &bytes)?;
        Ok(format!("Appended {count} to the mbox {}", path.display()))
    } else {
        write_new(path, &bytes)?;
        Ok(format!("Saved {count} to the new mbox {}", path.display()))
    }
}

/// Appends to an existing mbox, after checking it is one; synced.
fn append_mbox(path: &Path, bytes: &[u8]) -> Result<(), BackendError> {
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .append(true)
        .open(path)
        .map_err(|e| io_error("open", path, e))?;
    let mut head = [0u8; 5];
    let got = read_up_to(&mut f, &mut head).map_err(|e| io_error("read", path, e))?;
    if !mbox::is_mbox(&head[..got]) {
        return Err(BackendError::new(
            ErrorKind::Data,
            format!(
                "{} exists and is not an mbox (it does not start with a \"From \" line): \
                 nothing written; give a new file name, or a directory ending in / for .eml files",
                path.display()
            ),
        ));
    }
    // A file not ending in a blank line would glue our From line to its last message.
    let len = f.metadata().map_err(|e| io_error("read", path, e))?.len();
    let mut sep: &[u8] = b"";
    if len > 0 {
        let mut tail = [0u8; 2];
        let from = len.saturating_sub(2);
        f.seek(SeekFrom::Start(from))
            .map_err(|e| io_error("read", path, e))?;
        let got = read_up_to(&mut f, &mut tail).map_err(|e| io_error("read", path, e))?;
        sep = match &tail[..got] {
            [.., b'\n', b'\n'] => b"",
            [.., b'\n'] => b"\n",
            _ => b"\n\n",
        };
    }
    f.write_all(&[sep, bytes].concat())
        .and_then(|()| f.sync_all())
        .map_err(|e| io_error("append to", path, e))
}

fn read_up_to(f: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match f.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

/// One message as `DIR/<safe subject>.eml` (`-2`, `-3`... when taken); its path.
fn write_eml(dir: &Path, m: &Saved) -> Result<PathBuf, BackendError> {
    let stem = safe_name(&m.subject);
    for n in 1.. {
        let name = if n == 1 {
            format!("{stem}.eml")
        } else {
            format!("{stem}-{n}.eml")
        };
        let target = dir.join(name);
        if target.exists() {
            continue;
        }
        match write_new(&target, &m.raw) {
            // Made by someone else meanwhile: take the next name.
            Err(_) if target.exists() => continue,
            other => return other.map(|()| target),
        }
    }
    unreachable!("some name in 1.. is free")
}

/// A file name from a subject: letters, digits, `-`, `_` and `.` kept, runs of anything else
/// one `_`; never empty, never hidden, at most 60 characters.
pub(super) fn safe_name(subject: &str) -> String {
    let mut out = String::new();
    for c in subject.chars() {
        if c.is_alphanumeric() || c == '-' || c == '.' {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out: String = out
        .trim_matches(['_', '.'])
        .chars()
        .take(60)
        .collect::<String>()
        .trim_end_matches(['_', '.'])
        .to_string();
    if out.is_empty() {
        "message".to_string()
    } else {
        out
    }
}

/// Writes a new file: a temporary name in the same directory, synced, linked to `path` (which
/// fails when `path` exists), the temporary removed, the directory synced.
fn write_new(path: &Path, bytes: &[u8]) -> Result<(), BackendError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map_or_else(|| "postie".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| io_error("create", &tmp, e))?;
        f.write_all(bytes)
            .and_then(|()| f.sync_all())
            .map_err(|e| io_error("write", &tmp, e))?;
        std::fs::hard_link(&tmp, path).map_err(|e| io_error("create", path, e))?;
        Ok(())
    })();
    let _ = std::fs::remove_file(&tmp);
    result?;
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> BackendError {
    BackendError::new(
        ErrorKind::Io,
        format!("cannot {what} {}: {e}", path.display()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(subject: &str, body: &str) -> Saved {
        Saved {
            raw: format!("From: a@x.test\r\nSubject: {subject}\r\n\r\n{body}\r\n").into_bytes(),
            subject: subject.to_string(),
            sender: "a@x.test".to_string(),
            date: 1_800_000_000,
        }
    }

    #[test]
    fn a_new_mbox_then_an_append_keeps_every_message() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("saved.mbox");
        let first = msg("one", "From the start");
        let said = write_messages(std::slice::from_ref(&first), &path).unwrap();
        assert_eq!(
            said,
            format!("Saved 1 message to the new mbox {}", path.display())
        );
        let said = write_messages(&[msg("two", "x"), msg("three", ">From y")], &path).unwrap();
        assert_eq!(
            said,
            format!("Appended 2 messages to the mbox {}", path.display())
        );
        let back = mbox::messages(&std::fs::read(&path).unwrap());
        let lf = |m: &Saved| {
            String::from_utf8(m.raw.clone())
                .unwrap()
                .replace("\r\n", "\n")
        };
        let got: Vec<String> = back
            .into_iter()
            .map(|b| String::from_utf8(b).unwrap())
            .collect();
        assert_eq!(
            got,
            vec![
                lf(&first),
                lf(&msg("two", "x")),
                lf(&msg("three", ">From y"))
            ]
        );
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn an_existing_file_that_is_not_an_mbox_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.txt");
        std::fs::write(&path, "my notes\n").unwrap();
        let err = write_messages(&[msg("one", "x")], &path).unwrap_err();
        assert!(err.message.contains("is not an mbox"), "{}", err.message);
        assert_eq!(std::fs::read(&path).unwrap(), b"my notes\n");
    }

    #[test]
    fn an_mbox_without_a_final_blank_line_gets_one_before_the_append() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m");
        std::fs::write(&path, "From x Thu Jan  1 00:00:00 1970\nSubject: a\n\nlast").unwrap();
        write_messages(&[msg("b", "y")], &path).unwrap();
        let back = mbox::messages(&std::fs::read(&path).unwrap());
        assert_eq!(back.len(), 2);
        assert_eq!(back[0], b"Subject: a\n\nlast\n");
    }

    #[test]
    fn a_directory_gets_one_exact_eml_per_message_never_overwriting() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out/");
        let target = PathBuf::from(format!("{}/", target.display()));
        let (a, b) = (
            msg("Re: a/b: ../../etc?", "x"),
            msg("Re: a/b: ../../etc?", "y"),
        );
        let said = write_messages(&[a, b], &target).unwrap();
        assert!(said.starts_with("Saved 2 messages to "), "{said}");
        let first = dir.path().join("out/Re_a_b_.._.._etc.eml");
        let second = dir.path().join("out/Re_a_b_.._.._etc-2.eml");
        assert_eq!(
            std::fs::read(&first).unwrap(),
            msg("Re: a/b: ../../etc?", "x").raw
        );
        assert_eq!(
            std::fs::read(&second).unwrap(),
            msg("Re: a/b: ../../etc?", "y").raw
        );
        assert_eq!(
            std::fs::read_dir(dir.path().join("out")).unwrap().count(),
            2
        );
    }

    #[test]
    fn subjects_become_safe_names() {
        assert_eq!(safe_name("Re: Hello, world!"), "Re_Hello_world");
        assert_eq!(safe_name("../.."), "message");
        assert_eq!(safe_name(""), "message");
        assert_eq!(safe_name("Grüße"), "Grüße");
        assert_eq!(safe_name(&"x".repeat(100)).len(), 60);
    }
}

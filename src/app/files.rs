//! Attachments leaving the store: saved to a path the user typed, or written to a private
//! scratch directory for a viewer (see `mailcap`).
//!
//! What must hold: a save never overwrites an existing file; scratch files are 0600 in a 0700
//! directory; a GUI viewer runs detached (its own session, no terminal), so it can neither draw
//! over the UI nor be stopped with it.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use mail_parser::{MessageParser, MimeHeaders, PartType};

use super::{Backend, store_error, store_id_of};
use crate::error::ErrorKind;
use crate::store::Store;
use crate::ui::{self, BackendError};

/// The decoded bytes, MIME type and file name of attachment `part` (the position in the
/// message's attachment list, as [`super::convert::attachments`] numbers it).
pub(super) fn part_bytes(
    store: &Store,
    id: &ui::MessageId,
    part: usize,
) -> Result<(Vec<u8>, String, String), BackendError> {
    let p = part_data(store, id, part)?;
    Ok((p.bytes, p.mime_type, p.name))
}

/// An attachment as a viewer needs it.
#[derive(Debug, Clone)]
pub(super) struct PartData {
    pub bytes: Vec<u8>,
    pub mime_type: String,
    /// The attachment's own (sanitized) name: shown, never put in a command.
    pub name: String,
    /// Content-Type parameters, names lowercased; `charset` is `utf-8` for text parts, which
    /// are handed over decoded.
    pub params: Vec<(String, String)>,
}

pub(super) fn part_data(
    store: &Store,
    id: &ui::MessageId,
    part: usize,
) -> Result<PartData, BackendError> {
    let raw = store.read_raw(store_id_of(id)?).map_err(store_error)?;
    // An encrypted message's parts are those of its decrypted form (a reopened encrypted
    // draft, a forward of encrypted mail), in memory only.
    let raw = super::pgp::readable(raw);
    let parsed = crate::mail::ParsedMessage::parse(&raw);
    let info = parsed
        .attachments
        .get(part)
        .ok_or_else(|| no_part(id, part))?;
    let msg = MessageParser::default()
        .parse(&raw)
        .ok_or_else(|| no_part(id, part))?;
    let p = u32::try_from(part)
        .ok()
        .and_then(|n| msg.attachment(n))
        .ok_or_else(|| no_part(id, part))?;
    let text = matches!(p.body, PartType::Text(_) | PartType::Html(_));
    let mut params: Vec<(String, String)> = p
        .content_type()
        .and_then(|ct| ct.attributes())
        .unwrap_or_default()
        .iter()
        .map(|a| (a.name.to_ascii_lowercase(), a.value.to_string()))
        .filter(|(n, _)| !(text && n == "charset"))
        .collect();
    if text {
        params.push(("charset".to_owned(), "utf-8".to_owned()));
    }
    Ok(PartData {
        bytes: p.contents().to_vec(),
        mime_type: info.mime_type.clone(),
        name: info.name.clone(),
        params,
    })
}

fn no_part(id: &ui::MessageId, part: usize) -> BackendError {
    BackendError::new(
        ErrorKind::Data,
        format!("message {id} has no attachment {}", part + 1),
    )
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> BackendError {
    BackendError::new(
        ErrorKind::Io,
        format!("cannot {what} {}: {e}", path.display()),
    )
}

/// Writes `bytes` to a new file at `path` (never over an existing one), synced to disk.
pub(super) fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), BackendError> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(|e| io_error("create", path, e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| io_error("write", path, e))
}

impl Backend {
    pub(super) fn save_attachment(
        &self,
        id: &ui::MessageId,
        part: usize,
        path: &Path,
    ) -> Result<(), BackendError> {
        let (bytes, _, name) = part_bytes(&self.store, id, part)?;
        // A directory means "in there, under the attachment's own name".
        let target = if path.is_dir() {
            path.join(&name)
        } else {
            path.to_owned()
        };
        write_new(&target, &bytes, 0o644)
    }

    pub(super) fn scratch_dir(&mut self) -> Result<PathBuf, BackendError> {
        if let Some(d) = &self.scratch {
            return Ok(d.clone());
        }
        let base = std::env::var_os("XDG_RUNTIME_DIR")
            .map(PathBuf::from)
            .filter(|p| p.is_dir())
            .unwrap_or_else(std::env::temp_dir);
        let dir = base.join(format!("postie-{}", std::process::id()));
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|e| io_error("create", &dir, e))?;
        self.scratch = Some(dir.clone());
        Ok(dir)
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        // Opened attachments are copies; the viewer has had them open long enough.
        if let Some(d) = &self.scratch {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

/// Runs `sh -c shell` in its own session with no terminal (stdin: `stdin`, else nothing), and
/// reaps it on a thread. `program` names it in errors.
pub(super) fn spawn_detached(
    program: &str,
    shell: &str,
    stdin: Option<&Path>,
) -> Result<(), BackendError> {
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};
    let input = match stdin {
        Some(p) => Stdio::from(std::fs::File::open(p).map_err(|e| io_error("read", p, e))?),
        None => Stdio::null(),
    };
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(shell)
        .stdin(input)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: setsid() is async-signal-safe and touches no memory of this process.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| BackendError::new(ErrorKind::Io, format!("cannot run {program}: {e}")))?;
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(())
}

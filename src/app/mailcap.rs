//! Opening an attachment the way the user's mailcap says (RFC 1524: `$MAILCAPS`, else
//! `~/.mailcap`, `/etc/mailcap`), and the `auto_view` lookup for the reader.
//!
//! The part is written to a private scratch file (0600 in a 0700 directory; its name is ours,
//! the entry's `nametemplate` or the attachment's name only lend it an extension), then the
//! first entry for its type whose `test=` passes decides:
//! - `copiousoutput` (and no `needsterminal`): run with its output captured, shown in a pager
//!   overlay;
//! - `needsterminal`, or any entry when there is no graphical display (`$DISPLAY` and
//!   `$WAYLAND_DISPLAY` unset: the program can only be a terminal one): the UI hands it the
//!   terminal and takes it back after; the file is removed when it ends;
//! - otherwise: started detached (a GUI viewer); its file stays until postie exits.
//!
//! No entry: `xdg-open` when it is installed, else an error naming the type and the remedy.
//! All of it runs as a task on the network runtime: the store thread only reads the part.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::Backend;
use super::external::{Captured, run_captured};
use super::files::{PartData, part_data, spawn_detached, write_new};
use crate::error::ErrorKind;
use crate::mail::mailcap::{self, Entry, Subject};
use crate::ui::{self, BackendError, Event, Launch, ProgramOutput, TerminalJob};

/// How long a `test=` command may take.
const TEST_LIMIT: Duration = Duration::from_secs(5);
/// How long a `copiousoutput` viewer opened with `v` may take.
const VIEW_LIMIT: Duration = Duration::from_secs(30);

impl Backend {
    /// `v`: reads the part here, then looks up and starts its viewer on a task; the answer is
    /// [`Event::AttachmentOpened`]. `false` when the UI is gone.
    pub(super) async fn open_attachment(&mut self, id: ui::MessageId, part: usize) -> bool {
        let prepared =
            part_data(&self.store, &id, part).and_then(|data| Ok((data, self.scratch_dir()?)));
        let (data, dir) = match prepared {
            Ok(p) => p,
            Err(e) => return self.emit(Event::AttachmentOpened { result: Err(e) }).await,
        };
        let events = self.events.clone();
        let stem = format!("{id}-{part}");
        self.network.spawn(async move {
            let opener = on_path("xdg-open").then_some("xdg-open");
            let (entries, display) = (load_entries(), graphical_display());
            let result = open_part(data, &dir, &stem, &entries, display, opener).await;
            let _ = events.send(Event::AttachmentOpened { result }).await;
        });
        true
    }
}

/// Every entry of the mailcap files, in search order (missing files are skipped).
pub(super) fn load_entries() -> Vec<Entry> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let mailcaps = std::env::var("MAILCAPS").ok();
    mailcap::search_path(mailcaps.as_deref(), home.as_deref(), &[])
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .flat_map(|text| mailcap::parse(&text))
        .collect()
}

/// The first entry for `mime_type` whose `test` passes (`copious_only`: only
/// `copiousoutput` ones).
pub(super) async fn choose(
    entries: &[Entry],
    subject: &Subject<'_>,
    copious_only: bool,
) -> Option<Entry> {
    for entry in mailcap::candidates(entries, subject.mime_type, copious_only) {
        let passes = match &entry.test {
            None => true,
            Some(test) => {
                let shell = mailcap::expand(test, subject).shell;
                matches!(
                    run_captured(&shell, Vec::new(), TEST_LIMIT).await,
                    Ok(Captured { success: true, .. })
                )
            }
        };
        if passes {
            return Some(entry.clone());
        }
    }
    None
}

/// The program an entry runs, for messages ("w3m", "zathura").
pub(super) fn program_name(entry: &Entry) -> String {
    entry
        .view
        .split_whitespace()
        .next()
        .unwrap_or("the viewer")
        .to_owned()
}

fn graphical_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|d| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(d.join(program))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

/// Writes the part to `dir` and starts (or describes how to start) its viewer. `display`:
/// whether a GUI viewer could show anything; `fallback`: the opener to use without an entry
/// (xdg-open when installed).
async fn open_part(
    data: PartData,
    dir: &Path,
    stem: &str,
    entries: &[Entry],
    display: bool,
    fallback: Option<&str>,
) -> Result<Launch, BackendError> {
    let shaping =
        mailcap::candidates(entries, &data.mime_type, false).find(|e| e.name_template.is_some());
    let unique = chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default();
    let file_name = match mailcap::extension(shaping, &data.name) {
        Some(ext) => format!("{stem}-{unique}.{ext}"),
        None => format!("{stem}-{unique}"),
    };
    let path = dir.join(file_name);
    write_new(&path, &data.bytes, 0o600)?;
    let file = path.to_string_lossy().into_owned();
    let subject = Subject {
        file: &file,
        mime_type: &data.mime_type,
        params: &data.params,
    };
    let Some(entry) = choose(entries, &subject, false).await else {
        if let Some(opener) = fallback {
            let shell = format!("{opener} {}", mailcap::shell_quote(&file));
            spawn_detached(opener, &shell, None)?;
            return Ok(Launch::Detached {
                program: opener.to_owned(),
            });
        }
        let _ = std::fs::remove_file(&path);
        return Err(BackendError::new(
            ErrorKind::Config,
            format!(
                "no mailcap entry for {} (and no xdg-open); add one to ~/.mailcap, e.g. \
                 \"{}; less %s; needsterminal\"",
                data.mime_type, data.mime_type
            ),
        ));
    };
    let expanded = mailcap::expand(&entry.view, &subject);
    let program = program_name(&entry);
    let label = format!("{program} for {}", data.mime_type);
    let stdin = expanded.stdin.then(|| path.clone());
    if entry.copious_output && !entry.needs_terminal {
        let input = if expanded.stdin {
            data.bytes.clone()
        } else {
            Vec::new()
        };
        let ran = run_captured(&expanded.shell, input, VIEW_LIMIT).await;
        let _ = std::fs::remove_file(&path);
        let c = ran.map_err(|e| cannot_run(&program, e))?;
        return Ok(Launch::Output(ProgramOutput {
            label,
            text: c.text,
            status: c.status,
            success: c.success,
        }));
    }
    if entry.needs_terminal || !display {
        return Ok(Launch::InTerminal(TerminalJob {
            shell: expanded.shell,
            stdin,
            wait_key: false,
            label,
            remove_after: vec![path],
        }));
    }
    spawn_detached(&program, &expanded.shell, stdin.as_deref())?;
    Ok(Launch::Detached { program })
}

fn cannot_run(program: &str, e: std::io::Error) -> BackendError {
    BackendError::new(ErrorKind::Io, format!("cannot run {program}: {e}"))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    const MAILCAP: &str = "\
application/pdf; false-viewer %s; test=false
application/pdf; pdftotext-ish %s; needsterminal; nametemplate=%s.pdf
text/html; sed 's/<[^>]*>//g'; copiousoutput
image/*; feh %s
";

    fn part(mime: &str, name: &str, bytes: &[u8]) -> PartData {
        PartData {
            bytes: bytes.to_vec(),
            mime_type: mime.into(),
            name: name.into(),
            params: Vec::new(),
        }
    }

    fn private_dir() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        d
    }

    #[tokio::test]
    async fn a_terminal_entry_gets_a_private_copy_named_by_us() {
        let dir = private_dir();
        let entries = mailcap::parse(MAILCAP);
        let data = part("application/pdf", "x'$(touch pwned).PDF", b"%PDF-1.4");
        let launch = open_part(data, dir.path(), "7-1", &entries, true, None)
            .await
            .unwrap();
        let Launch::InTerminal(job) = launch else {
            panic!("expected a terminal job, got {launch:?}");
        };
        // The entry with a failing test= is skipped; the file name is ours plus the
        // nametemplate's extension.
        let file = job.remove_after[0].clone();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("7-1-") && name.ends_with(".pdf"), "{name}");
        assert_eq!(job.shell, format!("pdftotext-ish {}", file.display()));
        assert_eq!(job.stdin, None, "%s given: stdin stays the terminal");
        assert!(!job.wait_key);
        assert_eq!(job.label, "pdftotext-ish for application/pdf");
        assert_eq!(std::fs::read(&file).unwrap(), b"%PDF-1.4");
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[tokio::test]
    async fn copiousoutput_is_captured_and_its_copy_removed() {
        let dir = private_dir();
        let entries = mailcap::parse(MAILCAP);
        let data = part("text/html", "page.html", b"<p>one</p>\n<p>two</p>\n");
        let launch = open_part(data, dir.path(), "7-2", &entries, true, None)
            .await
            .unwrap();
        let Launch::Output(out) = launch else {
            panic!("expected output, got {launch:?}");
        };
        assert_eq!(out.text, "one\ntwo\n", "no %s: the part came on stdin");
        assert!(out.success);
        assert_eq!(out.label, "sed for text/html");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[tokio::test]
    async fn without_a_display_a_gui_entry_gets_the_terminal() {
        let dir = private_dir();
        let entries = mailcap::parse(MAILCAP);
        let launch = open_part(
            part("image/png", "a.png", b"png"),
            dir.path(),
            "7-3",
            &entries,
            false,
            None,
        )
        .await
        .unwrap();
        assert!(
            matches!(launch, Launch::InTerminal(ref j) if j.shell.starts_with("feh ")),
            "{launch:?}"
        );
    }

    #[tokio::test]
    async fn no_entry_names_the_type_and_the_remedy() {
        let dir = private_dir();
        let err = open_part(
            part("video/mp4", "v.mp4", b"x"),
            dir.path(),
            "7-4",
            &[],
            true,
            None,
        )
        .await
        .unwrap_err();
        assert!(
            err.message.contains("no mailcap entry for video/mp4"),
            "{}",
            err.message
        );
        assert!(err.message.contains("~/.mailcap"), "{}", err.message);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "the copy is gone"
        );
    }

    #[tokio::test]
    async fn no_entry_falls_back_to_the_opener_detached() {
        let dir = private_dir();
        let launch = open_part(
            part("video/mp4", "v.mp4", b"x"),
            dir.path(),
            "7-5",
            &[],
            true,
            Some("true"),
        )
        .await
        .unwrap();
        assert_eq!(
            launch,
            Launch::Detached {
                program: "true".into()
            }
        );
    }
}

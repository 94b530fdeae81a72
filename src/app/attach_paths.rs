//! The attach prompt's file-system side: completing a typed path (Tab) and checking that what
//! is about to be attached is a readable file. The UI never touches the disk; it asks here.
//!
//! What must hold: a completion keeps the text as the user typed it (`~/` stays `~/`), only
//! extends it (never rewrites what was typed), and marks directories with a trailing `/`;
//! a directory, a missing or an unreadable file is refused with a reason naming the path.

use std::path::{Path, PathBuf};

use crate::error::ErrorKind;
use crate::ui::{BackendError, Event, PathCompletion};

use super::Backend;

/// At most this many candidates are listed (a completion in a huge directory).
const MAX_CANDIDATES: usize = 200;

/// `~` or `~/...` made absolute with `home`.
pub(super) fn expand(home: Option<&Path>, text: &str) -> PathBuf {
    match (home, text) {
        (Some(home), "~") => home.to_path_buf(),
        (Some(home), t) if t.starts_with("~/") => home.join(&t[2..]),
        _ => PathBuf::from(text),
    }
}

/// Completes `text`: the directory part is listed, the names starting with the last part are
/// the candidates (hidden ones only when that part starts with a dot).
pub(super) fn complete(home: Option<&Path>, text: &str) -> PathCompletion {
    let text = if text == "~" { "~/" } else { text };
    let (dir_text, prefix) = match text.rfind('/') {
        Some(i) => (&text[..=i], &text[i + 1..]),
        None => ("", text),
    };
    let dir = if dir_text.is_empty() {
        PathBuf::from(".")
    } else {
        expand(home, dir_text)
    };
    let mut names: Vec<String> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_str()?.to_string();
                if !name.starts_with(prefix) || (name.starts_with('.') && !prefix.starts_with('.'))
                {
                    return None;
                }
                // Follows symlinks: a link to a directory completes like one.
                let is_dir = std::fs::metadata(e.path()).is_ok_and(|m| m.is_dir());
                Some(if is_dir { format!("{name}/") } else { name })
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names.truncate(MAX_CANDIDATES);
    let common = match names.split_first() {
        None => prefix.to_string(),
        Some((first, rest)) => rest.iter().fold(first.clone(), |acc, n| {
            let len: usize = acc
                .chars()
                .zip(n.chars())
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| a.len_utf8())
                .sum();
            acc[..len].to_string()
        }),
    };
    PathCompletion {
        text: format!("{dir_text}{common}"),
        candidates: if names.len() > 1 { names } else { Vec::new() },
    }
}

/// Whether `path` can be attached: it exists, is a regular file (not a directory) and can be
/// opened for reading.
pub(super) fn check(path: &Path) -> Result<(), BackendError> {
    let refuse = |why: &str| {
        Err(BackendError::new(
            ErrorKind::Data,
            format!("cannot attach {}: {why}", path.display()),
        ))
    };
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => refuse("no such file"),
        Err(e) => refuse(&e.to_string()),
        Ok(m) if m.is_dir() => refuse("it is a directory"),
        Ok(m) if !m.is_file() => refuse("not a regular file"),
        Ok(_) => match std::fs::File::open(path) {
            Ok(_) => Ok(()),
            Err(e) => refuse(&format!("cannot read it ({e})")),
        },
    }
}

impl Backend {
    /// Answers [`crate::ui::Command::CompletePath`].
    pub(super) async fn complete_path(&mut self, text: String) -> bool {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let completion = complete(home.as_deref(), &text);
        self.emit(Event::PathCompleted { text, completion }).await
    }

    /// Answers [`crate::ui::Command::CheckAttachment`].
    pub(super) async fn check_attachment(&mut self, path: PathBuf) -> bool {
        let result = check(&path);
        self.emit(Event::AttachmentChecked { path, result }).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("reports")).unwrap();
        std::fs::write(dir.path().join("report-2025.pdf"), b"x").unwrap();
        std::fs::write(dir.path().join("report-2026.pdf"), b"x").unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"x").unwrap();
        std::fs::write(dir.path().join(".hidden"), b"x").unwrap();
        dir
    }

    #[test]
    fn completes_to_the_common_prefix_and_lists_the_candidates() {
        let dir = tree();
        let base = format!("{}/", dir.path().display());
        let c = complete(None, &format!("{base}rep"));
        assert_eq!(c.text, format!("{base}report"));
        assert_eq!(
            c.candidates,
            vec!["report-2025.pdf", "report-2026.pdf", "reports/"]
        );
        let c = complete(None, &format!("{base}report-2026"));
        assert_eq!(c.text, format!("{base}report-2026.pdf"));
        assert!(c.candidates.is_empty());
    }

    #[test]
    fn a_directory_gets_its_slash_and_hidden_files_need_a_dot() {
        let dir = tree();
        let base = format!("{}/", dir.path().display());
        assert_eq!(
            complete(None, &format!("{base}reports")).text,
            format!("{base}reports/")
        );
        let all = complete(None, &base);
        assert!(!all.candidates.iter().any(|c| c.starts_with('.')));
        assert_eq!(all.candidates.len(), 4);
        assert_eq!(
            complete(None, &format!("{base}.h")).text,
            format!("{base}.hidden")
        );
    }

    #[test]
    fn tilde_is_expanded_to_list_but_kept_in_the_text() {
        let dir = tree();
        let c = complete(Some(dir.path()), "~/no");
        assert_eq!(c.text, "~/notes.txt");
        let c = complete(Some(dir.path()), "~");
        assert_eq!(c.candidates.len(), 4);
        assert!(c.text.starts_with("~/"));
    }

    #[test]
    fn nothing_matching_leaves_the_text_alone() {
        let dir = tree();
        let text = format!("{}/zzz", dir.path().display());
        assert_eq!(
            complete(None, &text),
            PathCompletion {
                text,
                candidates: Vec::new()
            }
        );
    }

    #[test]
    fn missing_files_and_directories_are_refused() {
        let dir = tree();
        let missing = dir.path().join("nope.pdf");
        let e = check(&missing).unwrap_err();
        assert_eq!(
            e.message,
            format!("cannot attach {}: no such file", missing.display())
        );
        let e = check(&dir.path().join("reports")).unwrap_err();
        assert!(e.message.contains("it is a directory"), "{}", e.message);
        assert!(check(&dir.path().join("notes.txt")).is_ok());
    }
}

//! Who else can change or read the config file.
//!
//! `password_command` runs from the config, so a config another user can change is a way to
//! run commands as this user. Refused (`FILE: ...`, exit 78) when:
//! - the file is writable by every user (even below a private directory: that mode is a
//!   mistake a later `chmod` of the directory turns into a hole);
//! - the file belongs to another user who is not root;
//! - a directory above it is writable by every user without the sticky bit (anyone could put
//!   another file in its place; `/tmp` with its sticky bit is fine).
//!
//! Milder exposures are warnings, printed once per run by the CLI: a file or directory
//! writable by its group, and a file other users can read while it holds a secret. The config
//! has no password key; what can hold one is a `password_command` that prints it inline
//! (`echo ...`, `printf ...`): see [`holds_inline_secret`]. A command that fetches the password
//! (`pass show mail/work`) reveals no secret, and most configs are 0644 under a 0755 home, so
//! warning about those would only teach users to ignore the warning. Only what others can
//! reach counts: below a directory nobody else may enter (`~/.config` is often 0700) a file
//! is not readable by them, whatever its own mode.
//!
//! The judgement ([`judge`]) is a pure function of the modes and owners, tested without files;
//! [`inspect`] gathers them, following symlinks to the real file and its real directories.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The mode and owner of one path: the config file, or a directory above it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub path: PathBuf,
    /// The permission bits with setuid/setgid/sticky (`st_mode & 0o7777`).
    pub mode: u32,
    pub uid: u32,
}

/// The config file and the directories above it, nearest first, up to `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    pub file: Entry,
    pub dirs: Vec<Entry>,
}

const WORLD_WRITE: u32 = 0o002;
const GROUP_WRITE: u32 = 0o020;
const OTHERS_READ: u32 = 0o044;
const OTHERS_SEARCH: u32 = 0o011;
const STICKY: u32 = 0o1000;

/// The modes of `path` (symlinks followed) and of every directory above the real file. None
/// when the file cannot be examined (a missing file is reported by the read itself).
pub fn inspect(path: &Path) -> Option<Inspection> {
    let real = std::fs::canonicalize(path).ok()?;
    let entry = |p: &Path| {
        std::fs::metadata(p).ok().map(|m| Entry {
            path: p.to_path_buf(),
            mode: m.mode() & 0o7777,
            uid: m.uid(),
        })
    };
    let file = entry(&real)?;
    let dirs = real.ancestors().skip(1).filter_map(entry).collect();
    Some(Inspection { file, dirs })
}

/// The user this process runs as (its effective uid).
pub fn current_uid() -> u32 {
    // SAFETY: geteuid takes no arguments, touches no memory of ours and cannot fail.
    unsafe { libc::geteuid() }
}

/// Whether a `password_command` carries the password itself: its program is `echo` or
/// `printf`, so the secret is in the config's text.
pub fn holds_inline_secret(password_command: &str) -> bool {
    let program = password_command.split_whitespace().next().unwrap_or("");
    let program = program.rsplit('/').next().unwrap_or(program);
    matches!(program, "echo" | "printf")
}

/// `Err(reason)` when the config must not be used; else the warnings (without the file name:
/// the caller prefixes it). `me` is the current user; `holds_secret` whether the file's text
/// holds a password (see [`holds_inline_secret`]).
pub fn judge(found: &Inspection, me: u32, holds_secret: bool) -> Result<Vec<String>, String> {
    let file = &found.file;
    if file.mode & WORLD_WRITE != 0 {
        return Err(format!(
            "refusing a config file every user can write (mode {:04o}): password_command runs \
             from it; run `chmod go-w {}`",
            file.mode,
            file.path.display()
        ));
    }
    if file.uid != me && file.uid != 0 {
        return Err(format!(
            "refusing a config file that belongs to another user (uid {}), who could change \
             it: password_command runs from it; use a file of your own",
            file.uid
        ));
    }
    if let Some(dir) = found
        .dirs
        .iter()
        .find(|d| d.mode & WORLD_WRITE != 0 && d.mode & STICKY == 0)
    {
        return Err(format!(
            "refusing a config file below {}, which every user can write (mode {:04o}, no \
             sticky bit), so anyone could replace it: password_command runs from it; run \
             `chmod o-w {}` or move the config",
            dir.path.display(),
            dir.mode,
            dir.path.display()
        ));
    }
    let mut warnings = Vec::new();
    let reachable = found.dirs.iter().all(|d| d.mode & OTHERS_SEARCH != 0);
    if !reachable {
        return Ok(warnings);
    }
    if file.mode & GROUP_WRITE != 0 {
        warnings.push(format!(
            "its group can change this config file (mode {:04o}), and password_command runs \
             from it: run `chmod g-w {}`",
            file.mode,
            file.path.display()
        ));
    }
    for dir in found
        .dirs
        .iter()
        .filter(|d| d.mode & GROUP_WRITE != 0 && d.mode & STICKY == 0)
    {
        warnings.push(format!(
            "its group can write {} (mode {:04o}), so its members could replace this config \
             file: run `chmod g-w {}`",
            dir.path.display(),
            dir.mode,
            dir.path.display()
        ));
    }
    if holds_secret && file.mode & OTHERS_READ != 0 {
        warnings.push(format!(
            "other users can read this config file (mode {:04o}), and a password_command in it \
             holds the password itself: run `chmod 600 {}`",
            file.mode,
            file.path.display()
        ));
    }
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: u32 = 1000;

    fn at(mode: u32, dirs: &[u32]) -> Inspection {
        Inspection {
            file: Entry {
                path: PathBuf::from("/home/a/.config/postie/config.toml"),
                mode,
                uid: ME,
            },
            dirs: dirs
                .iter()
                .enumerate()
                .map(|(i, &mode)| Entry {
                    path: PathBuf::from(format!("/dir{i}")),
                    mode,
                    uid: if i + 1 == dirs.len() { 0 } else { ME },
                })
                .collect(),
        }
    }

    #[test]
    fn world_writable_file_is_refused_even_in_a_private_directory() {
        for dirs in [&[0o755, 0o755][..], &[0o700, 0o755][..]] {
            let reason = judge(&at(0o666, dirs), ME, false).expect_err("refused");
            assert!(
                reason.contains("every user can write") && reason.contains("chmod go-w"),
                "{reason}"
            );
        }
    }

    #[test]
    fn world_writable_directory_without_sticky_bit_is_refused_with_it_is_fine() {
        let reason = judge(&at(0o600, &[0o777, 0o755]), ME, true).expect_err("refused");
        assert!(
            reason.contains("/dir0") && reason.contains("no sticky bit"),
            "{reason}"
        );
        assert_eq!(judge(&at(0o600, &[0o1777, 0o755]), ME, true), Ok(vec![]));
    }

    #[test]
    fn another_users_file_is_refused_roots_is_not() {
        let mut found = at(0o644, &[0o755]);
        found.file.uid = 1001;
        assert!(judge(&found, ME, false).is_err());
        found.file.uid = 0;
        assert_eq!(judge(&found, ME, false), Ok(vec![]));
    }

    #[test]
    fn only_a_command_that_prints_the_password_itself_is_a_secret() {
        assert!(holds_inline_secret("echo hunter2"));
        assert!(holds_inline_secret("  /bin/echo hunter2"));
        assert!(holds_inline_secret("printf '%s' hunter2"));
        assert!(!holds_inline_secret("pass show mail/work"));
        assert!(!holds_inline_secret("cat ~/.secret"));
        assert!(!holds_inline_secret("echoes"));
        assert!(!holds_inline_secret(""));
    }

    #[test]
    fn group_writable_and_readable_with_a_secret_warn() {
        let warnings = judge(&at(0o664, &[0o755, 0o755]), ME, true).expect("usable");
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].contains("group can change"), "{warnings:?}");
        assert!(warnings[1].contains("chmod 600"), "{warnings:?}");
        // Readable without a secret in it: nothing to say.
        assert_eq!(judge(&at(0o644, &[0o755]), ME, false), Ok(vec![]));
        // A group-writable directory.
        let warnings = judge(&at(0o600, &[0o775, 0o755]), ME, false).expect("usable");
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("/dir0"), "{warnings:?}");
    }

    #[test]
    fn nothing_to_warn_about_below_a_private_directory() {
        assert_eq!(
            judge(&at(0o664, &[0o755, 0o700, 0o755]), ME, true),
            Ok(vec![])
        );
        assert_eq!(judge(&at(0o600, &[0o755, 0o755]), ME, true), Ok(vec![]));
    }

    #[test]
    fn inspect_follows_the_file_up_to_the_root() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("config.toml");
        std::fs::write(&file, "").expect("write");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        let link = dir.path().join("link.toml");
        std::os::unix::fs::symlink(&file, &link).expect("symlink");
        let found = inspect(&link).expect("inspected");
        assert_eq!(found.file.mode, 0o640);
        assert_eq!(found.file.path.file_name(), Some("config.toml".as_ref()));
        assert_eq!(
            found.dirs.last().map(|d| d.path.clone()),
            Some(PathBuf::from("/"))
        );
        assert_eq!(
            found.dirs[0].mode,
            std::fs::metadata(dir.path())
                .expect("stat")
                .permissions()
                .mode()
                & 0o7777
        );
        assert!(inspect(&dir.path().join("missing")).is_none());
    }
}

//! `postie init --email ADDR`: discover the address's servers ([`crate::discover`]) and write
//! the account into the config.
//!
//! What must hold: an existing config is never overwritten nor changed except by appending the
//! new `[accounts.NAME]` (an account of that name already there is refused, exit 73); the new
//! text is written to a temporary file beside it, fsynced and renamed over it, so a crash leaves
//! the old file or the new one, never half of one. A missing config is created as `postie init`
//! creates one (0600, directory 0700, never over a file that appeared meanwhile).

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::init::{InitError, write_new};
use super::{CliError, Context};
use crate::discover::{self, render};

/// The first lines of a config file `init --email` creates.
const NEW_FILE_HEADER: &str = "# postie configuration, started by `postie init --email`.\n\
# Every key is described in docs/config.md (`postie man postie-config`); `postie init` on an\n\
# empty path writes a commented template. Check this file with `postie config check`.\n\n";

pub fn run(
    ctx: &Context,
    email: &str,
    name: Option<String>,
    dry_run: bool,
) -> Result<ExitCode, CliError> {
    discover::split_address(email).map_err(InitError::from)?;
    let name = name.unwrap_or_else(|| render::default_name(email));
    if let Some(problem) = bad_name(&name) {
        return Err(CliError::Usage(problem));
    }
    let found = super::block_on(discover::discover(email))?.map_err(InitError::from)?;
    let account = account_text(&name, &found);
    if dry_run {
        super::write_stdout(account.as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    let path = crate::config::locate(ctx.config_path.as_deref())?;
    let created = add_account(&path, &name, &account)?;
    let mut message = String::new();
    for line in &found.tried {
        message.push_str(&format!("tried first: {line}\n"));
    }
    for line in render::source_lines(&found) {
        message.push_str(&line);
        message.push('\n');
    }
    message.push_str(&format!(
        "{} account {name:?} to {}\nnext: {}\n",
        if created { "wrote" } else { "added" },
        path.display(),
        render::next_steps(&name, &found)
    ));
    super::write_stdout(message.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// The account as written: where each server came from (comments), then its tables.
pub(super) fn account_text(name: &str, found: &discover::Found) -> String {
    let mut account = String::from("# Written by `postie init --email`:\n");
    for line in render::source_lines(found) {
        account.push_str(&format!("# {line}\n"));
    }
    account.push_str(&render::account_toml(name, found));
    account
}

/// The config parser's rule for account names, said before anything is looked up.
pub(super) fn bad_name(name: &str) -> Option<String> {
    let ok = !name.is_empty()
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    (!ok).then(|| format!("--name {name:?}: use letters, digits, '-', '_' or '.'"))
}

/// Appends `account` (the TOML of account `name`) to the config at `path`, or creates the file.
/// Returns whether it was created.
pub fn add_account(path: &Path, name: &str, account: &str) -> Result<bool, InitError> {
    let unparsable = |reason: String| InitError::Unparsable {
        path: path.to_path_buf(),
        reason,
    };
    let old = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            write_new(path, format!("{NEW_FILE_HEADER}{account}").as_bytes())?;
            return Ok(true);
        }
        Err(source) => {
            return Err(InitError::Write {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let table: toml::Table = old.parse().map_err(|e: toml::de::Error| {
        unparsable(format!("it is not valid TOML ({})", e.message()))
    })?;
    if table
        .get("accounts")
        .and_then(|a| a.as_table())
        .is_some_and(|a| a.contains_key(name))
    {
        return Err(InitError::AccountExists {
            path: path.to_path_buf(),
            name: name.to_owned(),
        });
    }
    let separator = if old.is_empty() || old.ends_with("\n\n") {
        ""
    } else if old.ends_with('\n') {
        "\n"
    } else {
        "\n\n"
    };
    let new = format!("{old}{separator}{account}");
    new.parse::<toml::Table>()
        .map_err(|e| unparsable(format!("the account would not fit in it ({})", e.message())))?;
    replace_atomically(path, new.as_bytes())?;
    Ok(false)
}

/// Writes `contents` to a temporary file beside `path` (the symlink's target, if it is one),
/// with the old file's permissions, fsyncs it, renames it over the file and fsyncs the
/// directory.
fn replace_atomically(path: &Path, contents: &[u8]) -> Result<(), InitError> {
    let target = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let write_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| InitError::Write { path, source }
    };
    let mode = fs::metadata(&target)
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or(0o600);
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let file_name = target.file_name().map_or_else(
        || "config.toml".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let tmp = dir.join(format!(".{file_name}.postie-init-{}", std::process::id()));
    let written = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)?;
        file.write_all(contents)?;
        file.sync_all()
    })();
    if let Err(source) = written {
        let _ = fs::remove_file(&tmp);
        return Err(write_error(&tmp)(source));
    }
    if let Err(source) = fs::rename(&tmp, &target) {
        let _ = fs::remove_file(&tmp);
        return Err(write_error(&target)(source));
    }
    fs::File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(write_error(&dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_without_touching_the_rest_and_refuses_a_taken_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.toml");
        let old = "# mine\ntheme = \"default\"\n[accounts.home]\nemail = \"h@x.org\"";
        fs::write(&path, old).expect("write");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).expect("chmod");
        let account = "[accounts.work]\nemail = \"w@x.org\"\n";
        assert!(!add_account(&path, "work", account).expect("added"));
        let text = fs::read_to_string(&path).expect("read");
        assert!(text.starts_with(old), "{text}");
        assert!(text.ends_with(account));
        let mode = fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        let again = add_account(&path, "home", "[accounts.home]\n").expect_err("taken");
        assert!(matches!(again, InitError::AccountExists { .. }));
        assert_eq!(fs::read_to_string(&path).expect("read"), text);
        let leftovers = fs::read_dir(dir.path()).expect("dir").count();
        assert_eq!(leftovers, 1, "no temporary file left behind");
    }

    #[test]
    fn a_missing_file_is_created_private_and_a_broken_one_left_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub/config.toml");
        assert!(add_account(&path, "a", "[accounts.a]\n").expect("created"));
        let mode = fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let broken = dir.path().join("broken.toml");
        fs::write(&broken, "accounts = 3\n[x").expect("write");
        let err = add_account(&broken, "a", "[accounts.a]\n").expect_err("refused");
        assert!(matches!(err, InitError::Unparsable { .. }));
        assert_eq!(
            fs::read_to_string(&broken).expect("read"),
            "accounts = 3\n[x"
        );
    }
}

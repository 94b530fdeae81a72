//! The CLI around the config: `config check`, `init`, the lookup order, and the generated
//! help, version, completions and man page. Every run starts from an empty environment with
//! HOME and the XDG dirs in a temp dir, so a developer's own config never leaks in.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;

/// A throw-away home: `$HOME`, `$XDG_CONFIG_HOME` and `$XDG_DATA_HOME` inside one temp dir.
struct Home {
    dir: TempDir,
}

impl Home {
    fn new() -> Home {
        Home {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Where the XDG lookup puts the config.
    fn xdg_config(&self) -> PathBuf {
        self.path("config/postie/config.toml")
    }

    fn postie(&self) -> Command {
        let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("postie");
        cmd.env_clear()
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env("XDG_DATA_HOME", self.path("data"))
            .env("PATH", "/usr/bin:/bin");
        cmd
    }

    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.path(rel);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(&path, text).expect("write config");
        path
    }
}

fn account(name: &str) -> String {
    format!(
        "[accounts.{name}]\nemail = \"{name}@x.test\"\n\n[accounts.{name}.incoming]\nprotocol = \"imap\"\nhost = \"mail.x.test\"\n"
    )
}

#[test]
fn config_check_reports_a_typo_with_file_and_line_and_exits_78() {
    let home = Home::new();
    let text = account("work").replace("host =", "hots =");
    let path = home.write("config/postie/config.toml", &text);
    home.postie()
        .args(["config", "check"])
        .assert()
        .code(78)
        .stdout("")
        .stderr(predicate::str::contains(format!(
            "{}:6: unknown key `hots`",
            path.display()
        )));
}

#[test]
fn config_check_accepts_a_good_file() {
    let home = Home::new();
    let text = account("work") + "password_command = \"cat ~/.pw\"\n";
    let path = home.write("config/postie/config.toml", &text);
    home.postie()
        .args(["config", "check"])
        .assert()
        .success()
        .stderr("")
        .stdout(predicate::str::contains(path.display().to_string()))
        .stdout(predicate::str::contains("1 account"));
}

#[test]
fn missing_config_names_the_path_and_suggests_init() {
    let home = Home::new();
    home.postie()
        .args(["config", "check"])
        .assert()
        .code(78)
        .stderr(predicate::str::contains(
            home.xdg_config().display().to_string(),
        ))
        .stderr(predicate::str::contains("postie init"));
}

#[test]
fn other_commands_print_one_line_for_a_bad_config() {
    let home = Home::new();
    let text = account("work").replace("host =", "hots =");
    home.write("config/postie/config.toml", &text);
    let out = home.postie().args(["login", "work"]).assert().code(78);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("postie: "), "{stderr}");
}

#[test]
fn login_of_an_unknown_account_lists_the_known_ones() {
    let home = Home::new();
    home.write("config/postie/config.toml", &account("work"));
    home.postie()
        .args(["login", "home"])
        .assert()
        .code(78)
        .stderr(predicate::str::contains("no account named \"home\""))
        .stderr(predicate::str::contains("work"));
}

#[test]
fn init_writes_once_privately_and_its_template_parses() {
    let home = Home::new();
    let path = home.xdg_config();
    home.postie()
        .arg("init")
        .assert()
        .success()
        .stdout(predicate::str::contains(path.display().to_string()));
    let mode = |p: &Path| fs::metadata(p).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().expect("dir")), 0o700);
    let written = fs::read_to_string(&path).expect("template");

    // Untouched, it parses (no syntax error, no unknown key) but is not yet configured.
    home.postie()
        .args(["config", "check"])
        .assert()
        .code(78)
        .stderr(predicate::str::contains("not yet configured"))
        .stderr(predicate::str::contains("unknown").not());

    fs::write(&path, "# mine\n").expect("edit");
    home.postie()
        .arg("init")
        .assert()
        .code(73)
        .stderr(predicate::str::contains("already exists"));
    assert_eq!(fs::read_to_string(&path).expect("kept"), "# mine\n");
    assert!(written.contains("[accounts."));
}

#[test]
fn init_honours_config_flag() {
    let home = Home::new();
    let path = home.path("elsewhere/p.toml");
    home.postie()
        .arg("init")
        .arg("--config")
        .arg(&path)
        .assert()
        .success();
    assert!(path.is_file());
    assert!(!home.xdg_config().exists());
}

#[test]
fn lookup_order_flag_then_env_then_xdg() {
    let home = Home::new();
    let xdg = home.write("config/postie/config.toml", &account("xdg"));
    let env = home.write(
        "env.toml",
        &format!("{}{}", account("env1"), account("env2")),
    );
    let flag = home.write(
        "flag.toml",
        &format!("{}{}{}", account("f1"), account("f2"), account("f3")),
    );
    let check = |cmd: &mut Command, expect: &Path, accounts: &str| {
        cmd.args(["config", "check"])
            .assert()
            .success()
            .stdout(predicate::str::contains(expect.display().to_string()))
            .stdout(predicate::str::contains(accounts));
    };
    check(&mut home.postie(), &xdg, "1 account");
    check(home.postie().env("POSTIE_CONFIG", &env), &env, "2 accounts");
    check(
        home.postie()
            .env("POSTIE_CONFIG", &env)
            .arg("--config")
            .arg(&flag),
        &flag,
        "3 accounts",
    );
}

#[test]
fn version_and_help() {
    let home = Home::new();
    home.postie()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::starts_with(format!(
            "postie {}",
            env!("CARGO_PKG_VERSION")
        )));
    home.postie()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("--config <PATH>"))
        .stdout(predicate::str::contains("init"));
}

#[test]
fn usage_errors_exit_64() {
    let home = Home::new();
    home.postie().arg("frobnicate").assert().code(64);
    home.postie()
        .args(["completions", "tcsh"])
        .assert()
        .code(64);
}

#[test]
fn completions_and_man_page() {
    let home = Home::new();
    home.postie()
        .args(["completions", "bash"])
        .assert()
        .success()
        .stdout(predicate::str::contains("_postie()"));
    home.postie()
        .arg("man")
        .assert()
        .success()
        .stdout(predicate::str::contains(".TH postie 1"));
}

#[test]
fn login_without_a_password_is_refused() {
    let home = Home::new();
    home.write("config/postie/config.toml", &account("work"));
    home.postie()
        .args(["login", "work"])
        .write_stdin("\n")
        .assert()
        .code(64)
        .stderr(predicate::str::contains("empty password"));
}

#[test]
fn login_on_a_maildir_account_without_outgoing_has_nothing_to_store() {
    let home = Home::new();
    home.write(
        "config/postie/config.toml",
        "[accounts.local]\nemail = \"me@x.test\"\nincoming = { protocol = \"maildir\", path = \"~/Maildir\" }\n",
    );
    home.postie()
        .args(["login", "local"])
        .assert()
        .code(64)
        .stderr(predicate::str::contains("no server that needs a password"));
}

/// A home under /tmp whose directories other users may enter (0755), so the permission rules
/// see the file as others would, whatever `$TMPDIR` or the umask are.
fn reachable_home() -> Home {
    let dir = tempfile::Builder::new()
        .tempdir_in("/tmp")
        .expect("temp dir in /tmp");
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod home");
    Home { dir }
}

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

/// `password_command` runs from the config: one every user can write is refused, by every
/// command, with `FILE: ...` and exit 78, before anything runs from it.
#[test]
fn a_world_writable_config_is_refused_with_exit_78() {
    let home = reachable_home();
    let marker = home.path("ran");
    let text = account("work") + &format!("password_command = \"touch '{}'\"\n", marker.display());
    let path = home.write("config/postie/config.toml", &text);
    chmod(&path, 0o666);
    for args in [&["config", "check"][..], &["list"][..], &["sync"][..]] {
        let out = home.postie().args(args).assert().code(78);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(
            stderr.contains(&format!("{}: refusing", path.display()))
                && stderr.contains("chmod go-w"),
            "{args:?}: {stderr}"
        );
    }
    assert!(!marker.exists(), "password_command ran");
    chmod(&path, 0o600);
    home.postie().args(["config", "check"]).assert().success();
}

/// Anyone could put another file in place of a config in a directory everyone can write:
/// refused, naming the directory; the sticky bit (as on /tmp) makes it fine.
#[test]
fn a_config_in_a_world_writable_directory_is_refused_unless_sticky() {
    let home = reachable_home();
    // A password source, so that `config check` has nothing else to warn about.
    let text = account("work") + "password_command = \"cat /dev/null\"\n";
    let path = home.write("config/postie/config.toml", &text);
    let dir = path.parent().expect("dir").to_path_buf();
    chmod(&dir, 0o777);
    let out = home.postie().args(["config", "check"]).assert().code(78);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains(&dir.display().to_string()) && stderr.contains("no sticky bit"),
        "{stderr}"
    );
    chmod(&dir, 0o1777);
    home.postie()
        .args(["config", "check"])
        .assert()
        .success()
        .stderr("");
}

/// Group-writable, and readable by others while a password_command holds the password
/// itself: the command runs, with one warning line each, said once.
#[test]
fn a_group_writable_or_secret_readable_config_warns_once() {
    let home = reachable_home();
    let text = account("work") + "password_command = \"echo hunter2\"\n";
    let path = home.write("config/postie/config.toml", &text);
    for dir in ["config", "config/postie"] {
        chmod(&home.path(dir), 0o755);
    }
    chmod(&path, 0o664);
    let out = home.postie().args(["list", "--json"]).assert().success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(
        lines[0].starts_with(&format!(
            "postie: warning: {}: its group can change",
            path.display()
        )),
        "{stderr}"
    );
    assert!(lines[1].contains("chmod 600"), "{stderr}");
    // 0600: nothing to say. A password_command that fetches the password: nothing either.
    chmod(&path, 0o600);
    home.postie()
        .args(["list", "--json"])
        .assert()
        .success()
        .stderr("");
    fs::write(
        &path,
        account("work") + "password_command = \"pass show mail\"\n",
    )
    .expect("edit");
    chmod(&path, 0o644);
    home.postie()
        .args(["list", "--json"])
        .assert()
        .success()
        .stderr("");
}

#[test]
fn config_check_of_the_untouched_template_names_each_placeholder_and_is_not_ok() {
    let home = Home::new();
    home.postie().arg("init").assert().success();
    let path = home.xdg_config().display().to_string();
    let out = home.postie().args(["config", "check"]).assert().code(78);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(!stdout.contains("OK"), "{stdout}");
    for value in ["you@example.org", "imap.example.org", "smtp.example.org"] {
        let line = stderr
            .lines()
            .find(|l| l.contains(value))
            .unwrap_or_else(|| panic!("{value} named: {stderr}"));
        assert!(line.starts_with(&format!("{path}:")), "FILE:LINE: {line}");
        assert!(
            line[path.len() + 1..].starts_with(|c: char| c.is_ascii_digit()),
            "{line}"
        );
    }
    assert!(stderr.contains("run `postie login example`"), "{stderr}");
    assert!(stderr.contains("not yet configured"), "{stderr}");
}

#[test]
fn config_check_rejects_an_unknown_keys_action_with_file_and_line() {
    let home = Home::new();
    let text = account("work") + "password_command = \"cat ~/.pw\"\n[keys]\ncompse = \"c\"\n";
    let path = home.write("config/postie/config.toml", &text);
    home.postie()
        .args(["config", "check"])
        .assert()
        .code(78)
        .stdout("")
        .stderr(predicate::str::contains(format!(
            "{}:9: [keys]: unknown action \"compse\" (did you mean \"compose\"?)",
            path.display()
        )));
}

#[test]
fn config_check_rejects_a_missing_theme_with_file_and_line() {
    let home = Home::new();
    let text = format!("theme = \"solarised\"\n{}", account("work"));
    let path = home.write("config/postie/config.toml", &text);
    home.postie()
        .args(["config", "check"])
        .assert()
        .code(78)
        .stderr(predicate::str::contains(format!(
            "{}:1: theme: cannot find theme \"solarised\"",
            path.display()
        )));
}

#[test]
fn the_tui_refuses_a_bad_keys_table_with_the_same_file_and_line() {
    let home = Home::new();
    let text = account("work") + "[keys]\nreply = \"C-\"\n";
    let path = home.write("config/postie/config.toml", &text);
    let out = home.postie().assert().code(78);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.starts_with(&format!("postie: {}:8: [keys]: ", path.display())),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn config_check_and_the_tui_report_each_theme_file_problem_at_its_line() {
    let home = Home::new();
    let text = format!(
        "theme = \"mine\"\n{}password_command = \"cat ~/.pw\"\n",
        account("work")
    );
    home.write("config/postie/config.toml", &text);
    let theme = home.write(
        "config/postie/themes/mine.toml",
        "[list]\nfg = \"red\"\n\n[row_unread]\nfg = \"purplish\"\nbold = true\n",
    );
    let out = home.postie().args(["config", "check"]).assert().code(78);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    let t = theme.display();
    assert!(
        stderr.contains(&format!("{t}:1: theme \"mine\": unknown style \"list\"")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "{t}:5: theme \"mine\": row_unread.fg: invalid colour \"purplish\""
        )),
        "{stderr}"
    );
    // The TUI refuses the same file with the same first line, not a bare exit 78.
    let out = home.postie().assert().code(78);
    let tui = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        tui.starts_with(&format!("postie: {t}:1: theme \"mine\": unknown style")),
        "{tui}"
    );
    // Fixed, both pass.
    home.write(
        "config/postie/themes/mine.toml",
        "[row_unread]\nfg = \"magenta\"\nbold = true\n",
    );
    home.postie().args(["config", "check"]).assert().code(0);
}

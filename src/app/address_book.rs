//! `address_book_command`: an external address book (khard, abook, a script) asked for the
//! addresses matching what is typed in To/Cc/Bcc, merged with the addresses seen in mail.
//!
//! What must hold: the command runs off the store thread, through `sh -c`, with the typed text
//! shell-quoted (never spliced raw into the shell text), and is given at most
//! [`QUERY_LIMIT`]; whatever it prints (or a failure) never breaks completion: the addresses
//! seen are answered anyway. Output is read in both common formats: mutt's query format
//! (`abook --mutt-query`: a header line, then `address<TAB>name<TAB>other`) and khard's
//! `email --parsable` (`address<TAB>name<TAB>type`, no header).

use std::time::Duration;

use crate::ui::{BackendError, Event};

use super::{Backend, Mode, store_error};

/// How long the address book may take before its answer is given up.
pub(super) const QUERY_LIMIT: Duration = Duration::from_secs(5);

/// `text` as one shell word.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The shell text to run: `%s` replaced by the quoted query, else the query appended.
pub(super) fn command_line(template: &str, query: &str) -> String {
    let quoted = shell_quote(query);
    if template.contains("%s") {
        template.replace("%s", &quoted)
    } else {
        format!("{template} {quoted}")
    }
}

/// The addresses in an address book's output, as `Name <addr>` (or `addr`), in its order.
/// Lines without an `@` in their first field (mutt's header line, "No matches", blank lines)
/// are skipped.
pub(super) fn parse(output: &str) -> Vec<String> {
    output
        .lines()
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let addr = fields.next()?.trim();
            if !addr.contains('@') || addr.contains(char::is_whitespace) {
                return None;
            }
            let name = fields.next().map(str::trim).unwrap_or_default();
            Some(if name.is_empty() {
                addr.to_string()
            } else if name.contains([',', '"', '<', '>', '@', ';']) {
                format!("\"{}\" <{addr}>", name.replace('"', "'"))
            } else {
                format!("{name} <{addr}>")
            })
        })
        .collect()
}

/// The bare address of a completion, for deduplication.
fn address_key(entry: &str) -> String {
    let addr = match (entry.rfind('<'), entry.ends_with('>')) {
        (Some(open), true) => &entry[open + 1..entry.len() - 1],
        _ => entry,
    };
    addr.trim().to_ascii_lowercase()
}

/// The addresses seen first (they are ordered by use), then the address book's new ones; one
/// entry per address.
pub(super) fn merge(seen: Vec<String>, book: Vec<String>) -> Vec<String> {
    let mut keys = std::collections::HashSet::new();
    seen.into_iter()
        .chain(book)
        .filter(|e| keys.insert(address_key(e)))
        .collect()
}

/// Runs the address book for `query`: its addresses, or why there are none.
pub(super) async fn query(template: &str, query: &str) -> Result<Vec<String>, String> {
    let line = command_line(template, query);
    let child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(&line)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    match tokio::time::timeout(QUERY_LIMIT, child).await {
        Err(_) => Err(format!(
            "address_book_command gave no answer within {} s",
            QUERY_LIMIT.as_secs()
        )),
        Ok(Err(e)) => Err(format!("cannot run address_book_command: {e}")),
        // The shell's "not found" / "not executable": the command itself is wrong.
        Ok(Ok(out)) if matches!(out.status.code(), Some(126 | 127)) => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let why = stderr.lines().next().unwrap_or("").trim();
            Err(format!("address_book_command cannot run: {why}"))
        }
        // abook and khard exit non-zero when nothing matches: read what they printed anyway.
        Ok(Ok(out)) => Ok(parse(&String::from_utf8_lossy(&out.stdout))),
    }
}

impl Backend {
    /// Answers [`Command::CompleteAddress`]: the addresses seen at once, or, with an
    /// `address_book_command`, those merged with the address book's once it answers (it runs
    /// on the network runtime, so the store thread never waits for it).
    pub(super) async fn complete_address(&mut self, prefix: String) -> bool {
        let seen = self.complete(&prefix).map_err(store_error);
        let command = match (&seen, &self.options.config.address_book_command) {
            (Ok(_), Some(command)) if self.options.mode != Mode::Demo => command.clone(),
            _ => {
                return self
                    .emit(Event::Completions {
                        prefix,
                        result: seen,
                    })
                    .await;
            }
        };
        let seen = seen.unwrap_or_default();
        let events = self.events.clone();
        self.network.spawn(async move {
            let (book, failed) = match query(&command, &prefix).await {
                Ok(book) => (book, None),
                Err(e) => {
                    tracing::warn!("{e}");
                    (Vec::new(), Some(e))
                }
            };
            let result = Ok(merge(seen, book));
            let _ = events.send(Event::Completions { prefix, result }).await;
            // Said where the user looks, not only in the log: the completions shown are the
            // addresses of mail seen, and the address book needs fixing.
            if let Some(e) = failed {
                let message = format!("{e} (completing from the addresses in your mail only)");
                let error = BackendError::new(crate::error::ErrorKind::Config, message);
                let _ = events.send(Event::Error(error)).await;
            }
        });
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_mutt_query_output_skipping_its_header() {
        let out = "Searching database ... 2 entries ... 2 matching:\n\
                   alice@x.test\tAlice Example\tfriends\n\
                   doe@y.test\tDoe, John\t\n";
        assert_eq!(
            parse(out),
            vec!["Alice Example <alice@x.test>", "\"Doe, John\" <doe@y.test>"]
        );
    }

    #[test]
    fn reads_khard_parsable_output() {
        let out = "bob@work.test\tBob Builder\twork\nbob@home.test\tBob Builder\thome\n";
        assert_eq!(
            parse(out),
            vec!["Bob Builder <bob@work.test>", "Bob Builder <bob@home.test>"]
        );
        assert_eq!(parse("nobody@x.test\n"), vec!["nobody@x.test"]);
        assert!(parse("No matches.\n\n").is_empty());
    }

    #[test]
    fn the_query_is_quoted_where_percent_s_is_or_appended() {
        assert_eq!(
            command_line("khard email --parsable %s", "o'neil; rm -rf"),
            r"khard email --parsable 'o'\''neil; rm -rf'"
        );
        assert_eq!(
            command_line("abook --mutt-query", "al"),
            "abook --mutt-query 'al'"
        );
    }

    #[test]
    fn merged_lists_keep_one_entry_per_address_seen_first() {
        let seen = vec!["Alice <alice@x.test>".to_string()];
        let book = vec![
            "Alice Example <ALICE@x.test>".to_string(),
            "al@y.test".to_string(),
        ];
        assert_eq!(merge(seen, book), vec!["Alice <alice@x.test>", "al@y.test"]);
    }

    #[tokio::test]
    async fn runs_the_command_with_the_query_as_one_word() {
        let template = "f() { echo 'a header'; echo \"$1@b.test\tO K\tt\"; }; f %s";
        let got = query(template, "o'k").await;
        assert_eq!(got, Ok(vec!["O K <o'k@b.test>".to_string()]));
        assert!(query("exit 3", "x").await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_command_that_cannot_run_is_an_error_not_an_empty_book() {
        let got = query("no-such-address-book-program", "al").await;
        let err = got.expect_err("a missing program is an error");
        assert!(
            err.starts_with("address_book_command cannot run:") && err.contains("not found"),
            "{err}"
        );
    }

    #[test]
    fn a_failing_address_book_is_reported_after_the_mail_completions() {
        let mut r = crate::app::tests::rig_from(Mode::Offline, |data| {
            let mut config = crate::config::Config::empty(data.to_path_buf());
            config.address_book_command = Some("no-such-address-book-program %s".into());
            config
        });
        r.send(crate::ui::Command::CompleteAddress { prefix: "a".into() });
        let mut completions = false;
        let error = loop {
            match r.next() {
                Event::Completions { result, .. } => {
                    assert!(result.is_ok(), "{result:?}");
                    completions = true;
                }
                Event::Error(e) => break e,
                _ => {}
            }
        };
        assert!(completions, "the completions come first");
        assert!(
            error.message.contains("address_book_command cannot run")
                && error.message.contains("your mail only"),
            "{}",
            error.message
        );
    }
}

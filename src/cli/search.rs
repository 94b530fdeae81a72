//! `postie search`: full-text search of the local store, plus the server for what the store
//! holds only as envelopes (see [`run`]). Works offline, saying what it could not search.

use std::collections::HashSet;
use std::io::Write;

use super::offline::{
    OfflineError, check_account, open_store, write_json_messages, write_text_messages,
};
use super::plural::plural;
use super::remote::CONNECT_TIMEOUT;
use super::{CliError, Context, block_on, error_line};
use crate::config::{Config, Incoming};
use crate::engine::imap::ConnectOptions;
use crate::engine::imap::search::{search_keys, search_server};
use crate::net::offline::connections_allowed;
use crate::store::index::search::Query;
use crate::store::{MessageId, Store, StoreError};

/// The query syntax, shown by `postie search --help` (and the man page). The same syntax
/// works in the terminal UI's `/` (the open folder) and `S` (all accounts).
pub const SYNTAX: &str = "\
Query syntax (the same in the terminal UI's / and S); every clause must hold:
  invoice march         every word, anywhere (subject, addresses, body text)
  \"exact phrase\"        the words next to each other, in this order
  from:alice            the sender (name or address) has the word
  to:bob  cc:bob        To or Cc has the word
  subject:report        the subject has the word (subject:\"weekly report\": a phrase)
  body:deadline         the body text has the word
  deploy*               a word starting with deploy
  is:unread  is:read  is:flagged  is:answered  is:draft
                        the message's state
  has:attachment        has an attachment (unknown, so never matched, for messages whose
                        body is not downloaded)
  after:2026-01-15      dated on or after that day (inclusive; local time)
  before:2026-02-01     dated before that day (exclusive; local time)
                        dates: YYYY-MM-DD, YYYY-MM (the 1st), today, yesterday, 7d, 2w
  folder:INBOX          in that folder (folder:\"My Folder\" for names with spaces)
  account:work          in that account
  -WORD  -from:x  -is:unread
                        a leading - excludes (any clause)
Words match whole words, ignoring case and accents (cafe finds Café). An unknown key:word is
a plain word. Examples:
  postie search is:unread from:alice
  postie search 'subject:\"weekly report\" after:2026-01 -is:read'
  postie search has:attachment folder:INBOX before:30d
The whole syntax: docs/search.md.";

/// Search the local store; best match first (newest first when the query has no words).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SearchArgs {
    /// The query; several arguments are joined with spaces. A word may start with `-`
    /// (`-from:noreply`); options may come before or after it, and after `--` every word is
    /// the query's.
    #[arg(required = true, value_name = "QUERY", allow_hyphen_values = true)]
    pub query: Vec<String>,
    /// Only this account (default: every account).
    #[arg(long, value_name = "NAME")]
    pub account: Option<String>,
    /// Only this folder.
    #[arg(long, value_name = "FOLDER")]
    pub folder: Option<String>,
    /// Show at most N results.
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Print a JSON array (the same objects as `list --json`).
    #[arg(long)]
    pub json: bool,
}

impl SearchArgs {
    /// The options that followed the query, taken out of it. The query takes words starting
    /// with `-` (`-from:noreply`), so clap hands everything after its first word to it; a
    /// script's `postie search WORD --json` must still mean `--json`. After `--` every word
    /// is the query's.
    pub fn options_among_the_query(mut self) -> Result<SearchArgs, String> {
        let mut query = Vec::new();
        let mut words = std::mem::take(&mut self.query).into_iter();
        while let Some(word) = words.next() {
            let (name, inline) = match word.split_once('=') {
                Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
                _ => (word.clone(), None),
            };
            let mut value = |name: &str| {
                inline
                    .clone()
                    .or_else(|| words.next())
                    .ok_or_else(|| format!("{name} needs a value"))
            };
            match name.as_str() {
                "--" => {
                    query.extend(words.by_ref());
                }
                "--json" if inline.is_none() => self.json = true,
                "--account" => self.account = Some(value("--account")?),
                "--folder" => self.folder = Some(value("--folder")?),
                "--limit" => {
                    let v = value("--limit")?;
                    let n = v
                        .parse()
                        .map_err(|_| format!("--limit expects a number, got {v:?}"))?;
                    self.limit = Some(n);
                }
                _ => query.push(word),
            }
        }
        if query.is_empty() {
            return Err("postie search needs a query".to_owned());
        }
        self.query = query;
        Ok(self)
    }
}

pub fn run_offline(
    config: &Config,
    args: &SearchArgs,
    out: &mut dyn Write,
) -> Result<(), OfflineError> {
    check_account(config, args.account.as_deref())?;
    let query = parse(&args.query)?;
    let store = open_store(config)?;
    let msgs = store.search_query(
        &query,
        args.account.as_deref(),
        args.folder.as_deref(),
        args.limit,
    )?;
    if args.json {
        write_json_messages(out, &msgs)?;
    } else {
        write_text_messages(out, &msgs)?;
    }
    Ok(())
}

/// The `postie search` command: the local index, plus the server for IMAP accounts with
/// envelope-only messages (whose body text the index cannot see). Rows found only on the
/// server end with [`SERVER_MARK`]. Offline, or when a server cannot be reached, a note on
/// stderr says how many bodies were not searched; the exit code stays 0.
pub fn run(ctx: &Context, args: SearchArgs) -> Result<std::process::ExitCode, CliError> {
    let args = args.options_among_the_query().map_err(CliError::Usage)?;
    let config = ctx.load_config()?;
    check_account(&config, args.account.as_deref())?;
    let text = args.query.join(" ");
    let query = parse(&args.query)?;
    let store = open_store(&config)?;
    let (server_ids, unsearched) = search_servers(&config, &args, &store, &text, &query)?;
    super::offline::run_to_stdout(|out| {
        let mut msgs = store.search_query(
            &query,
            args.account.as_deref(),
            args.folder.as_deref(),
            None,
        )?;
        let known: HashSet<MessageId> = msgs.iter().map(|m| m.id).collect();
        let mut from_server = Vec::new();
        for id in server_ids {
            if !known.contains(&id)
                && let Ok(m) = store.get(id)
            {
                from_server.push(m);
            }
        }
        from_server.sort_by(|a, b| b.date.cmp(&a.date).then(b.id.cmp(&a.id)));
        from_server.dedup_by_key(|m| m.id);
        let marked: HashSet<MessageId> = from_server
            .iter()
            .filter(|m| !m.has_body)
            .map(|m| m.id)
            .collect();
        msgs.extend(from_server);
        if let Some(limit) = args.limit {
            msgs.truncate(limit as usize);
        }
        if args.json {
            write_json_messages(out, &msgs)?;
        } else {
            let mut rows = Vec::new();
            write_text_messages(&mut rows, &msgs)?;
            for (line, m) in String::from_utf8_lossy(&rows).lines().zip(&msgs) {
                let mark = if marked.contains(&m.id) {
                    SERVER_MARK
                } else {
                    ""
                };
                writeln!(out, "{line}{mark}")?;
            }
        }
        if unsearched > 0 {
            eprintln!("postie: {}", incomplete_note(msgs.len() as u64, unsearched));
        }
        Ok(())
    })
}

/// The query the arguments spell (joined with spaces); a bad one is a usage error (exit 64).
fn parse(words: &[String]) -> Result<Query, OfflineError> {
    Query::parse(&words.join(" ")).map_err(|e| OfflineError::from(StoreError::from(e)))
}

/// What marks a row the server found whose body is not downloaded.
pub const SERVER_MARK: &str = "  [on server]";

/// Runs the query on the server of each IMAP account (of the filter) that has envelope-only
/// messages. Returns the stored messages the servers matched, and how many envelope-only
/// messages no server searched (offline, POP3, a server that could not be reached: said on
/// stderr, not an error).
fn search_servers(
    config: &Config,
    args: &SearchArgs,
    store: &Store,
    text: &str,
    query: &Query,
) -> Result<(Vec<MessageId>, u64), CliError> {
    let mut unsearched = 0u64;
    let mut server_ids = Vec::new();
    if search_keys(query).is_none() {
        // Nothing a server could add: the store saw every envelope, flag and date.
        return Ok((server_ids, unsearched));
    }
    for account in &config.accounts {
        if args.account.as_deref().is_some_and(|a| a != account.name)
            || !query.admits_account(&account.name)
        {
            continue;
        }
        let missing = match store.bodies_missing(Some(&account.name), args.folder.as_deref()) {
            Ok(n) => n,
            // This account has no such folder (another one does), or nothing synced yet.
            Err(StoreError::NoSuchFolder { .. } | StoreError::NoSuchAccount(_)) => continue,
            Err(e) => return Err(OfflineError::from(e).into()),
        };
        let Incoming::Imap(imap) = &account.incoming else {
            unsearched += missing;
            continue;
        };
        if missing == 0 {
            continue;
        }
        if !connections_allowed() {
            unsearched += missing;
            continue;
        }
        let options = ConnectOptions {
            connect_timeout: Some(CONNECT_TIMEOUT),
            ..ConnectOptions::default()
        };
        let folder = args.folder.as_deref();
        match block_on(search_server(store, account, imap, text, folder, &options))? {
            Ok(ids) => server_ids.extend(ids),
            Err(e) => {
                eprintln!("postie: {}", error_line(&e));
                unsearched += missing;
            }
        }
    }
    Ok((server_ids, unsearched))
}

/// "12 results; 3,400 messages' bodies are not downloaded — search may miss them".
/// Offline, the remedy is said too.
pub fn incomplete_note(results: u64, missing: u64) -> String {
    let remedy = if connections_allowed() {
        ""
    } else {
        " (run without --offline to search the server too)"
    };
    format!(
        "{} {}; {} {} not downloaded — search may miss them{remedy}",
        thousands(results),
        plural(results, "result", "results"),
        thousands(missing),
        plural(missing, "message's body is", "messages' bodies are"),
    )
}

/// 3400 -> "3,400".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{SearchArgs, incomplete_note};

    #[test]
    fn options_after_the_query_are_options_and_dashed_words_stay_words() {
        let args = |words: &[&str]| SearchArgs {
            query: words.iter().map(|w| (*w).to_owned()).collect(),
            ..SearchArgs::default()
        };
        let a = args(&[
            "zanzibar",
            "-from:noreply",
            "--json",
            "--limit",
            "5",
            "--folder=INBOX",
        ])
        .options_among_the_query()
        .unwrap();
        assert_eq!(a.query, ["zanzibar", "-from:noreply"]);
        assert!(a.json);
        assert_eq!((a.limit, a.folder.as_deref()), (Some(5), Some("INBOX")));
        let a = args(&["a", "--", "--json"])
            .options_among_the_query()
            .unwrap();
        assert_eq!(a.query, ["a", "--json"]);
        assert!(!a.json);
        assert!(
            args(&["a", "--limit", "x"])
                .options_among_the_query()
                .is_err()
        );
        assert!(args(&["--json"]).options_among_the_query().is_err());
    }

    #[test]
    fn the_note_counts_results_and_missing_bodies() {
        assert!(incomplete_note(12, 3400).starts_with(
            "12 results; 3,400 messages' bodies are not downloaded — search may miss them"
        ),);
        assert!(incomplete_note(1, 1).starts_with("1 result; 1 message's body is not downloaded"));
        assert!(incomplete_note(0, 1_234_567).starts_with("0 results; 1,234,567 messages'"));
    }
}

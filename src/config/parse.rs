//! From the text of a config file to a validated [`Config`], collecting every problem it can
//! find (syntax; unknown keys; wrong types; missing keys; semantic rules) with its line.
//!
//! The document is read table by table from toml's spanned `DeTable`, so a problem in one
//! table (or one account) does not hide problems elsewhere. Unknown keys are found before serde
//! runs, so every one of them is reported, with a "did you mean" hint.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::auth::{AuthMethod, InheritedLogin, RawAuth};
use super::hints::{did_you_mean, field_names, friendlier, other_protocol_hint};
use super::raw::{
    RawAccount, RawFetchBodies, RawImap, RawMaildir, RawOutgoing, RawPgpEncrypt, RawPop3,
    RawPop3Mode, RawServer, RawTls, RawTop, RawUi,
};
use super::{
    Account, Config, ConfigError, Env, FetchBodies, ImapIncoming, Incoming, MaildirIncoming,
    Outgoing, PgpEncrypt, PgpSettings, Pop3Incoming, Pop3Mode, Problem, Server, TlsMode,
};

/// Standard ports per TLS mode: (implicit, starttls, none).
const IMAP_PORTS: (u16, u16, u16) = (993, 143, 143);
const POP3_PORTS: (u16, u16, u16) = (995, 110, 110);
/// Submission (RFC 8314 / RFC 6409). Plaintext uses 587 too: postie only ever submits with
/// AUTH, and that is the submission port's job whatever the TLS mode; port 25 is MTA relay,
/// often blocked and without AUTH. A local relay on 25 takes an explicit `port = 25`.
const SMTP_PORTS: (u16, u16, u16) = (465, 587, 587);

pub(super) fn parse(text: &str, path: &Path, env: &Env) -> Result<Config, ConfigError> {
    let mut parser = Parser {
        text,
        env,
        problems: Vec::new(),
    };
    let config = parser.document(path);
    if parser.problems.is_empty() {
        Ok(config)
    } else {
        let mut problems = parser.problems;
        problems.sort_by_key(|p| p.line);
        Err(ConfigError::Invalid {
            path: path.to_path_buf(),
            problems,
        })
    }
}

pub(super) struct Parser<'t> {
    text: &'t str,
    env: &'t Env,
    problems: Vec<Problem>,
}

/// What an outgoing server inherits from the incoming one.
struct Inherited {
    user: String,
    password_command: Option<String>,
    login: InheritedLogin,
    ca_file: Option<PathBuf>,
    oauth2: Option<super::OAuth2Client>,
    allow_plaintext: bool,
}

impl<'t> Parser<'t> {
    fn document(&mut self, path: &Path) -> Config {
        let (root, errors) = DeTable::parse_recoverable(self.text);
        let mut config = Config {
            path: Some(path.to_path_buf()),
            theme: "default".to_string(),
            data_dir: PathBuf::new(),
            accounts: Vec::new(),
            keys: BTreeMap::new(),
            folder_pane: None,
            address_book_command: None,
            headers: None,
            auto_view: Vec::new(),
            index_decrypted: false,
        };
        if !errors.is_empty() {
            // After the first error on a line, toml's recovery mostly reports its echoes.
            let mut seen_lines = Vec::new();
            for error in errors {
                let line = error.span().map(|s| self.line(&s));
                if seen_lines.contains(&line) {
                    continue;
                }
                seen_lines.push(line);
                self.problems.push(Problem {
                    file: None,
                    line,
                    message: error.message().trim().to_string(),
                });
            }
            return config;
        }
        let root_span = root.span();
        let mut root = root.into_inner();
        let accounts = root.remove("accounts");
        let ui = root.remove("ui");
        let top: Option<RawTop> = self.read_table(
            Spanned::new(root_span, DeValue::Table(root)),
            "the top-level table",
            |_| None,
        );
        let top = top.unwrap_or(RawTop {
            theme: None,
            data_dir: None,
            keys: None,
            notify_command: None,
            folder_pane: None,
            address_book_command: None,
            headers: None,
            reply_style: None,
            index_decrypted: None,
        });
        if let Some(theme) = top.theme {
            config.theme = theme;
        }
        config.keys = top.keys.unwrap_or_default();
        config.folder_pane = top.folder_pane;
        config.address_book_command = top.address_book_command;
        if let Some(headers) = top.headers {
            config.headers = self.header_names(headers);
        }
        if let Some(ui) = ui {
            let ui: RawUi = self.read_table(ui, "[ui]", |_| None).unwrap_or_default();
            config.auto_view = ui
                .auto_view
                .unwrap_or_default()
                .into_iter()
                .map(|t| t.trim().to_ascii_lowercase())
                .collect();
        }
        config.index_decrypted = top.index_decrypted.unwrap_or(false);
        config.data_dir = match top.data_dir {
            Some(dir) => self.path_value(dir, "data_dir").unwrap_or_default(),
            None => match self.env.default_data_dir() {
                Some(dir) => dir,
                None => {
                    self.problems.push(Problem {
file: None,
                        line: None,
                        message: "cannot find a data directory: set data_dir in the config, or $POSTIE_DATA_DIR".to_string(),
                    });
                    PathBuf::new()
                }
            },
        };
        if let Some(accounts) = accounts {
            config.accounts = self.accounts(accounts);
        }
        // An account without its own notify_command uses the top-level one.
        for account in &mut config.accounts {
            if account.notify_command.is_none() {
                account.notify_command.clone_from(&top.notify_command);
            }
        }
        // An account without its own reply_style uses the top-level one (else the default).
        for account in &mut config.accounts {
            if account.reply_style.is_none() {
                account.reply_style = top.reply_style;
            }
        }
        config
    }

    /// `headers = [...]`: field names (RFC 5322: printable ASCII, no colon), at least one.
    fn header_names(&mut self, value: Spanned<Vec<String>>) -> Option<Vec<String>> {
        let span = value.span();
        let names = value.into_inner();
        if names.is_empty() {
            self.at(
                &span,
                "headers is empty: name at least one header (e.g. headers = [\"From\", \"Subject\"]), or leave it out for the default list".to_string(),
            );
            return None;
        }
        let bad: Vec<&String> = names
            .iter()
            .filter(|n| n.is_empty() || !n.bytes().all(|b| b.is_ascii_graphic() && b != b':'))
            .collect();
        if let Some(first) = bad.first() {
            self.at(
                &span,
                format!(
                    "headers: {first:?} is not a header name (letters, digits and punctuation \
                     other than ':', no spaces; e.g. \"Reply-To\")"
                ),
            );
            return None;
        }
        Some(names)
    }

    /// `[accounts.NAME]` tables, in file order, then the default one moved first.
    fn accounts(&mut self, value: Spanned<DeValue<'_>>) -> Vec<Account> {
        let span = value.span();
        let DeValue::Table(table) = value.into_inner() else {
            self.at(
                &span,
                "`accounts` must be a table of [accounts.NAME] tables".to_string(),
            );
            return Vec::new();
        };
        let mut entries: Vec<_> = table.into_iter().collect();
        entries.sort_by_key(|(key, _)| key.span().start);

        let mut accounts = Vec::new();
        let mut default_seen: Option<(String, usize)> = None;
        for (key, value) in entries {
            let name = key.get_ref().to_string();
            if let Some(message) = bad_account_name(&name) {
                self.at(&key.span(), message);
            }
            let (account, default_span) = self.account(&name, value);
            if let Some(span) = default_span {
                match &default_seen {
                    Some((first, first_line)) => {
                        let message = format!(
                            "account \"{name}\" has default = true, but so has \"{first}\" (line {first_line}): only one account can be the default"
                        );
                        self.at(&span, message);
                    }
                    None => default_seen = Some((name.clone(), self.line(&span))),
                }
            }
            accounts.extend(account);
        }
        let default_index = accounts.iter().position(|a| a.default).unwrap_or(0);
        if default_index < accounts.len() {
            let mut default = accounts.remove(default_index);
            default.default = true;
            accounts.insert(0, default);
        }
        accounts
    }

    /// One account (None if it has problems), and the span of its `default = true` if it says
    /// so (even when it has problems, so that a second default is reported too).
    fn account(
        &mut self,
        name: &str,
        value: Spanned<DeValue<'_>>,
    ) -> (Option<Account>, Option<Range<usize>>) {
        let table_name = format!("[accounts.{name}]");
        let span = value.span();
        let DeValue::Table(mut table) = value.into_inner() else {
            self.at(&span, format!("{table_name} must be a table"));
            return (None, None);
        };
        let incoming = table.remove("incoming");
        let outgoing = table.remove("outgoing");
        let identities = table.remove("identities");
        let raw: Option<RawAccount> = self.read_table(
            Spanned::new(span.clone(), DeValue::Table(table)),
            &table_name,
            |_| None,
        );

        let email = match raw.as_ref().and_then(|r| r.email.as_ref()) {
            Some(email) if !email.get_ref().contains('@') => {
                let message = format!(
                    "email {:?} in {table_name} is not an address (no @)",
                    email.get_ref()
                );
                self.at(&email.span(), message);
                None
            }
            Some(email) => Some(email.get_ref().clone()),
            None => {
                if raw.is_some() {
                    self.at(&span, format!("missing key `email` in {table_name}"));
                }
                None
            }
        };
        let incoming = match incoming {
            Some(value) => self.incoming(name, value, email.as_deref().unwrap_or_default()),
            None => {
                let message = format!(
                    "missing table [accounts.{name}.incoming] (protocol = \"imap\", \"pop3\" or \"maildir\")"
                );
                self.at(&span, message);
                None
            }
        };
        let inherited = match &incoming {
            Some((incoming, _)) => inherit(incoming, email.as_deref().unwrap_or_default()),
            None => inherit_nothing(email.as_deref().unwrap_or_default()),
        };
        let outgoing = outgoing.and_then(|value| self.outgoing(name, value, inherited));

        let (identities, aliases) = match (&raw, &email) {
            (Some(raw), Some(email)) => self.identities(&table_name, email, raw, identities),
            _ => (Vec::new(), Vec::new()),
        };
        let default_span = raw
            .as_ref()
            .and_then(|r| r.default.as_ref())
            .filter(|d| *d.get_ref())
            .map(|d| d.span());
        let account = match (raw, email, incoming) {
            (Some(raw), Some(email), Some((incoming, check_interval))) => Some(Account {
                name: name.to_string(),
                email,
                display_name: raw.name,
                default: default_span.is_some(),
                incoming,
                outgoing,
                check_interval,
                notify_command: raw.notify_command,
                identities,
                aliases,
                reply_style: raw.reply_style,
                pgp: PgpSettings {
                    sign: raw.pgp_sign.unwrap_or(false),
                    encrypt: match raw.pgp_encrypt {
                        Some(RawPgpEncrypt::Always) => PgpEncrypt::Always,
                        Some(RawPgpEncrypt::IfAllKeys) => PgpEncrypt::IfAllKeys,
                        Some(RawPgpEncrypt::Never) | None => PgpEncrypt::Never,
                    },
                    key: raw.pgp_key.filter(|k| !k.trim().is_empty()),
                    autocrypt: raw.autocrypt.unwrap_or(false),
                },
            }),
            _ => None,
        };
        (account, default_span)
    }

    /// The incoming table, and the account's check interval (None: off; Maildir has none).
    fn incoming(
        &mut self,
        name: &str,
        value: Spanned<DeValue<'_>>,
        email: &str,
    ) -> Option<(Incoming, Option<Duration>)> {
        let table_name = format!("[accounts.{name}.incoming]");
        let span = value.span();
        let DeValue::Table(mut table) = value.into_inner() else {
            self.at(&span, format!("{table_name} must be a table"));
            return None;
        };
        let Some(protocol) = table.remove("protocol") else {
            let message = format!(
                "missing key `protocol` in {table_name} (\"imap\", \"pop3\" or \"maildir\")"
            );
            self.at(&span, message);
            return None;
        };
        let protocol_span = protocol.span();
        let protocol = match protocol.get_ref() {
            DeValue::String(s) => s.to_string(),
            other => {
                let message = format!(
                    "protocol in {table_name} must be a string (\"imap\", \"pop3\" or \"maildir\"), not {}",
                    other.type_str()
                );
                self.at(&protocol_span, message);
                return None;
            }
        };
        let value = Spanned::new(span.clone(), DeValue::Table(table));
        match protocol.as_str() {
            "imap" => {
                let mut raw: RawImap =
                    self.read_table(value, &table_name, |key| other_protocol_hint(key, "imap"))?;
                let interval = self.check_interval(raw.check_interval.take(), &table_name);
                let sync_all_mail = raw.sync_all_mail.take().unwrap_or(false);
                let (server, fetch_bodies, idle_folders) = raw.into_parts();
                let server = self.server(
                    server,
                    &table_name,
                    &span,
                    IMAP_PORTS,
                    &inherit_nothing(email),
                )?;
                let imap = Incoming::Imap(ImapIncoming {
                    server,
                    fetch_bodies: match fetch_bodies {
                        Some(RawFetchBodies::All) => FetchBodies::All,
                        Some(RawFetchBodies::OnDemand) | None => FetchBodies::OnDemand,
                    },
                    idle_folders: idle_folders.unwrap_or_else(|| vec!["INBOX".to_string()]),
                    sync_all_mail,
                });
                Some((imap, interval?))
            }
            "pop3" => {
                let mut raw: RawPop3 =
                    self.read_table(value, &table_name, |key| other_protocol_hint(key, "pop3"))?;
                let interval = self.check_interval(raw.check_interval.take(), &table_name);
                let (server, mode, days) = raw.into_parts();
                let mode = match mode.as_ref().map(|m| *m.get_ref()) {
                    Some(RawPop3Mode::Delete) => Pop3Mode::Delete,
                    Some(RawPop3Mode::Keep) | None => Pop3Mode::Keep,
                };
                if let (Pop3Mode::Delete, Some(days)) = (mode, &days) {
                    let message = format!(
                        "leave_on_server_days in {table_name} only applies to pop3_mode = \"keep\"; remove it, or keep mail on the server"
                    );
                    self.at(&days.span(), message);
                }
                let server = self.server(
                    server,
                    &table_name,
                    &span,
                    POP3_PORTS,
                    &inherit_nothing(email),
                )?;
                let pop3 = Incoming::Pop3(Pop3Incoming {
                    server,
                    mode,
                    leave_on_server_days: days.map(|d| d.into_inner()),
                });
                Some((pop3, interval?))
            }
            "maildir" => {
                let raw: RawMaildir = self.read_table(value, &table_name, |key| {
                    other_protocol_hint(key, "maildir")
                })?;
                let Some(path) = raw.path else {
                    self.at(&span, format!("missing key `path` in {table_name} (the Maildir root, e.g. \"~/Maildir\")"));
                    return None;
                };
                let path = self.path_value(path, "path")?;
                Some((Incoming::Maildir(MaildirIncoming { path }), None))
            }
            other => {
                let message = format!(
                    "unknown protocol {other:?} in {table_name}: expected \"imap\", \"pop3\" or \"maildir\""
                );
                self.at(&protocol_span, message);
                None
            }
        }
    }

    fn outgoing(
        &mut self,
        name: &str,
        value: Spanned<DeValue<'_>>,
        inherited: Inherited,
    ) -> Option<Outgoing> {
        let table_name = format!("[accounts.{name}.outgoing]");
        let span = value.span();
        let raw: RawOutgoing = self.read_table(value, &table_name, |_| None)?;
        let (server, queue_on_failure) = raw.into_parts();
        let server = self.server(server, &table_name, &span, SMTP_PORTS, &inherited)?;
        Some(Outgoing {
            server,
            queue_on_failure: queue_on_failure.unwrap_or(false),
        })
    }

    /// Resolves one server table: defaults, standard port, and the plaintext rule.
    fn server(
        &mut self,
        mut raw: RawServer,
        table_name: &str,
        table_span: &Range<usize>,
        ports: (u16, u16, u16),
        inherited: &Inherited,
    ) -> Option<Server> {
        let mut ok = true;
        let mut login = raw.take_login();
        // A table whose OAuth2 client is wrong has had its error: not a second one saying it
        // has no OAuth2 source at all.
        let mut client_refused = false;
        let oauth2 =
            match self.oauth2_client(std::mem::take(&mut raw.oauth2), table_name, table_span) {
                Ok(Some(client)) => {
                    // A table that names its own provider and no other login logs in with it.
                    if login.auth.is_none()
                        && login.oauth2_token_command.is_none()
                        && raw.password_command.is_none()
                    {
                        login.auth = Some(Spanned::new(table_span.clone(), RawAuth::Oauth2));
                    }
                    Some(client)
                }
                Ok(None) => inherited.oauth2.clone(),
                Err(()) => {
                    ok = false;
                    client_refused = true;
                    None
                }
            };
        let has_builtin_client = oauth2.is_some() || client_refused;
        let login = self.login_method(
            login,
            raw.password_command.as_deref(),
            has_builtin_client,
            table_name,
            table_span,
            &inherited.login,
        );
        ok &= login.is_some();
        let (auth, oauth2_token_command) = login.unwrap_or_default();
        let tls = match raw.tls.as_ref().map(|t| *t.get_ref()) {
            Some(RawTls::Implicit) | None => TlsMode::Implicit,
            Some(RawTls::Starttls) => TlsMode::StartTls,
            Some(RawTls::None) => TlsMode::None,
        };
        let allow_plaintext = raw.allow_plaintext.unwrap_or(inherited.allow_plaintext);
        if let (TlsMode::None, Some(tls_span)) = (tls, raw.tls.as_ref().map(|t| t.span()))
            && !allow_plaintext
        {
            let message = format!(
                "tls = \"none\" in {table_name} would send the password in clear text: set allow_plaintext = true to allow it, or use \"implicit\" or \"starttls\""
            );
            self.at(&tls_span, message);
            ok = false;
        }
        let port = match &raw.port {
            Some(port) => match u16::try_from(*port.get_ref()) {
                Ok(p) if p != 0 => p,
                _ => {
                    let message = format!(
                        "port {} in {table_name} is not a TCP port (1 to 65535)",
                        port.get_ref()
                    );
                    self.at(&port.span(), message);
                    ok = false;
                    0
                }
            },
            None => match tls {
                TlsMode::Implicit => ports.0,
                TlsMode::StartTls => ports.1,
                TlsMode::None => ports.2,
            },
        };
        let host = match raw.host {
            Some(host) if host.get_ref().trim().is_empty() => {
                self.at(&host.span(), format!("host in {table_name} is empty"));
                ok = false;
                String::new()
            }
            Some(host) => host.into_inner(),
            None => {
                self.at(table_span, format!("missing key `host` in {table_name}"));
                ok = false;
                String::new()
            }
        };
        let ca_file = match raw.ca_file {
            Some(file) => match self.path_value(file.clone(), "ca_file") {
                Some(path) if path.is_file() => Some(path),
                Some(path) => {
                    let message = format!(
                        "ca_file {} in {table_name} does not exist or is not a file",
                        path.display()
                    );
                    self.at(&file.span(), message);
                    ok = false;
                    None
                }
                None => {
                    ok = false;
                    None
                }
            },
            None => inherited.ca_file.clone(),
        };
        let server = Server {
            host,
            port,
            tls,
            allow_plaintext,
            ca_file,
            oauth2,
            user: raw.user.unwrap_or_else(|| inherited.user.clone()),
            password_command: match auth {
                AuthMethod::Password => raw
                    .password_command
                    .or_else(|| inherited.password_command.clone()),
                AuthMethod::OAuth2 => None,
            },
            auth,
            oauth2_token_command,
        };
        ok.then_some(server)
    }

    /// A path value: `~` expanded, and absolute (a relative path would depend on the directory
    /// postie happens to be started from).
    pub(super) fn path_value(&mut self, value: Spanned<String>, key: &str) -> Option<PathBuf> {
        let expanded = self.env.expand_tilde(Path::new(value.get_ref()));
        if expanded.is_absolute() {
            Some(expanded)
        } else {
            let message = format!(
                "{key} {:?} must be an absolute path (or start with ~/)",
                value.get_ref()
            );
            self.at(&value.span(), message);
            None
        }
    }

    /// Reads one table into `T`: every unknown key is a problem at its line (with `hint`'s
    /// explanation or a "did you mean"), then serde reads the rest (wrong types).
    pub(super) fn read_table<T: DeserializeOwned>(
        &mut self,
        value: Spanned<DeValue<'_>>,
        table_name: &str,
        hint: impl Fn(&str) -> Option<String>,
    ) -> Option<T> {
        let span = value.span();
        let DeValue::Table(mut table) = value.into_inner() else {
            self.at(&span, format!("{table_name} must be a table"));
            return None;
        };
        let fields = field_names::<T>();
        let unknown: Vec<_> = table
            .keys()
            .filter(|k| !fields.contains(&k.get_ref().as_ref()))
            .map(|k| (k.get_ref().to_string(), k.span()))
            .collect();
        for (key, key_span) in &unknown {
            let message = match hint(key) {
                Some(hint) => format!("unknown key `{key}` in {table_name}: {hint}"),
                None => match did_you_mean(key, fields) {
                    Some(near) => {
                        format!("unknown key `{key}` in {table_name}; did you mean `{near}`?")
                    }
                    None => format!(
                        "unknown key `{key}` in {table_name}; expected one of: {}",
                        fields.join(", ")
                    ),
                },
            };
            self.at(key_span, message);
            table.remove(key.as_str());
        }
        // A wrong type stops serde at that key: report it, drop the key, and read the rest
        // again, so every wrongly typed key is reported and the others are still checked.
        loop {
            let value_spans: Vec<(String, Range<usize>)> = table
                .iter()
                .map(|(k, v)| (k.get_ref().to_string(), v.span()))
                .collect();
            let deserializer =
                ValueDeserializer::from(Spanned::new(span.clone(), DeValue::Table(table.clone())));
            let error = match T::deserialize(deserializer) {
                Ok(value) => return Some(value),
                Err(error) => error,
            };
            let error_span = error.span().unwrap_or(span.clone());
            let key = value_spans
                .iter()
                .find(|(_, s)| {
                    s.start <= error_span.start && error_span.start < s.end.max(s.start + 1)
                })
                .map(|(k, _)| k.clone());
            let detail = friendlier(error.message().trim());
            match key {
                Some(key) => {
                    self.at(&error_span, format!("{key} in {table_name}: {detail}"));
                    table.remove(key.as_str());
                }
                None => {
                    self.at(&error_span, format!("{table_name}: {detail}"));
                    return None;
                }
            }
        }
    }

    pub(super) fn at(&mut self, span: &Range<usize>, message: String) {
        let line = self.line(span);
        self.problems.push(Problem {
            file: None,
            line: Some(line),
            message,
        });
    }

    /// 1-based line of a byte span's start.
    fn line(&self, span: &Range<usize>) -> usize {
        let end = span.start.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }
}

fn inherit_nothing(email: &str) -> Inherited {
    Inherited {
        user: email.to_string(),
        password_command: None,
        login: InheritedLogin::default(),
        ca_file: None,
        oauth2: None,
        allow_plaintext: false,
    }
}

/// Outgoing user, password_command, ca_file and allow_plaintext default to the incoming ones
/// (to the account's email and nothing for a Maildir account).
fn inherit(incoming: &Incoming, email: &str) -> Inherited {
    match incoming.server() {
        Some(server) => Inherited {
            user: server.user.clone(),
            password_command: server.password_command.clone(),
            login: InheritedLogin {
                auth: server.auth,
                oauth2_token_command: server.oauth2_token_command.clone(),
            },
            ca_file: server.ca_file.clone(),
            oauth2: server.oauth2.clone(),
            allow_plaintext: server.allow_plaintext,
        },
        None => inherit_nothing(email),
    }
}

/// Names that would be unsafe as `<data_dir>/<account>` or confusing as a keyring key.
fn bad_account_name(name: &str) -> Option<String> {
    let bad = name.is_empty()
        || name == "."
        || name == ".."
        || name
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control());
    bad.then(|| {
        format!(
            "account name {name:?} cannot be used (it names a directory in the data dir): use letters, digits, '-', '_' or '.'"
        )
    })
}

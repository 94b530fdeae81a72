//! `postie send`: compose from flags, or take a whole message on standard input (`-t`, or
//! `ADDR...`), and submit it — so postie can stand in for sendmail (git send-email, cron, mutt).
//!
//! This file owns the arguments and the way from them to "this envelope, these bytes"
//! ([`plan`]); composing is `mail::compose`, the SMTP dialogue `proto::smtp`. Standard input is
//! read whole, as bytes, never line by line.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::{CliError, Context, error_line};
use protect::{pgp_wanted, protection};

mod submit;
pub use submit::submit;

use crate::config::{Account, Config, Identity};
use crate::error::ErrorKind;
use crate::mail::compose::{Attachment, ComposeError, Draft, Mailbox, prepare_raw};
use crate::pgp::{Backend, PgpError};
use crate::proto::smtp::{Envelope, SmtpError};

/// Send mail: from flags (`--to ... --subject ...`, body from --body-file or standard input),
/// or a complete message on standard input (`-t`: recipients from its To/Cc/Bcc; or the
/// recipients given as ADDR...). Accepts sendmail's -i, -oi, -f ADDR, so postie can be the
/// `sendmail` of git send-email, cron or mutt.
///
/// Once the server accepted the message, a copy goes to the account's Sent folder (IMAP APPEND
/// on IMAP accounts, the local Sent folder otherwise); a failed copy is only a warning.
///
/// Exit status: 0 accepted by the server; 75 queued in the outbox (always with --offline,
/// which never connects); 64 bad usage; 65 malformed message or empty input; 69 server
/// unreachable; 77 authentication refused; 78 config error (also: no OpenPGP key to sign with,
/// gpg not installed). With --encrypt, a recipient without a key is exit 65 and nothing is
/// sent.
// The field docs are --help text, where "Name <addr>" is meant literally, not as HTML.
#[allow(rustdoc::invalid_html_tags)]
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SendArgs {
    /// Recipient ("addr", "Name <addr>", or several separated by commas); repeatable.
    #[arg(long, value_name = "ADDR")]
    pub to: Vec<String>,
    /// Carbon-copy recipient; repeatable.
    #[arg(long, value_name = "ADDR")]
    pub cc: Vec<String>,
    /// Blind-copy recipient (not shown to the others); repeatable.
    #[arg(long, value_name = "ADDR")]
    pub bcc: Vec<String>,
    /// The subject (required with --to/--cc/--bcc).
    #[arg(long, value_name = "TEXT")]
    pub subject: Option<String>,
    /// Attach a file (content type guessed from its name); repeatable.
    #[arg(long, value_name = "FILE")]
    pub attach: Vec<PathBuf>,
    /// Read the body (UTF-8 text) from FILE instead of standard input.
    #[arg(long, value_name = "FILE")]
    pub body_file: Option<PathBuf>,
    /// Send from this account, or from this address when it is one of an account's identities
    /// (default: the account whose email or identity is the -f address, else the default
    /// account).
    #[arg(long, value_name = "ACCOUNT|ADDR")]
    pub from: Option<String>,
    /// Read the recipients from the message's To, Cc and Bcc headers (Bcc is removed before
    /// sending).
    #[arg(short = 't')]
    pub read_recipients: bool,
    /// sendmail compatibility: do not treat a line with a single dot as the end of input.
    /// postie always reads standard input to its end, so this changes nothing.
    #[arg(short = 'i')]
    pub ignore_dots: bool,
    /// sendmail option (-oi, -oem, ...): accepted for compatibility; -oi is -i, the rest are
    /// ignored.
    #[arg(short = 'o', value_name = "OPTION")]
    pub sendmail_options: Vec<String>,
    /// The envelope sender (MAIL FROM), as sendmail's -f.
    #[arg(short = 'f', value_name = "ADDR")]
    pub envelope_from: Option<String>,
    /// sendmail compatibility: the sender's full name (ignored: the account's name is used).
    #[arg(short = 'F', value_name = "NAME", hide = true)]
    pub full_name: Option<String>,
    /// sendmail compatibility: the body type (-B8BITMIME; ignored: postie declares 8BITMIME
    /// itself when the message needs it).
    #[arg(short = 'B', value_name = "TYPE", hide = true)]
    pub body_type: Option<String>,
    /// Print the message that would be sent (and the envelope on standard error); send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// If the server cannot be reached or says "try later", keep the message in the outbox and
    /// exit 75 (`queue_on_failure = true` in the account's `[outgoing]` does this always);
    /// `postie outbox flush` or `postie sync` sends it later. A refusal (5xx) is never queued.
    #[arg(long)]
    pub queue: bool,
    /// Sign the message with OpenPGP (PGP/MIME, through gpg), with the account's pgp_key or
    /// the key of its address. A composed message is signed anyway when the account has
    /// pgp_sign = true (--no-sign: not).
    #[arg(long, conflicts_with = "no_sign")]
    pub sign: bool,
    /// Do not sign, whatever the account's pgp_sign says.
    #[arg(long)]
    pub no_sign: bool,
    /// Encrypt the message with OpenPGP to every recipient and to the sender's own key. A
    /// recipient without a usable key in the GnuPG keyring stops it: nothing is sent (exit 65).
    /// Without it, a composed message follows the account's pgp_encrypt.
    #[arg(long, conflicts_with = "no_encrypt")]
    pub encrypt: bool,
    /// Do not encrypt, whatever the account's pgp_encrypt says.
    #[arg(long)]
    pub no_encrypt: bool,
    /// Recipients, with the message on standard input (as sendmail's ADDR...).
    #[arg(value_name = "ADDR")]
    pub recipients: Vec<String>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why `send` failed before or during submission.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("{0}")]
    Usage(String),
    #[error("cannot send from account {0:?}: no such account in the config")]
    NoSuchAccount(String),
    #[error("cannot send: the config has no accounts")]
    NoAccounts,
    #[error("cannot send from account {0:?}: it has no [outgoing] server")]
    NoOutgoing(String),
    #[error("cannot read standard input")]
    Stdin(#[source] io::Error),
    #[error("cannot read {}", path.display())]
    ReadFile {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot send: the body is not UTF-8 text (attach binary data with --attach)")]
    BodyNotUtf8,
    #[error("cannot write the message to standard output")]
    Stdout(#[source] io::Error),
    #[error(transparent)]
    Compose(#[from] ComposeError),
    #[error("cannot get the password for account {account:?}")]
    Credentials {
        account: String,
        kind: ErrorKind,
        #[source]
        source: BoxError,
    },
    #[error(transparent)]
    Smtp(#[from] SmtpError),
    /// A refused login: a password, or an OAuth2 token refused twice.
    #[error("cannot send from account {account:?} ({server})")]
    Login {
        account: String,
        /// `host:port` of the submission server.
        server: String,
        #[source]
        source: Box<crate::engine::EngineError>,
    },
    #[error("account {account:?} (OpenPGP through gpg)")]
    Pgp {
        account: String,
        #[source]
        source: PgpError,
    },
    /// Sending failed for now and the message could not be queued either.
    #[error("cannot keep the message in the outbox (it was not sent: {reason})")]
    Queue {
        reason: String,
        #[source]
        source: crate::store::StoreError,
    },
}

impl SendError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            SendError::Usage(_) => ErrorKind::Usage,
            SendError::NoSuchAccount(_) | SendError::NoAccounts | SendError::NoOutgoing(_) => {
                ErrorKind::Config
            }
            SendError::ReadFile { source, .. } if source.kind() == io::ErrorKind::NotFound => {
                ErrorKind::Usage
            }
            SendError::Stdin(_) | SendError::ReadFile { .. } | SendError::Stdout(_) => {
                ErrorKind::Io
            }
            SendError::BodyNotUtf8 => ErrorKind::Data,
            SendError::Compose(e) => e.kind(),
            SendError::Credentials { kind, .. } => *kind,
            // Exit 75 promises "queued in the outbox" (SPEC); a temporary refusal that was not
            // queued is reported as "unavailable" (69) instead. The engine retries on the
            // SmtpError's own kind, which stays Temporary.
            SendError::Smtp(e) if e.kind() == ErrorKind::Temporary => ErrorKind::Network,
            SendError::Smtp(e) => e.kind(),
            SendError::Login { source, .. } => source.kind(),
            SendError::Pgp { source, .. } => source.kind(),
            SendError::Queue { source, .. } => source.kind(),
        }
    }
}

/// Everything needed to submit: decided from the arguments, the config and standard input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendPlan {
    /// The account's name (its outgoing server and credentials are used).
    pub account: String,
    pub envelope: Envelope,
    /// The bytes to submit (never with a Bcc header).
    pub message: Vec<u8>,
    /// The bytes for the Sent folder (composed messages keep their Bcc header here).
    pub sent_copy: Vec<u8>,
    /// With angle brackets; None for a raw message without one.
    pub message_id: Option<String>,
    pub dry_run: bool,
    pub queue: bool,
}

/// How the message comes: built from flags, or raw on stdin with recipients from its headers
/// (`-t`) or from the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Compose,
    FromHeaders,
    Explicit,
}

impl SendArgs {
    fn mode(&self) -> Result<Mode, SendError> {
        let compose = !self.to.is_empty()
            || !self.cc.is_empty()
            || !self.bcc.is_empty()
            || self.subject.is_some()
            || !self.attach.is_empty()
            || self.body_file.is_some();
        match (compose, self.read_recipients, self.recipients.is_empty()) {
            (true, false, true) => Ok(Mode::Compose),
            (true, _, _) => Err(SendError::Usage(
                "cannot combine --to/--cc/--bcc/--subject/--attach/--body-file with -t or ADDR...: \
                 either compose from flags or give a whole message on standard input"
                    .into(),
            )),
            (false, true, _) => Ok(Mode::FromHeaders),
            (false, false, false) => Ok(Mode::Explicit),
            (false, false, true) => Err(SendError::Usage(
                "no recipients: use --to ADDR, -t (recipients from the message headers) or ADDR..."
                    .into(),
            )),
        }
    }
}

/// Picks the account: `--from NAME`, else the one whose email is the `-f` address, else the
/// default (first) account. It must have an outgoing server.
pub fn choose_account<'a>(config: &'a Config, args: &SendArgs) -> Result<&'a Account, SendError> {
    let account = match &args.from {
        Some(name) => match config.accounts.iter().find(|a| &a.name == name) {
            Some(account) => account,
            None => {
                find_identity(config, name)
                    .ok_or_else(|| SendError::NoSuchAccount(name.clone()))?
                    .0
            }
        },
        None => {
            let by_sender = args.envelope_from.as_ref().and_then(|f| {
                config
                    .accounts
                    .iter()
                    .find(|a| a.email.eq_ignore_ascii_case(f.trim()))
                    .or_else(|| find_identity(config, f).map(|(a, _)| a))
            });
            by_sender
                .or_else(|| config.accounts.first())
                .ok_or(SendError::NoAccounts)?
        }
    };
    if account.outgoing.is_none() {
        return Err(SendError::NoOutgoing(account.name.clone()));
    }
    Ok(account)
}

/// The account and identity whose address is `text`'s (`addr` or `Name <addr>`).
fn find_identity<'a>(config: &'a Config, text: &str) -> Option<(&'a Account, &'a Identity)> {
    let wanted = crate::config::address_of(text)?;
    config.accounts.iter().find_map(|a| {
        a.identities
            .iter()
            .find(|i| i.address.eq_ignore_ascii_case(&wanted))
            .map(|i| (a, i))
    })
}

/// The identity `--from ADDR` (else `-f ADDR`) names in `account`, if it names one.
fn chosen_identity<'a>(account: &'a Account, args: &SendArgs) -> Option<&'a Identity> {
    [args.from.as_deref(), args.envelope_from.as_deref()]
        .into_iter()
        .flatten()
        .filter_map(crate::config::address_of)
        .find_map(|addr| {
            account
                .identities
                .iter()
                .find(|i| i.address.eq_ignore_ascii_case(&addr))
        })
}

fn read_file(path: &Path) -> Result<Vec<u8>, SendError> {
    std::fs::read(path).map_err(|source| SendError::ReadFile {
        path: path.to_owned(),
        source,
    })
}

fn mailboxes(list: &[String]) -> Result<Vec<Mailbox>, SendError> {
    let mut out = Vec::new();
    for item in list {
        out.extend(Mailbox::parse_list(item).map_err(|e| SendError::Usage(e.to_string()))?);
    }
    Ok(out)
}

/// Decides what to send. Reads `stdin` whole (unless the body comes from --body-file) and the
/// files named by --attach/--body-file; runs gpg only when the message is to be signed or
/// encrypted; touches nothing else.
pub fn plan(args: &SendArgs, config: &Config, stdin: &mut dyn Read) -> Result<SendPlan, SendError> {
    plan_with(
        args,
        config,
        stdin,
        &crate::pgp::gpg::Gpg::with_peers(&config.data_dir),
    )
}

/// [`plan`] with the OpenPGP backend given.
pub fn plan_with(
    args: &SendArgs,
    config: &Config,
    stdin: &mut dyn Read,
    pgp: &dyn Backend,
) -> Result<SendPlan, SendError> {
    let mode = args.mode()?;
    let account = choose_account(config, args)?;
    let identity = chosen_identity(account, args);
    let envelope_from = match &args.envelope_from {
        Some(f) => {
            Mailbox::new(f, None)
                .map_err(|e| SendError::Usage(format!("-f: {e}")))?
                .addr
        }
        None => identity.map_or_else(|| account.email.clone(), |i| i.address.clone()),
    };
    let read_stdin = |stdin: &mut dyn Read| {
        let mut buf = Vec::new();
        stdin.read_to_end(&mut buf).map_err(SendError::Stdin)?;
        Ok::<_, SendError>(buf)
    };
    let explicit = mailboxes(&args.recipients)?;
    let (sign, encrypt) = pgp_wanted(args, account, mode);
    let pgp_err = |source| SendError::Pgp {
        account: account.name.clone(),
        source,
    };

    let (message, sent_copy, recipients, message_id) = match mode {
        Mode::Compose => {
            let from = match identity {
                Some(i) => Mailbox::parse_list(&i.from)
                    .ok()
                    .and_then(|list| list.into_iter().next())
                    .ok_or_else(|| {
                        SendError::Usage(format!(
                            "account {:?}: identity {:?} is not an address",
                            account.name, i.from
                        ))
                    })?,
                None => Mailbox::new(&account.email, account.display_name.as_deref())
                    .map_err(|e| SendError::Usage(format!("account {:?}: {e}", account.name)))?,
            };
            let mut draft = Draft::new(from);
            draft.to = mailboxes(&args.to)?;
            draft.cc = mailboxes(&args.cc)?;
            draft.bcc = mailboxes(&args.bcc)?;
            if draft.to.is_empty() && draft.cc.is_empty() && draft.bcc.is_empty() {
                return Err(SendError::Usage("no recipients: add --to ADDR".into()));
            }
            draft.subject = args
                .subject
                .clone()
                .ok_or_else(|| SendError::Usage("--subject TEXT is required".into()))?;
            let body = match &args.body_file {
                Some(path) => read_file(path)?,
                None => read_stdin(stdin)?,
            };
            draft.body = String::from_utf8(body).map_err(|_| SendError::BodyNotUtf8)?;
            for path in &args.attach {
                let data = read_file(path)?;
                let file_name = path.file_name().map_or_else(
                    || "attachment".to_owned(),
                    |n| n.to_string_lossy().into_owned(),
                );
                draft.attachments.push(Attachment {
                    file_name,
                    content_type: None,
                    data,
                });
            }
            draft.sign_safe = sign;
            let draft_from = draft.from.addr.clone();
            let composed = draft.finish()?;
            let how = protection(
                pgp,
                account,
                &draft_from,
                sign,
                encrypt,
                &composed.recipients,
            )
            .map_err(pgp_err)?;
            let bytes = crate::pgp::autocrypt::add_for(
                pgp,
                account,
                &draft_from,
                &how.signer,
                &composed.bytes,
            )
            .map_err(pgp_err)?;
            let protected =
                crate::pgp::protect(pgp, &bytes, &composed.recipients, &how).map_err(pgp_err)?;
            let composed = composed.with_bytes(protected);
            let sent_copy = composed.sent_copy();
            (
                composed.bytes,
                sent_copy,
                composed.recipients,
                Some(composed.message_id),
            )
        }
        Mode::FromHeaders | Mode::Explicit => {
            let raw = read_stdin(stdin)?;
            let prepared = prepare_raw(&raw, mode == Mode::FromHeaders)?;
            let mut recipients = if mode == Mode::FromHeaders {
                prepared.header_recipients
            } else {
                Vec::new()
            };
            for m in explicit {
                if !recipients.iter().any(|r| r.eq_ignore_ascii_case(&m.addr)) {
                    recipients.push(m.addr);
                }
            }
            let signer = identity.map_or(account.email.as_str(), |i| i.address.as_str());
            let how =
                protection(pgp, account, signer, sign, encrypt, &recipients).map_err(pgp_err)?;
            let bytes =
                crate::pgp::protect(pgp, &prepared.bytes, &recipients, &how).map_err(pgp_err)?;
            (bytes.clone(), bytes, recipients, prepared.message_id)
        }
    };
    Ok(SendPlan {
        account: account.name.clone(),
        envelope: Envelope {
            from: envelope_from,
            recipients,
        },
        message,
        sent_copy,
        message_id,
        dry_run: args.dry_run,
        queue: args.queue,
    })
}

/// `--dry-run`: the message on `out`, the envelope on `err`.
pub fn print_dry_run(
    plan: &SendPlan,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), SendError> {
    out.write_all(&plan.message)
        .and_then(|()| out.flush())
        .map_err(SendError::Stdout)?;
    let _ = writeln!(
        err,
        "postie: dry run, nothing sent: account {}, MAIL FROM:<{}>, RCPT TO:{}",
        plan.account,
        plan.envelope.from,
        plan.envelope
            .recipients
            .iter()
            .map(|r| format!("<{r}>"))
            .collect::<Vec<_>>()
            .join(",")
    );
    Ok(())
}

/// `postie send`: plan, then print (`--dry-run`) or submit. The password is looked up before
/// any runtime exists (it may run password_command or talk to D-Bus), and the submission runs
/// on a current-thread runtime: one connection needs no thread pool, and start-up stays fast.
/// The store is opened only when needed: to queue, or for a POP3/Maildir account's Sent copy.
pub fn run(ctx: &Context, args: SendArgs) -> Result<ExitCode, CliError> {
    let config = ctx.load_config()?;
    let plan = plan(&args, &config, &mut io::stdin().lock())?;
    if plan.dry_run {
        print_dry_run(&plan, &mut io::stdout().lock(), &mut io::stderr().lock())?;
        return Ok(ExitCode::SUCCESS);
    }
    let account = choose_account(&config, &args)?;
    let Some(outgoing) = &account.outgoing else {
        return Err(SendError::NoOutgoing(account.name.clone()).into());
    };
    let queue = plan.queue || outgoing.queue_on_failure;
    if !crate::net::offline::connections_allowed() {
        // Offline: no password lookup, no connection; the outbox holds it, untried.
        let id = enqueue(&config, &plan, None)?;
        eprintln!(
            "postie: offline: not sent; queued in the outbox as message {id}: `postie outbox \
             flush` or `postie sync` without --offline sends it"
        );
        return Ok(ExitCode::from(EX_TEMPFAIL));
    }
    let secret = crate::credentials::login_secret(&account.name, &outgoing.server, false)?;
    tracing::debug!(account = %account.name, "send: password (or token) found");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    let accepted = match runtime.block_on(submit(&plan, &account.name, &outgoing.server, secret)) {
        Ok(accepted) => accepted,
        Err(SendError::Smtp(e)) if queue && e.kind().is_retryable() => {
            let id = enqueue(&config, &plan, Some(&error_line(&e)))?;
            eprintln!(
                "postie: not sent now ({}); queued in the outbox as message {id}: \
                 `postie outbox flush` sends it (so does `postie sync`)",
                error_line(&e)
            );
            return Ok(ExitCode::from(EX_TEMPFAIL));
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(
        account = %plan.account,
        recipients = plan.envelope.recipients.len(),
        reply = %accepted.reply,
        "message accepted"
    );
    // Accepted: from here on nothing may turn into a failure (the mail was sent).
    match runtime.block_on(save_sent_copy(&config, account, &plan.sent_copy)) {
        Ok(()) => tracing::debug!("send: Sent copy saved"),
        Err(warning) => eprintln!(
            "postie: warning: the message was sent, but its Sent copy could not be saved: \
             {warning}"
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// sysexits(3) `EX_TEMPFAIL`: not sent now, queued in the outbox (only then: see SPEC).
pub const EX_TEMPFAIL: u8 = 75;

/// Puts the Sent form of the message (Bcc kept; stripped again at submission) in the outbox,
/// with the first failure recorded (None: not tried, as offline). The next `postie sync` tries
/// it (no backoff yet).
fn enqueue(config: &Config, plan: &SendPlan, error: Option<&str>) -> Result<i64, SendError> {
    let queue_err = |source| SendError::Queue {
        reason: error.unwrap_or("offline").to_owned(),
        source,
    };
    let account = choose_account_by_name(config, &plan.account)?;
    let mut store = crate::store::Store::open(&config.data_dir).map_err(queue_err)?;
    crate::engine::outbox::queue(&mut store, account, &plan.sent_copy, &plan.envelope, error)
        .map_err(queue_err)
}

fn choose_account_by_name<'a>(config: &'a Config, name: &str) -> Result<&'a Account, SendError> {
    config
        .accounts
        .iter()
        .find(|a| a.name == name)
        .ok_or_else(|| SendError::NoSuchAccount(name.to_owned()))
}

/// The Sent copy of an accepted message: IMAP APPEND for IMAP accounts, the local Sent
/// folder otherwise. Returns the failure as one line (a warning: the mail was sent).
async fn save_sent_copy(config: &Config, account: &Account, bytes: &[u8]) -> Result<(), String> {
    use crate::engine::sent;
    let line = |e: &dyn std::error::Error| error_line(e);
    if sent::on_server(account) {
        return sent::save_copy(None, account, bytes)
            .await
            .map(|_| ())
            .map_err(|e| line(&e));
    }
    let mut store = crate::store::Store::open(&config.data_dir).map_err(|e| line(&e))?;
    sent::register(&mut store, account).map_err(|e| line(&e))?;
    sent::save_copy(Some(&mut store), account, bytes)
        .await
        .map(|_| ())
        .map_err(|e| line(&e))
}

mod protect;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_pgp;

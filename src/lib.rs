//! postie: a terminal mail client.
//!
//! The crate is layered, and the arrows point one way only:
//!
//! ```text
//!   app ──► ui   (the UI's plain types; ui imports none of the layers below)
//!    └──►  engine  ──►  proto (imap, pop3, smtp) ──► net
//!             └─►  store (maildir, index)   ──► mail
//! ```
//!
//! - [`ui`] is an Elm-style state machine (`update(&mut Model, Msg) -> Vec<Command>`): it never
//!   does IO. It sends commands to the backend and renders the events the backend sends back.
//! - [`app`] is that backend: a thread owning the store that runs the UI's commands against the
//!   store and the engine and converts their results into the UI's plain types.
//! - [`engine`] owns one task per account: the connections, the store, the offline action queue
//!   and the outbox. Every finished job comes back as an event carrying its `Result`.
//! - [`proto`] speaks IMAP, POP3 and SMTP over any `AsyncRead + AsyncWrite` stream, so STARTTLS
//!   upgrades and fault-injecting tests are easy. It knows nothing of the store or the terminal.
//! - [`store`] is the local copy: one Maildir per folder (the truth for message bytes) plus an
//!   SQLite index (envelopes, flags, UIDs, full-text search, queues). It never touches the network.
//! - [`net`] makes TCP and TLS connections; [`mail`] is pure mail logic (parsing, composing,
//!   threading) with no IO at all.
//! - [`config`] and [`credentials`] turn the user's config file and keyring into typed values;
//!   [`oauth2`] gets and refreshes OAuth2 grants for servers that take no password (HTTP to the
//!   provider, the keyring; nothing of the layers above);
//!   [`cli`] is the clap definition shared by the binary, the man page and shell completions.
//! - [`discover`] finds an address's servers for `postie init --email` (provider table,
//!   autoconfig, DNS SRV, guesses checked by connecting); it uses [`net`] and nothing above it.
//! - [`pgp`] signs, encrypts, verifies and decrypts (PGP/MIME) through a small backend trait
//!   (the `gpg` program today); it uses [`mail`] and nothing above it.
//!
//! Errors: every layer has its own `thiserror` enum with a `kind()` ([`error::ErrorKind`]);
//! the binary maps kinds to the sysexits exit codes of the spec.

pub mod app;
pub mod cli;
pub mod config;
pub mod credentials;
pub mod discover;
pub mod engine;
pub mod error;
pub mod mail;
pub mod net;
pub mod oauth2;
pub mod pgp;
pub mod proto;
pub mod store;
pub mod ui;

#[cfg(test)]
mod layering {
    //! The arrows of the module docs, checked: a lower layer never names a higher one.

    use std::path::Path;

    fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).expect("src dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("readable source");
                out.push((path.display().to_string(), text));
            }
        }
    }

    #[test]
    fn lower_layers_never_name_higher_ones() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        // (layer, what it may not name)
        let rules: [(&str, &[&str]); 9] = [
            (
                "discover",
                &[
                    "crate::proto",
                    "crate::store",
                    "crate::engine",
                    "crate::app",
                    "crate::ui",
                    "crate::cli",
                    "ratatui",
                    "crossterm",
                ],
            ),
            (
                "net",
                &[
                    "crate::proto",
                    "crate::store",
                    "crate::engine",
                    "crate::app",
                    "crate::ui",
                    "crate::cli",
                    "ratatui",
                    "crossterm",
                ],
            ),
            (
                "mail",
                &[
                    "crate::net",
                    "crate::proto",
                    "crate::store",
                    "crate::engine",
                    "crate::app",
                    "crate::ui",
                    "crate::cli",
                    "ratatui",
                    "crossterm",
                    "tokio::",
                ],
            ),
            (
                "proto",
                &[
                    "crate::store",
                    "crate::engine",
                    "crate::app",
                    "crate::ui",
                    "crate::cli",
                    "ratatui",
                    "crossterm",
                ],
            ),
            (
                "store",
                &[
                    "crate::net",
                    "crate::proto",
                    "crate::engine",
                    "crate::app",
                    "crate::ui",
                    "crate::cli",
                    "ratatui",
                    "crossterm",
                ],
            ),
            (
                "engine",
                &[
                    "crate::app",
                    "crate::ui",
                    "crate::cli",
                    "ratatui",
                    "crossterm",
                ],
            ),
            ("app", &["crate::cli"]),
            (
                "oauth2",
                &[
                    "crate::proto",
                    "crate::store",
                    "crate::engine",
                    "crate::app",
                    "crate::ui",
                    "crate::cli",
                    "ratatui",
                    "crossterm",
                ],
            ),
            (
                "pgp",
                &[
                    "crate::net",
                    "crate::proto",
                    "crate::store",
                    "crate::engine",
                    "crate::app",
                    "crate::ui",
                    "crate::cli",
                    "ratatui",
                    "crossterm",
                    "tokio::",
                ],
            ),
        ];
        let mut broken = Vec::new();
        for (layer, forbidden) in rules {
            let mut files = Vec::new();
            sources(&root.join(layer), &mut files);
            for (path, text) in files {
                for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
                    for name in forbidden {
                        if line.contains(&format!("use {name}"))
                            || line.contains(&format!("{name}::"))
                            || (name.starts_with("crate::") && line.contains(name))
                        {
                            broken.push(format!("{path}: names {name}: {}", line.trim()));
                        }
                    }
                }
            }
        }
        assert!(broken.is_empty(), "layering broken:\n{}", broken.join("\n"));
    }
}

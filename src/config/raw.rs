//! The config file as written: serde structs with `deny_unknown_fields`, every field optional
//! so that a missing key becomes our own error (with the table's line) instead of stopping
//! serde. Values that semantic checks point at are `Spanned`.
//!
//! Keys read elsewhere (`accounts`, `incoming`, `outgoing`, `protocol`) are taken out of their
//! table before it is deserialized. Unknown keys are found before serde runs, from the field
//! names serde itself reports (see `parse::field_names`), so every one of them is reported.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::auth::{RawAuth, RawLogin};
use super::oauth2::RawOAuth2;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTop {
    pub theme: Option<String>,
    pub data_dir: Option<Spanned<String>>,
    pub keys: Option<BTreeMap<String, String>>,
    pub notify_command: Option<String>,
    pub folder_pane: Option<bool>,
    pub address_book_command: Option<String>,
    pub headers: Option<Spanned<Vec<String>>>,
    pub reply_style: Option<crate::mail::compose::ReplyStyle>,
    pub index_decrypted: Option<bool>,
    // `accounts` is taken out of the document and read table by table; see `parse`.
    // So is `ui` (its own table, so its unknown keys are reported with its name).
}

/// The `[ui]` table: how the terminal UI shows things.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawUi {
    pub auto_view: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAccount {
    pub email: Option<Spanned<String>>,
    pub name: Option<String>,
    pub default: Option<Spanned<bool>>,
    pub notify_command: Option<String>,
    pub signature: Option<String>,
    pub signature_file: Option<Spanned<String>>,
    pub aliases: Option<Vec<Spanned<String>>>,
    pub reply_style: Option<crate::mail::compose::ReplyStyle>,
    pub pgp_sign: Option<bool>,
    pub pgp_encrypt: Option<RawPgpEncrypt>,
    pub pgp_key: Option<String>,
    pub autocrypt: Option<bool>,
    // `incoming`, `outgoing` and `identities` are read separately, so a problem there hides
    // none here.
}

/// One `[[accounts.NAME.identities]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIdentity {
    pub from: Option<Spanned<String>>,
    pub signature: Option<String>,
    pub signature_file: Option<Spanned<String>>,
    pub pgp_key: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum RawTls {
    Implicit,
    Starttls,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) enum RawPgpEncrypt {
    Never,
    IfAllKeys,
    Always,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum RawPop3Mode {
    Keep,
    Delete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) enum RawFetchBodies {
    OnDemand,
    All,
}

impl RawServer {
    /// The login keys, taken out (see `auth.rs`).
    pub fn take_login(&mut self) -> RawLogin {
        RawLogin {
            auth: self.auth.take(),
            oauth2_token_command: self.oauth2_token_command.take(),
        }
    }
}

/// The keys every network server table has (incoming imap/pop3, outgoing).
#[derive(Debug, Default)]
pub(super) struct RawServer {
    pub host: Option<Spanned<String>>,
    pub port: Option<Spanned<i64>>,
    pub tls: Option<Spanned<RawTls>>,
    pub allow_plaintext: Option<bool>,
    pub ca_file: Option<Spanned<String>>,
    pub oauth2: RawOAuth2,
    pub user: Option<String>,
    pub password_command: Option<String>,
    pub auth: Option<Spanned<RawAuth>>,
    pub oauth2_token_command: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawImap {
    pub host: Option<Spanned<String>>,
    pub port: Option<Spanned<i64>>,
    pub tls: Option<Spanned<RawTls>>,
    pub allow_plaintext: Option<bool>,
    pub ca_file: Option<Spanned<String>>,
    pub oauth2_provider: Option<Spanned<String>>,
    pub oauth2_client_id: Option<Spanned<String>>,
    pub oauth2_client_secret_command: Option<String>,
    pub oauth2_auth_url: Option<Spanned<String>>,
    pub oauth2_token_url: Option<Spanned<String>>,
    pub oauth2_scopes: Option<Vec<String>>,
    pub oauth2_device_url: Option<Spanned<String>>,
    pub user: Option<String>,
    pub password_command: Option<String>,
    pub auth: Option<Spanned<RawAuth>>,
    pub oauth2_token_command: Option<Spanned<String>>,
    pub fetch_bodies: Option<RawFetchBodies>,
    pub idle_folders: Option<Vec<String>>,
    pub check_interval: Option<Spanned<toml::Value>>,
    pub sync_all_mail: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPop3 {
    pub host: Option<Spanned<String>>,
    pub port: Option<Spanned<i64>>,
    pub tls: Option<Spanned<RawTls>>,
    pub allow_plaintext: Option<bool>,
    pub ca_file: Option<Spanned<String>>,
    pub oauth2_provider: Option<Spanned<String>>,
    pub oauth2_client_id: Option<Spanned<String>>,
    pub oauth2_client_secret_command: Option<String>,
    pub oauth2_auth_url: Option<Spanned<String>>,
    pub oauth2_token_url: Option<Spanned<String>>,
    pub oauth2_scopes: Option<Vec<String>>,
    pub oauth2_device_url: Option<Spanned<String>>,
    pub user: Option<String>,
    pub password_command: Option<String>,
    pub auth: Option<Spanned<RawAuth>>,
    pub oauth2_token_command: Option<Spanned<String>>,
    pub pop3_mode: Option<Spanned<RawPop3Mode>>,
    pub leave_on_server_days: Option<Spanned<u32>>,
    pub check_interval: Option<Spanned<toml::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMaildir {
    pub path: Option<Spanned<String>>,
}

/// Keys of imap and pop3 incoming tables that maildir has no use for.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOutgoing {
    pub host: Option<Spanned<String>>,
    pub port: Option<Spanned<i64>>,
    pub tls: Option<Spanned<RawTls>>,
    pub allow_plaintext: Option<bool>,
    pub ca_file: Option<Spanned<String>>,
    pub oauth2_provider: Option<Spanned<String>>,
    pub oauth2_client_id: Option<Spanned<String>>,
    pub oauth2_client_secret_command: Option<String>,
    pub oauth2_auth_url: Option<Spanned<String>>,
    pub oauth2_token_url: Option<Spanned<String>>,
    pub oauth2_scopes: Option<Vec<String>>,
    pub oauth2_device_url: Option<Spanned<String>>,
    pub user: Option<String>,
    pub password_command: Option<String>,
    pub auth: Option<Spanned<RawAuth>>,
    pub oauth2_token_command: Option<Spanned<String>>,
    pub queue_on_failure: Option<bool>,
}

impl RawImap {
    pub fn into_parts(self) -> (RawServer, Option<RawFetchBodies>, Option<Vec<String>>) {
        let server = RawServer {
            host: self.host,
            port: self.port,
            tls: self.tls,
            allow_plaintext: self.allow_plaintext,
            ca_file: self.ca_file,
            oauth2: RawOAuth2 {
                provider: self.oauth2_provider,
                client_id: self.oauth2_client_id,
                client_secret_command: self.oauth2_client_secret_command,
                auth_url: self.oauth2_auth_url,
                token_url: self.oauth2_token_url,
                scopes: self.oauth2_scopes,
                device_url: self.oauth2_device_url,
            },
            user: self.user,
            password_command: self.password_command,
            auth: self.auth,
            oauth2_token_command: self.oauth2_token_command,
        };
        (server, self.fetch_bodies, self.idle_folders)
    }
}

impl RawPop3 {
    #[allow(clippy::type_complexity)]
    pub fn into_parts(
        self,
    ) -> (
        RawServer,
        Option<Spanned<RawPop3Mode>>,
        Option<Spanned<u32>>,
    ) {
        let server = RawServer {
            host: self.host,
            port: self.port,
            tls: self.tls,
            allow_plaintext: self.allow_plaintext,
            ca_file: self.ca_file,
            oauth2: RawOAuth2 {
                provider: self.oauth2_provider,
                client_id: self.oauth2_client_id,
                client_secret_command: self.oauth2_client_secret_command,
                auth_url: self.oauth2_auth_url,
                token_url: self.oauth2_token_url,
                scopes: self.oauth2_scopes,
                device_url: self.oauth2_device_url,
            },
            user: self.user,
            password_command: self.password_command,
            auth: self.auth,
            oauth2_token_command: self.oauth2_token_command,
        };
        (server, self.pop3_mode, self.leave_on_server_days)
    }
}

impl RawOutgoing {
    pub fn into_parts(self) -> (RawServer, Option<bool>) {
        let server = RawServer {
            host: self.host,
            port: self.port,
            tls: self.tls,
            allow_plaintext: self.allow_plaintext,
            ca_file: self.ca_file,
            oauth2: RawOAuth2 {
                provider: self.oauth2_provider,
                client_id: self.oauth2_client_id,
                client_secret_command: self.oauth2_client_secret_command,
                auth_url: self.oauth2_auth_url,
                token_url: self.oauth2_token_url,
                scopes: self.oauth2_scopes,
                device_url: self.oauth2_device_url,
            },
            user: self.user,
            password_command: self.password_command,
            auth: self.auth,
            oauth2_token_command: self.oauth2_token_command,
        };
        (server, self.queue_on_failure)
    }
}

//! How a server table logs in: `auth = "password" | "oauth2"` and `oauth2_token_command`.
//!
//! Kept apart from `parse.rs` so the rules stay in one place: every problem is reported at its
//! key's line; an outgoing table that says nothing about its login inherits the incoming one's
//! (one OAuth2 grant usually covers both); a table that chose its own `password_command` is a
//! password login, whatever the incoming one does.

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::parse::Parser;

/// How postie logs in to a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMethod {
    /// PLAIN or LOGIN with a password from `password_command` or the keyring.
    #[default]
    Password,
    /// OAUTHBEARER or XOAUTH2 with an access token from `oauth2_token_command` (or the
    /// built-in OAuth2 client).
    OAuth2,
}

impl AuthMethod {
    /// The config value.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::Password => "password",
            AuthMethod::OAuth2 => "oauth2",
        }
    }
}

/// `auth` as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum RawAuth {
    Password,
    Oauth2,
}

/// The login keys of one server table as written.
#[derive(Debug, Default)]
pub(super) struct RawLogin {
    pub auth: Option<Spanned<RawAuth>>,
    pub oauth2_token_command: Option<Spanned<String>>,
}

/// What an outgoing table takes from the incoming one when it says nothing about its login.
#[derive(Debug, Clone, Default)]
pub(super) struct InheritedLogin {
    pub auth: AuthMethod,
    pub oauth2_token_command: Option<String>,
}

impl Parser<'_> {
    /// Resolves `auth` and `oauth2_token_command` of a table; None after reporting a problem.
    ///
    /// `password_command` is the table's own (not inherited) one. `has_builtin_client` says
    /// whether the table configures the built-in OAuth2 client (`oauth2_provider`).
    pub(super) fn login_method(
        &mut self,
        raw: RawLogin,
        password_command: Option<&str>,
        has_builtin_client: bool,
        table_name: &str,
        table_span: &Range<usize>,
        inherited: &InheritedLogin,
    ) -> Option<(AuthMethod, Option<String>)> {
        let explicit = raw.auth.as_ref().map(|a| match a.get_ref() {
            RawAuth::Password => AuthMethod::Password,
            RawAuth::Oauth2 => AuthMethod::OAuth2,
        });
        let says_nothing =
            explicit.is_none() && password_command.is_none() && raw.oauth2_token_command.is_none();
        let auth = match explicit {
            Some(auth) => auth,
            None if says_nothing => inherited.auth,
            None => AuthMethod::Password,
        };
        let auth_span = raw.auth.as_ref().map(|a| a.span());
        let command_span = raw.oauth2_token_command.as_ref().map(|c| c.span());
        let mut token_command = raw.oauth2_token_command.map(Spanned::into_inner);
        let mut ok = true;
        match auth {
            AuthMethod::Password => {
                if let Some(span) = command_span {
                    let message = format!(
                        "oauth2_token_command in {table_name} is used only with auth = \"oauth2\": add auth = \"oauth2\", or remove it"
                    );
                    self.at(&span, message);
                    ok = false;
                }
            }
            AuthMethod::OAuth2 => {
                if password_command.is_some() {
                    let message = format!(
                        "auth = \"oauth2\" in {table_name} logs in with a token, not a password: remove password_command (use oauth2_token_command for a command that prints an access token)"
                    );
                    self.at(auth_span.as_ref().unwrap_or(table_span), message);
                    ok = false;
                }
                if token_command.is_none() && password_command.is_none() {
                    token_command = inherited.oauth2_token_command.clone();
                }
                if token_command
                    .as_deref()
                    .is_some_and(|c| c.trim().is_empty())
                {
                    let message = format!("oauth2_token_command in {table_name} is empty");
                    self.at(command_span.as_ref().unwrap_or(table_span), message);
                    ok = false;
                } else if token_command.is_none() && !has_builtin_client {
                    let message = format!(
                        "auth = \"oauth2\" in {table_name} needs oauth2_token_command (a command that prints an access token) or oauth2_provider (postie's own OAuth2 login)"
                    );
                    self.at(auth_span.as_ref().unwrap_or(table_span), message);
                    ok = false;
                }
            }
        }
        ok.then_some((auth, token_command))
    }
}

//! The built-in OAuth2 client's settings (`oauth2_provider`, `oauth2_client_id`, ...): the
//! provider presets (Google, Microsoft) and the checks of a `custom` provider's endpoints.
//!
//! What must hold: a parsed [`OAuth2Client`] is complete (both endpoints, a client id) and its
//! endpoints are `https://`, or `http://` on a loopback host only (a token sent in clear
//! anywhere else could be read on the way). The client secret is never a literal in the
//! config: only `oauth2_client_secret_command` names one.

use std::ops::Range;

use toml::Spanned;

use super::parse::Parser;

/// Google's endpoints and the one scope that covers IMAP, POP3 and SMTP.
const GOOGLE: Preset = Preset {
    auth_url: "https://accounts.google.com/o/oauth2/v2/auth",
    token_url: "https://oauth2.googleapis.com/token",
    device_url: "https://oauth2.googleapis.com/device/code",
    scopes: &["https://mail.google.com/"],
};

/// Microsoft identity platform (personal and work accounts: the `common` tenant); the scopes
/// of Exchange Online's IMAP, POP3 and SMTP AUTH, and `offline_access` for a refresh token.
const MICROSOFT: Preset = Preset {
    auth_url: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
    token_url: "https://login.microsoftonline.com/common/oauth2/v2.0/token",
    device_url: "https://login.microsoftonline.com/common/oauth2/v2.0/devicecode",
    scopes: &[
        "https://outlook.office.com/IMAP.AccessAsUser.All",
        "https://outlook.office.com/POP.AccessAsUser.All",
        "https://outlook.office.com/SMTP.Send",
        "offline_access",
    ],
};

struct Preset {
    auth_url: &'static str,
    token_url: &'static str,
    device_url: &'static str,
    scopes: &'static [&'static str],
}

/// Which identity provider a server's OAuth2 grant comes from (`oauth2_provider`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuth2Provider {
    Google,
    Microsoft,
    /// Endpoints from `oauth2_auth_url` / `oauth2_token_url` / `oauth2_device_url`.
    Custom,
}

impl OAuth2Provider {
    /// The name as written in the config.
    pub fn name(self) -> &'static str {
        match self {
            OAuth2Provider::Google => "google",
            OAuth2Provider::Microsoft => "microsoft",
            OAuth2Provider::Custom => "custom",
        }
    }
}

/// A server's built-in OAuth2 client, resolved: presets applied, endpoints checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuth2Client {
    pub provider: OAuth2Provider,
    pub client_id: String,
    /// Shell command whose first line of stdout is the client secret (providers that require
    /// one for installed apps, such as Google); None: a public client.
    pub client_secret_command: Option<String>,
    /// The authorization endpoint (browser login).
    pub auth_url: String,
    /// The token endpoint (code exchange and refresh).
    pub token_url: String,
    /// The device authorization endpoint (`postie login --device`); None: not offered.
    pub device_url: Option<String>,
    /// Scopes asked for, in order.
    pub scopes: Vec<String>,
}

impl OAuth2Client {
    /// The same grant serves two servers when provider, endpoints and client are the same
    /// (then one `postie login` covers both).
    pub fn same_grant(&self, other: &OAuth2Client) -> bool {
        self.token_url == other.token_url && self.client_id == other.client_id
    }
}

/// The `oauth2_*` keys of one server table, as written.
#[derive(Debug, Default, Clone)]
pub(super) struct RawOAuth2 {
    pub provider: Option<Spanned<String>>,
    pub client_id: Option<Spanned<String>>,
    pub client_secret_command: Option<String>,
    pub auth_url: Option<Spanned<String>>,
    pub token_url: Option<Spanned<String>>,
    pub scopes: Option<Vec<String>>,
    pub device_url: Option<Spanned<String>>,
}

impl RawOAuth2 {
    fn is_empty(&self) -> bool {
        self.provider.is_none()
            && self.client_id.is_none()
            && self.client_secret_command.is_none()
            && self.auth_url.is_none()
            && self.token_url.is_none()
            && self.scopes.is_none()
            && self.device_url.is_none()
    }
}

impl Parser<'_> {
    /// The server table's OAuth2 client: Ok(None) when it has no `oauth2_*` key, Err(()) when
    /// a problem was reported.
    pub(super) fn oauth2_client(
        &mut self,
        raw: RawOAuth2,
        table_name: &str,
        table_span: &Range<usize>,
    ) -> Result<Option<OAuth2Client>, ()> {
        if raw.is_empty() {
            return Ok(None);
        }
        let Some(provider) = raw.provider else {
            self.at(
                table_span,
                format!(
                    "{table_name} has oauth2_* keys but no oauth2_provider: set oauth2_provider = \"google\", \"microsoft\" or \"custom\""
                ),
            );
            return Err(());
        };
        let preset = match provider.get_ref().as_str() {
            "google" => Some((OAuth2Provider::Google, &GOOGLE)),
            "microsoft" => Some((OAuth2Provider::Microsoft, &MICROSOFT)),
            "custom" => None,
            other => {
                self.at(
                    &provider.span(),
                    format!(
                        "unknown oauth2_provider {other:?} in {table_name}: expected \"google\", \"microsoft\" or \"custom\""
                    ),
                );
                return Err(());
            }
        };
        let mut ok = true;
        let client_id = match raw.client_id {
            Some(id) if !id.get_ref().trim().is_empty() => id.into_inner(),
            _ => {
                self.at(
                    &provider.span(),
                    format!(
                        "oauth2_provider in {table_name} needs oauth2_client_id (the client id of the app registered with the provider)"
                    ),
                );
                ok = false;
                String::new()
            }
        };
        let mut endpoint = |parser: &mut Self, value: Option<Spanned<String>>, key: &str| {
            let value = value?;
            match endpoint_problem(value.get_ref()) {
                None => Some(value.into_inner()),
                Some(problem) => {
                    parser.at(&value.span(), format!("{key} in {table_name}: {problem}"));
                    ok = false;
                    None
                }
            }
        };
        let auth_url = endpoint(self, raw.auth_url, "oauth2_auth_url");
        let token_url = endpoint(self, raw.token_url, "oauth2_token_url");
        let device_url = endpoint(self, raw.device_url, "oauth2_device_url");
        let client = match preset {
            Some((provider, preset)) => OAuth2Client {
                provider,
                client_id,
                client_secret_command: raw.client_secret_command,
                auth_url: auth_url.unwrap_or_else(|| preset.auth_url.to_owned()),
                token_url: token_url.unwrap_or_else(|| preset.token_url.to_owned()),
                device_url: Some(device_url.unwrap_or_else(|| preset.device_url.to_owned())),
                scopes: raw
                    .scopes
                    .unwrap_or_else(|| preset.scopes.iter().map(|s| s.to_string()).collect()),
            },
            None => {
                for (value, key) in [
                    (&auth_url, "oauth2_auth_url"),
                    (&token_url, "oauth2_token_url"),
                ] {
                    if value.is_none() && ok {
                        self.at(
                            &provider.span(),
                            format!(
                                "oauth2_provider = \"custom\" in {table_name} needs {key} (the provider's endpoint)"
                            ),
                        );
                        ok = false;
                    }
                }
                OAuth2Client {
                    provider: OAuth2Provider::Custom,
                    client_id,
                    client_secret_command: raw.client_secret_command,
                    auth_url: auth_url.unwrap_or_default(),
                    token_url: token_url.unwrap_or_default(),
                    device_url,
                    scopes: raw.scopes.unwrap_or_default(),
                }
            }
        };
        if ok { Ok(Some(client)) } else { Err(()) }
    }
}

/// Why `url` cannot be an OAuth2 endpoint, if it cannot.
pub fn endpoint_problem(url: &str) -> Option<String> {
    if url.starts_with("https://") && url.len() > "https://".len() {
        return None;
    }
    if let Some(rest) = url.strip_prefix("http://") {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host = match authority.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or_default(),
            None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
        };
        let loopback = host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if loopback {
            return None;
        }
        return Some(format!(
            "{url:?} is plain http to another machine: tokens would travel in clear; use https:// (http:// is only for 127.0.0.1 and localhost)"
        ));
    }
    Some(format!("{url:?} is not an https:// URL"))
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::super::{Config, ConfigError, Env};
    use super::*;

    fn parse(server_keys: &str) -> Result<Config, ConfigError> {
        let text = format!(
            "[accounts.work]\nemail = \"a@x.test\"\n\n[accounts.work.incoming]\nprotocol = \"imap\"\nhost = \"imap.x.test\"\n{server_keys}\n[accounts.work.outgoing]\nhost = \"smtp.x.test\"\n"
        );
        let env = Env {
            home: Some(PathBuf::from("/home/a")),
            data_home: Some(PathBuf::from("/xdg/data")),
            ..Env::default()
        };
        Config::parse(&text, Path::new("/c/config.toml"), &env)
    }

    /// The one problem of a config, as `FILE:LINE: message`.
    fn problem(server_keys: &str) -> String {
        match parse(server_keys) {
            Err(ConfigError::Invalid { path, problems }) => {
                assert_eq!(problems.len(), 1, "{problems:#?}");
                problems[0].display(&path)
            }
            other => panic!("expected one problem, got {other:?}"),
        }
    }

    #[test]
    fn microsoft_preset_and_outgoing_shares_the_client() {
        let config = parse(
            "oauth2_provider = \"microsoft\"\noauth2_client_id = \"abc\"\noauth2_client_secret_command = \"pass show ms\"\n",
        )
        .expect("valid");
        let account = &config.accounts[0];
        let client = account.incoming_server().unwrap().oauth2.clone().unwrap();
        assert_eq!(client.provider, OAuth2Provider::Microsoft);
        assert_eq!(
            client.token_url,
            "https://login.microsoftonline.com/common/oauth2/v2.0/token"
        );
        assert!(client.scopes.contains(&"offline_access".to_owned()));
        assert!(
            client
                .scopes
                .contains(&"https://outlook.office.com/SMTP.Send".to_owned())
        );
        assert_eq!(
            client.client_secret_command.as_deref(),
            Some("pass show ms")
        );
        assert_eq!(
            account.outgoing_server().unwrap().oauth2.as_ref(),
            Some(&client)
        );
    }

    #[test]
    fn google_preset() {
        let config = parse("oauth2_provider = \"google\"\noauth2_client_id = \"id\"\n").unwrap();
        let client = config.accounts[0].incoming_server().unwrap().oauth2.clone();
        let client = client.unwrap();
        assert_eq!(client.scopes, ["https://mail.google.com/"]);
        assert_eq!(
            client.device_url.as_deref(),
            Some("https://oauth2.googleapis.com/device/code")
        );
    }

    #[test]
    fn custom_without_endpoints_names_the_line() {
        assert_eq!(
            problem("oauth2_provider = \"custom\"\noauth2_client_id = \"id\"\n"),
            "/c/config.toml:7: oauth2_provider = \"custom\" in [accounts.work.incoming] needs oauth2_auth_url (the provider's endpoint)"
        );
    }

    #[test]
    fn provider_without_client_id() {
        assert_eq!(
            problem("oauth2_provider = \"google\"\n"),
            "/c/config.toml:7: oauth2_provider in [accounts.work.incoming] needs oauth2_client_id (the client id of the app registered with the provider)"
        );
    }

    #[test]
    fn provider_without_client_id_under_auth_oauth2_is_one_problem() {
        // What `postie init --email` writes for Gmail before the user adds a client id: the
        // missing id is the problem, not a missing OAuth2 source.
        let found = problem("auth = \"oauth2\"\noauth2_provider = \"google\"\n");
        assert!(found.contains("needs oauth2_client_id"), "{found}");
    }

    #[test]
    fn unknown_provider_and_keys_without_provider() {
        let found = problem("oauth2_provider = \"yahoo\"\noauth2_client_id = \"id\"\n");
        assert!(
            found.starts_with("/c/config.toml:7: unknown oauth2_provider \"yahoo\""),
            "{found}"
        );
        let found = problem("oauth2_client_id = \"id\"\n");
        assert!(found.contains("no oauth2_provider"), "{found}");
    }

    #[test]
    fn plain_http_only_to_loopback() {
        let found = problem(
            "oauth2_provider = \"custom\"\noauth2_client_id = \"id\"\noauth2_auth_url = \"https://idp.x.test/auth\"\noauth2_token_url = \"http://idp.x.test/token\"\n",
        );
        assert!(
            found.starts_with("/c/config.toml:10: oauth2_token_url in [accounts.work.incoming]"),
            "{found}"
        );
        assert!(endpoint_problem("http://127.0.0.1:8080/token").is_none());
        assert!(endpoint_problem("http://localhost/token").is_none());
        assert!(endpoint_problem("http://[::1]:80/token").is_none());
        assert!(endpoint_problem("http://127.0.0.1.evil.test/token").is_some());
        assert!(endpoint_problem("ftp://x").is_some());
    }
}

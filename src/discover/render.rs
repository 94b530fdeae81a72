//! What discovery found, as the user sees it: the `[accounts.NAME]` TOML that is written, one
//! line per server saying where it came from, and what to do next.
//!
//! What must hold: the TOML is a complete account (`postie config check` accepts it as it is,
//! for password accounts) and every string in it is quoted by the toml crate, since the
//! values come from a server's file or DNS.

use std::fmt::Write as _;

use super::{Found, ProviderAuth, Security, ServerSetting};

/// The account name `init --email` uses without `--name`: the domain's first label
/// (`example` for you@example.org), reduced to the characters an account name may have.
pub fn default_name(email: &str) -> String {
    let domain = email.rsplit_once('@').map_or(email, |(_, d)| d);
    let stem = domain.split('.').next().unwrap_or("");
    let name: String = stem
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect::<String>()
        .to_ascii_lowercase();
    if name.is_empty() {
        "mail".to_owned()
    } else {
        name
    }
}

fn quoted(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// `name` as a TOML key: bare when it can be, quoted otherwise.
pub fn key(name: &str) -> String {
    if !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        name.to_owned()
    } else {
        quoted(name)
    }
}

/// The account tables to append to (or start) a config file.
pub fn account_toml(name: &str, found: &Found) -> String {
    let key = key(name);
    let mut out = String::new();
    let _ = writeln!(out, "[accounts.{key}]");
    let _ = writeln!(out, "email = {}", quoted(&found.email));
    let _ = writeln!(out);
    let _ = writeln!(out, "[accounts.{key}.incoming]");
    let _ = writeln!(
        out,
        "protocol = {}",
        quoted(found.incoming.protocol.config_name())
    );
    server_keys(&mut out, &found.incoming, found);
    let _ = writeln!(out);
    let _ = writeln!(out, "[accounts.{key}.outgoing]");
    server_keys(&mut out, &found.outgoing, found);
    out
}

fn server_keys(out: &mut String, server: &ServerSetting, found: &Found) {
    let _ = writeln!(out, "host = {}", quoted(&server.host));
    let _ = writeln!(out, "port = {}", server.port);
    let _ = writeln!(out, "tls = {}", quoted(server.security.config_name()));
    let _ = writeln!(out, "user = {}", quoted(&server.user));
    if server.oauth2 {
        let _ = writeln!(out, "auth = \"oauth2\"");
        match found.provider.map(|p| p.auth) {
            Some(ProviderAuth::OAuth2 { preset }) => {
                let _ = writeln!(out, "oauth2_provider = {}", quoted(preset));
                let _ = writeln!(
                    out,
                    "# oauth2_client_id = \"YOUR-CLIENT-ID\"   # yours: README, \"Your provider\""
                );
            }
            _ => {
                let _ = writeln!(
                    out,
                    "# oauth2_token_command = \"...\"   # or the oauth2_provider keys: docs/config.md"
                );
            }
        }
    }
    if found.provider.is_some_and(|p| p.own_certificate) {
        let _ = writeln!(
            out,
            "# ca_file = \"~/.config/protonmail/bridge/cert.pem\"   # the certificate Bridge exports"
        );
    }
}

/// One line per server: `incoming: imap imap.example.org:993 TLS, from autoconfig.example.org`.
pub fn source_lines(found: &Found) -> Vec<String> {
    let line = |role: &str, s: &ServerSetting| {
        let tls = match s.security {
            Security::Implicit => "TLS",
            Security::StartTls => "STARTTLS",
        };
        format!(
            "{role}: {} {}:{} {tls} (login {}), from {}",
            s.protocol.config_name(),
            s.host,
            s.port,
            s.user,
            s.source
        )
    };
    vec![
        line("incoming", &found.incoming),
        line("outgoing", &found.outgoing),
    ]
}

/// What the user does next, with the provider's note where there is one.
pub fn next_steps(name: &str, found: &Found) -> String {
    if let Some(provider) = found.provider {
        return provider.note.replace("NAME", name);
    }
    if found.incoming.oauth2 || found.outgoing.oauth2 {
        return format!(
            "the server takes OAuth2 only: set oauth2_token_command, or the oauth2_provider keys \
             (docs/config.md), in both server tables, then run `postie login {name}`"
        );
    }
    format!("store the password with `postie login {name}`, then run `postie sync`")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::Protocol;

    fn found() -> Found {
        let server = |protocol, host: &str, port| ServerSetting {
            protocol,
            host: host.to_owned(),
            port,
            security: Security::Implicit,
            user: "ann\"x@example.org".to_owned(),
            oauth2: false,
            source: "s".to_owned(),
        };
        Found {
            email: "ann\"x@example.org".to_owned(),
            incoming: server(Protocol::Imap, "imap.example.org", 993),
            outgoing: server(Protocol::Smtp, "smtp.example.org", 465),
            provider: None,
            tried: Vec::new(),
        }
    }

    #[test]
    fn the_toml_parses_back_with_every_value_quoted() {
        let text = account_toml("my.work", &found());
        let doc: toml::Table = text.parse().expect("valid TOML");
        let account = &doc["accounts"]["my.work"];
        assert_eq!(account["email"].as_str(), Some("ann\"x@example.org"));
        assert_eq!(account["incoming"]["port"].as_integer(), Some(993));
        assert_eq!(account["outgoing"]["tls"].as_str(), Some("implicit"));
        assert!(account["outgoing"].get("protocol").is_none());
    }

    #[test]
    fn default_names() {
        assert_eq!(default_name("a@Example.org"), "example");
        assert_eq!(default_name("a@gmail.com"), "gmail");
        assert_eq!(default_name("a@ü.org"), "mail");
    }
}

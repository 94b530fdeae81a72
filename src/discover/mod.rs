//! Account discovery: from an address to the servers, ports and TLS modes of its account, for
//! `postie init --email ADDR`.
//!
//! The sources, in order; the first that gives an incoming server (IMAP, else POP3) and a
//! submission server wins:
//! 1. the built-in provider table ([`providers`]), by the address's domain, then by its MX hosts;
//! 2. Thunderbird's autoconfig file ([`autoconfig`]);
//! 3. RFC 6186 SRV records ([`srv`]);
//! 4. guesses from the domain and its MX hosts, each checked by connecting ([`probe`]).
//!
//! What must hold: every setting carries the source it came from (the user is told), nothing
//! found is an error listing what was tried, only encrypted servers (implicit TLS or STARTTLS)
//! are ever offered, and `--offline` leaves only the table (no lookup at all). This module
//! only finds; writing the config is the caller's (`cli`), and nothing here logs in.

pub mod autoconfig;
pub mod dns;
pub mod hooks;
pub mod probe;
pub mod providers;
pub mod render;
pub mod srv;
pub mod xml;

use crate::error::ErrorKind;

pub use providers::{Provider, ProviderAuth};

/// Which protocol a server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Imap,
    Pop3,
    Smtp,
}

impl Protocol {
    /// The config's `protocol` value (smtp has none: it is the outgoing table).
    pub fn config_name(self) -> &'static str {
        match self {
            Protocol::Imap => "imap",
            Protocol::Pop3 => "pop3",
            Protocol::Smtp => "smtp",
        }
    }
}

/// How a server is encrypted; discovery never offers a plain one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (the config's `tls = "implicit"`).
    Implicit,
    /// Plain greeting, then STARTTLS before anything else (`tls = "starttls"`).
    StartTls,
}

impl Security {
    pub fn config_name(self) -> &'static str {
        match self {
            Security::Implicit => "implicit",
            Security::StartTls => "starttls",
        }
    }
}

/// One server found, and where from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSetting {
    pub protocol: Protocol,
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// The login name ("" until the orchestrator fills in the address).
    pub user: String,
    /// The source says the server takes OAuth2 only.
    pub oauth2: bool,
    /// Where this came from, as told to the user (`autoconfig.example.org`).
    pub source: String,
}

/// What discovery found for an address.
#[derive(Debug, Clone)]
pub struct Found {
    pub email: String,
    pub incoming: ServerSetting,
    pub outgoing: ServerSetting,
    /// The table entry, when the settings came from it: its OAuth2 preset and note.
    pub provider: Option<&'static Provider>,
    /// What was tried before the source that answered, and anything to check (an unsigned
    /// autoconfig file); shown to the user.
    pub tried: Vec<String>,
}

/// Why discovery gave nothing.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("{0:?} is not an email address (expected NAME@DOMAIN)")]
    NotAnAddress(String),
    #[error(
        "no mail settings found for {email}; tried: {}; write the account by hand \
         (`postie init` writes a template)",
        tried.join("; ")
    )]
    NotFound { email: String, tried: Vec<String> },
}

impl DiscoverError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            DiscoverError::NotAnAddress(_) => ErrorKind::Usage,
            DiscoverError::NotFound { .. } => ErrorKind::Network,
        }
    }
}

/// Splits and checks an address: `(local, domain)`, domain lowercased.
pub fn split_address(email: &str) -> Result<(String, String), DiscoverError> {
    let bad = || DiscoverError::NotAnAddress(email.to_owned());
    let (local, domain) = email.trim().rsplit_once('@').ok_or_else(bad)?;
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let domain_ok = domain.contains('.')
        && domain.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if local.is_empty() || local.chars().any(|c| c.is_whitespace() || c.is_control()) || !domain_ok
    {
        return Err(bad());
    }
    Ok((local.to_owned(), domain))
}

/// Finds the account settings for `email` (see the module docs for the order).
pub async fn discover(email: &str) -> Result<Found, DiscoverError> {
    let (_, domain) = split_address(email)?;
    let email = email.trim().to_owned();
    let mut tried = Vec::new();

    if let Some(provider) = providers::by_domain(&domain) {
        return Ok(from_table(&email, provider, "", tried));
    }
    tried.push("the built-in provider table".to_owned());
    if !crate::net::offline::connections_allowed() {
        tried.push("nothing on the network (--offline)".to_owned());
        return Err(DiscoverError::NotFound { email, tried });
    }

    let nameserver = dns::nameserver();
    let mx_hosts = match &nameserver {
        Ok(server) => match dns::query(*server, &domain, dns::RecordType::Mx).await {
            Ok(answer) => {
                let mut mx: Vec<(u16, String)> = answer
                    .records()
                    .into_iter()
                    .filter_map(|r| match r {
                        dns::Record::Mx {
                            preference,
                            exchange,
                        } if !exchange.is_empty() => Some((preference, exchange)),
                        _ => None,
                    })
                    .collect();
                mx.sort();
                mx.into_iter().map(|(_, host)| host).collect::<Vec<_>>()
            }
            Err(e) => {
                tried.push(format!("MX of {domain}: {e}"));
                Vec::new()
            }
        },
        Err(e) => {
            tried.push(format!("DNS: {e}"));
            Vec::new()
        }
    };
    if let Some(provider) = providers::by_mx(&mx_hosts) {
        let via = format!(
            ", by the MX host {}",
            mx_hosts.first().map_or("", |h| h.as_str())
        );
        return Ok(from_table(&email, provider, &via, tried));
    }

    // Two rounds (https, then plain http), each asked at once; the first usable file in
    // Thunderbird's order wins. Plain http is asked only when https gave nothing, since its
    // URL carries the address in clear.
    for round in autoconfig::locations(&email, &domain).chunks(2) {
        let fetches = round.iter().map(|location| {
            let url = location.url.clone();
            async move {
                tokio::task::spawn_blocking(move || autoconfig::fetch(&url))
                    .await
                    .unwrap_or_else(|e| Err(autoconfig::FetchError::Http(e.to_string())))
            }
        });
        let fetched = futures::future::join_all(fetches).await;
        for (location, fetched) in round.iter().zip(fetched) {
            match fetched.and_then(|text| autoconfig::parse(&text, &email, &location.label)) {
                Ok(offer) => {
                    return Ok(Found {
                        email,
                        incoming: offer.incoming,
                        outgoing: offer.outgoing,
                        provider: None,
                        tried,
                    });
                }
                Err(e) => tried.push(format!("{}: {e}", location.label)),
            }
        }
    }

    if let Ok(server) = nameserver {
        match srv::lookup(server, &domain).await {
            Ok(Some((incoming, outgoing))) => {
                return Ok(Found {
                    incoming: with_user(incoming, &email),
                    outgoing: with_user(outgoing, &email),
                    email,
                    provider: None,
                    tried,
                });
            }
            Ok(None) => tried.push(format!("SRV records of {domain}: none usable")),
            Err(e) => tried.push(format!("SRV records of {domain}: {e}")),
        }
    }

    let source = if mx_hosts.is_empty() {
        format!("a guess from {domain}")
    } else {
        format!("a guess from the MX of {domain}")
    };
    let guess = |prefixes: &[&str], protocols: &[Protocol]| {
        let hosts = probe::guessed_hosts(&domain, prefixes, &mx_hosts);
        let mut candidates = Vec::new();
        for &protocol in protocols {
            for host in &hosts {
                for (port, security) in probe::ports(protocol) {
                    candidates.push(probe::Candidate {
                        protocol,
                        host: host.clone(),
                        port,
                        security,
                    });
                }
            }
        }
        candidates
    };
    let incoming = guess(&["imap", "mail"], &[Protocol::Imap]);
    let pop3 = guess(&["pop", "pop3", "mail"], &[Protocol::Pop3]);
    let outgoing = guess(&["smtp", "mail"], &[Protocol::Smtp]);
    let (incoming, outgoing) = tokio::join!(
        async {
            match probe::first_answering(incoming, &source).await {
                Some(found) => Some(found),
                None => probe::first_answering(pop3, &source).await,
            }
        },
        probe::first_answering(outgoing, &source)
    );
    match (incoming, outgoing) {
        (Some(incoming), Some(outgoing)) => Ok(Found {
            incoming: with_user(incoming, &email),
            outgoing: with_user(outgoing, &email),
            email,
            provider: None,
            tried,
        }),
        (incoming, _) => {
            let missing = if incoming.is_some() {
                "no submission server"
            } else {
                "no IMAP or POP3 server"
            };
            tried.push(format!(
                "guessed hosts of {domain}{} ({missing} answered)",
                if mx_hosts.is_empty() {
                    String::new()
                } else {
                    format!(" and its MX {}", mx_hosts.join(", "))
                }
            ));
            Err(DiscoverError::NotFound { email, tried })
        }
    }
}

fn with_user(mut setting: ServerSetting, email: &str) -> ServerSetting {
    setting.user = email.to_owned();
    setting
}

fn from_table(email: &str, provider: &'static Provider, via: &str, tried: Vec<String>) -> Found {
    let (local, _) = email.rsplit_once('@').unwrap_or((email, ""));
    let oauth2 = matches!(provider.auth, ProviderAuth::OAuth2 { .. });
    let setting = |server: &providers::ProviderServer, protocol| ServerSetting {
        protocol,
        host: server.host.to_owned(),
        port: server.port,
        security: server.security,
        user: match server.login {
            providers::LoginForm::Email => email.to_owned(),
            providers::LoginForm::LocalPart => local.to_owned(),
        },
        oauth2,
        source: format!("the built-in table ({}{via})", provider.name),
    };
    Found {
        email: email.to_owned(),
        incoming: setting(&provider.imap, Protocol::Imap),
        outgoing: setting(&provider.smtp, Protocol::Smtp),
        provider: Some(provider),
        tried,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked() {
        assert_eq!(
            split_address(" Ann@Example.ORG ").expect("ok"),
            ("Ann".to_owned(), "example.org".to_owned())
        );
        for bad in [
            "",
            "ann",
            "@example.org",
            "ann@",
            "ann@localhost",
            "a b@x.org",
            "a@x..org",
        ] {
            assert!(split_address(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn table_settings_use_each_servers_login_form() {
        let icloud = providers::by_domain("me.com").expect("in the table");
        let found = from_table("ann@me.com", icloud, "", Vec::new());
        assert_eq!(found.incoming.user, "ann");
        assert_eq!(found.outgoing.user, "ann@me.com");
        assert!(!found.incoming.oauth2);
        let gmail = providers::by_domain("gmail.com").expect("in the table");
        let found = from_table("bob@gmail.com", gmail, "", Vec::new());
        assert!(found.incoming.oauth2 && found.outgoing.oauth2);
        assert_eq!(found.incoming.source, "the built-in table (Gmail)");
    }
}

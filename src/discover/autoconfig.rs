//! Thunderbird's autoconfig files: where they are looked for, how they are fetched, and how
//! `incomingServer` / `outgoingServer` become [`ServerSetting`]s.
//!
//! The order is Thunderbird's: `https://autoconfig.DOMAIN/mail/config-v1.1.xml?emailaddress=ADDR`,
//! then `https://DOMAIN/.well-known/autoconfig/mail/config-v1.1.xml`, then both again over plain
//! http (a file from there is unsigned and could have been changed on the way: the source says
//! so, and the user is told to check it). What must hold: a body over [`MAX_BODY`] or a fetch
//! over [`FETCH_TIMEOUT`] is refused with a line saying so, and a server with `socketType`
//! `plain` is never chosen (a password would cross the wire in clear).

use std::time::Duration;

use super::xml::{self, Element};
use super::{Protocol, Security, ServerSetting};

/// The largest autoconfig file accepted (real ones are a few kilobytes).
pub const MAX_BODY: u64 = 1024 * 1024;
/// How long one fetch (connect, TLS, headers and body) may take.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// One place an autoconfig file may be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub url: String,
    /// How the source is named to the user (`autoconfig.example.org`, `example.org/.well-known
    /// (plain http, unsigned)`).
    pub label: String,
}

/// The places to look for `email`'s file, in Thunderbird's order, in rounds of two (https, then
/// plain http). With the test hook
/// `POSTIE_AUTOCONFIG_BASE` both paths are asked of that one server (no plain-http round).
pub fn locations(email: &str, domain: &str) -> Vec<Location> {
    let query = format!("?emailaddress={}", percent_encode(email));
    let sub = "/mail/config-v1.1.xml";
    let known = "/.well-known/autoconfig/mail/config-v1.1.xml";
    if let Some(base) = super::hooks::autoconfig_base() {
        let base = base.trim_end_matches('/');
        return vec![
            Location {
                url: format!("{base}{sub}{query}"),
                label: format!("autoconfig.{domain}"),
            },
            Location {
                url: format!("{base}{known}"),
                label: format!("{domain}/.well-known"),
            },
        ];
    }
    let mut out = Vec::new();
    for (scheme, note) in [("https", ""), ("http", " (plain http, unsigned: check it)")] {
        out.push(Location {
            url: format!("{scheme}://autoconfig.{domain}{sub}{query}"),
            label: format!("autoconfig.{domain}{note}"),
        });
        out.push(Location {
            url: format!("{scheme}://{domain}{known}"),
            label: format!("{domain}/.well-known{note}"),
        });
    }
    out
}

fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Why one location gave nothing.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("not found (HTTP {0})")]
    Status(u16),
    #[error("refused: larger than {} KiB", MAX_BODY / 1024)]
    TooLarge,
    #[error("refused: {0}")]
    Xml(#[from] xml::XmlError),
    #[error("refused: it is not an autoconfig file (root <{0}>)")]
    NotAutoconfig(String),
    #[error("no usable IMAP or POP3 and SMTP server in it")]
    NothingUsable,
    #[error("cannot fetch it ({0})")]
    Http(String),
}

/// Fetches one location (blocking; run it off the async threads) and returns its text.
pub fn fetch(url: &str) -> Result<String, FetchError> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(FETCH_TIMEOUT))
        .http_status_as_error(false)
        .max_redirects(5)
        .build()
        .into();
    let mut response = agent
        .get(url)
        .call()
        .map_err(|e| FetchError::Http(e.to_string()))?;
    let status = response.status().as_u16();
    if status != 200 {
        return Err(FetchError::Status(status));
    }
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_BODY)
        .lossy_utf8(true)
        .read_to_string();
    match body {
        Ok(text) => Ok(text),
        Err(ureq::Error::BodyExceedsLimit(_)) => Err(FetchError::TooLarge),
        Err(e) => Err(FetchError::Http(e.to_string())),
    }
}

/// What a file offers: the incoming server chosen (IMAP before POP3) and the outgoing one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub incoming: ServerSetting,
    pub outgoing: ServerSetting,
}

/// Reads an autoconfig document for `email`; `source` is written into each setting.
pub fn parse(text: &str, email: &str, source: &str) -> Result<Offer, FetchError> {
    let root = xml::parse(text)?;
    if root.name != "clientConfig" {
        return Err(FetchError::NotAutoconfig(root.name));
    }
    let provider = root
        .children_named("emailProvider")
        .next()
        .ok_or(FetchError::NothingUsable)?;
    let servers = |tag: &'static str, kind: &'static str| {
        provider
            .children_named(tag)
            .filter(move |s| s.attribute("type") == Some(kind))
            .filter_map(|s| server(s, email, source))
            .collect::<Vec<_>>()
    };
    let incoming = servers("incomingServer", "imap")
        .into_iter()
        .chain(servers("incomingServer", "pop3"))
        .next()
        .ok_or(FetchError::NothingUsable)?;
    let outgoing = servers("outgoingServer", "smtp")
        .into_iter()
        .next()
        .ok_or(FetchError::NothingUsable)?;
    Ok(Offer { incoming, outgoing })
}

/// One server element, or None when it cannot be used (plain, no host, bad port).
fn server(element: &Element, email: &str, source: &str) -> Option<ServerSetting> {
    let protocol = match element.attribute("type")? {
        "imap" => Protocol::Imap,
        "pop3" => Protocol::Pop3,
        "smtp" => Protocol::Smtp,
        _ => return None,
    };
    let security = match element.child_text("socketType")? {
        "SSL" => Security::Implicit,
        "STARTTLS" => Security::StartTls,
        _ => return None,
    };
    let host = substitute(element.child_text("hostname")?, email);
    if host.is_empty()
        || !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b))
    {
        return None;
    }
    let port: u16 = element
        .child_text("port")?
        .parse()
        .ok()
        .filter(|&p| p > 0)?;
    let user = substitute(
        element.child_text("username").unwrap_or("%EMAILADDRESS%"),
        email,
    );
    let methods: Vec<&str> = element
        .children_named("authentication")
        .map(|a| a.text.as_str())
        .collect();
    let password = methods.is_empty()
        || methods
            .iter()
            .any(|m| m.starts_with("password-") || m.eq_ignore_ascii_case("plain"));
    let oauth2 = !password && methods.iter().any(|m| m.eq_ignore_ascii_case("OAuth2"));
    if !password && !oauth2 {
        return None;
    }
    Some(ServerSetting {
        protocol,
        host: host.to_ascii_lowercase(),
        port,
        security,
        user,
        oauth2,
        source: source.to_owned(),
    })
}

/// Replaces Thunderbird's placeholders with parts of the address.
pub fn substitute(template: &str, email: &str) -> String {
    let (local, domain) = email.rsplit_once('@').unwrap_or((email, ""));
    template
        .replace("%EMAILADDRESS%", email)
        .replace("%EMAILLOCALPART%", local)
        .replace("%EMAILDOMAIN%", domain)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="example.org">
    <domain>example.org</domain>
    <incomingServer type="pop3">
      <hostname>pop.example.org</hostname><port>995</port><socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>imap.example.org</hostname><port>143</port><socketType>plain</socketType>
      <username>%EMAILLOCALPART%</username><authentication>password-cleartext</authentication>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>imap.%EMAILDOMAIN%</hostname><port>993</port><socketType>SSL</socketType>
      <username>%EMAILLOCALPART%</username><authentication>OAuth2</authentication>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.org</hostname><port>587</port><socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication>
    </outgoingServer>
  </emailProvider>
</clientConfig>"#;

    #[test]
    fn imap_before_pop3_plain_skipped_placeholders_filled() {
        let offer = parse(FILE, "ann@example.org", "autoconfig.example.org").expect("usable");
        assert_eq!(offer.incoming.protocol, Protocol::Imap);
        assert_eq!(offer.incoming.host, "imap.example.org");
        assert_eq!(offer.incoming.port, 993);
        assert_eq!(offer.incoming.security, Security::Implicit);
        assert_eq!(offer.incoming.user, "ann");
        assert!(offer.incoming.oauth2);
        assert_eq!(offer.outgoing.security, Security::StartTls);
        assert_eq!(offer.outgoing.user, "ann@example.org");
        assert!(!offer.outgoing.oauth2);
    }

    #[test]
    fn files_without_a_usable_server_or_not_autoconfig_are_refused() {
        let no_smtp = FILE.replace("type=\"smtp\"", "type=\"exchange\"");
        assert!(matches!(
            parse(&no_smtp, "a@example.org", "x"),
            Err(FetchError::NothingUsable)
        ));
        assert!(matches!(
            parse("<html><body/></html>", "a@example.org", "x"),
            Err(FetchError::NotAutoconfig(_))
        ));
        assert!(matches!(
            parse("<clientConfig>", "a@example.org", "x"),
            Err(FetchError::Xml(_))
        ));
    }

    #[test]
    fn thunderbird_order_https_then_plain_http() {
        let urls: Vec<String> = locations("a+b@example.org", "example.org")
            .into_iter()
            .map(|l| l.url)
            .collect();
        assert_eq!(
            urls,
            [
                "https://autoconfig.example.org/mail/config-v1.1.xml?emailaddress=a%2Bb%40example.org",
                "https://example.org/.well-known/autoconfig/mail/config-v1.1.xml",
                "http://autoconfig.example.org/mail/config-v1.1.xml?emailaddress=a%2Bb%40example.org",
                "http://example.org/.well-known/autoconfig/mail/config-v1.1.xml",
            ]
        );
    }
}

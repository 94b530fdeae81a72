//! The last resort: guessed host names (`imap.DOMAIN`, `mail.DOMAIN`, the MX hosts and their
//! domain), each checked by connecting before it is offered.
//!
//! A guess counts only when the server completes a verified TLS handshake (implicit TLS, or
//! STARTTLS after the plain greeting) and greets as the protocol should (`* OK`, `+OK`, `220`):
//! a name that merely resolves, or a certificate for another name, is not a mail server for
//! this address. Every check is bounded by [`PROBE_TIMEOUT`] and all run at once, so the
//! whole round takes at most about that long.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::{Protocol, Security, ServerSetting};
use crate::net::TlsConnector;

/// How long one guess may take: resolve, connect, handshake and greeting.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// One guess to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub protocol: Protocol,
    pub host: String,
    pub port: u16,
    pub security: Security,
}

/// The host names to try for `domain` whose MX hosts are `mx_hosts` (best first), in order.
pub fn guessed_hosts(domain: &str, prefixes: &[&str], mx_hosts: &[String]) -> Vec<String> {
    let mut out: Vec<String> = prefixes.iter().map(|p| format!("{p}.{domain}")).collect();
    for mx in mx_hosts {
        let mx = mx.trim_end_matches('.').to_ascii_lowercase();
        if mx.is_empty() {
            continue;
        }
        out.push(mx.clone());
        if let Some((_, parent)) = mx.split_once('.')
            && parent.contains('.')
            && parent != domain
        {
            out.extend(prefixes.iter().map(|p| format!("{p}.{parent}")));
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|h| seen.insert(h.clone()));
    out.truncate(8);
    out
}

/// The standard ports of a protocol (implicit TLS first), after the test hook's mapping.
pub fn ports(protocol: Protocol) -> Vec<(u16, Security)> {
    let standard: &[(&str, u16, Security)] = match protocol {
        Protocol::Imap => &[
            ("imaps", 993, Security::Implicit),
            ("imap", 143, Security::StartTls),
        ],
        Protocol::Pop3 => &[
            ("pop3s", 995, Security::Implicit),
            ("pop3", 110, Security::StartTls),
        ],
        Protocol::Smtp => &[
            ("submissions", 465, Security::Implicit),
            ("submission", 587, Security::StartTls),
        ],
    };
    let mapped = super::hooks::probe_ports();
    standard
        .iter()
        .map(|&(name, port, security)| (mapped.get(name).copied().unwrap_or(port), security))
        .collect()
}

/// Checks every candidate at once; returns the first (in the given order) that answered.
pub async fn first_answering(candidates: Vec<Candidate>, source: &str) -> Option<ServerSetting> {
    let connector = TlsConnector::new(None).ok()?;
    let checks = candidates.iter().map(|c| {
        let connector = connector.clone();
        async move {
            tokio::time::timeout(PROBE_TIMEOUT, check(c, &connector))
                .await
                .is_ok_and(|answered| answered)
        }
    });
    let results = futures::future::join_all(checks).await;
    candidates
        .into_iter()
        .zip(results)
        .find(|(_, ok)| *ok)
        .map(|(c, _)| ServerSetting {
            protocol: c.protocol,
            host: c.host.clone(),
            port: c.port,
            security: c.security,
            user: String::new(),
            oauth2: false,
            source: format!("{source} (checked by connecting to {}:{})", c.host, c.port),
        })
}

/// Resolves a name: an address literal as is; through the test DNS server when the hook is
/// set (so guesses stay inside the test); the system resolver otherwise.
pub async fn resolve(host: &str, port: u16) -> Vec<SocketAddr> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return vec![SocketAddr::new(ip, port)];
    }
    if let Some(server) = super::hooks::dns_server() {
        let answer = super::dns::query(server, host, super::dns::RecordType::A).await;
        return answer
            .map(|a| a.records())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|r| match r {
                super::dns::Record::A(ip) => Some(SocketAddr::new(IpAddr::V4(ip), port)),
                _ => None,
            })
            .collect();
    }
    tokio::net::lookup_host((host, port))
        .await
        .map(|addrs| addrs.collect())
        .unwrap_or_default()
}

async fn check(c: &Candidate, connector: &TlsConnector) -> bool {
    if crate::net::offline::check_allowed(&c.host, c.port).is_err() {
        return false;
    }
    for addr in resolve(&c.host, c.port).await {
        let Ok(tcp) = TcpStream::connect(addr).await else {
            continue;
        };
        return match c.security {
            Security::Implicit => match connector.upgrade(tcp, &c.host, c.port).await {
                Ok(tls) => greeted(&mut BufReader::new(tls), c.protocol).await,
                Err(_) => false,
            },
            Security::StartTls => starttls(tcp, c, connector).await,
        };
    }
    false
}

/// Reads the greeting (a multi-line SMTP one whole) and tells whether it is the protocol's.
async fn greeted<S: AsyncRead + Unpin>(reader: &mut BufReader<S>, protocol: Protocol) -> bool {
    let Some(line) = read_line(reader).await else {
        return false;
    };
    match protocol {
        Protocol::Imap => line.starts_with("* OK") || line.starts_with("* PREAUTH"),
        Protocol::Pop3 => line.starts_with("+OK"),
        Protocol::Smtp => smtp_reply_end(reader, line, "220").await,
    }
}

/// Reads SMTP continuation lines (`220-...`) until the last one (`220 ...`).
async fn smtp_reply_end<S: AsyncRead + Unpin>(
    reader: &mut BufReader<S>,
    mut line: String,
    code: &str,
) -> bool {
    for _ in 0..100 {
        if !line.starts_with(code) {
            return false;
        }
        if line.as_bytes().get(3) != Some(&b'-') {
            return true;
        }
        match read_line(reader).await {
            Some(next) => line = next,
            None => return false,
        }
    }
    false
}

async fn read_line<S: AsyncRead + Unpin>(reader: &mut BufReader<S>) -> Option<String> {
    let mut line = Vec::new();
    let mut limited = (&mut *reader).take(4096);
    limited.read_until(b'\n', &mut line).await.ok()?;
    if line.last() != Some(&b'\n') {
        return None;
    }
    Some(String::from_utf8_lossy(&line).trim_end().to_owned())
}

async fn starttls(tcp: TcpStream, c: &Candidate, connector: &TlsConnector) -> bool {
    let mut reader = BufReader::new(tcp);
    if !greeted(&mut reader, c.protocol).await {
        return false;
    }
    let (command, accepted): (&[u8], fn(&str) -> bool) = match c.protocol {
        Protocol::Imap => (b"a STARTTLS\r\n", |l| l.starts_with("a OK")),
        Protocol::Pop3 => (b"STLS\r\n", |l| l.starts_with("+OK")),
        Protocol::Smtp => {
            if reader
                .get_mut()
                .write_all(b"EHLO postie\r\n")
                .await
                .is_err()
            {
                return false;
            }
            let Some(line) = read_line(&mut reader).await else {
                return false;
            };
            if !smtp_reply_end(&mut reader, line, "250").await {
                return false;
            }
            (b"STARTTLS\r\n", |l| l.starts_with("220"))
        }
    };
    if reader.get_mut().write_all(command).await.is_err() {
        return false;
    }
    // IMAP may send untagged lines first.
    let mut answered = false;
    for _ in 0..20 {
        match read_line(&mut reader).await {
            Some(line) if line.starts_with("* ") && c.protocol == Protocol::Imap => continue,
            Some(line) => {
                answered = accepted(&line);
                break;
            }
            None => break,
        }
    }
    if !answered || !reader.buffer().is_empty() {
        return false;
    }
    connector
        .upgrade(reader.into_inner(), &c.host, c.port)
        .await
        .is_ok()
}

/// Parses the test hook's `imaps=N,submissions=M,...` list (see [`super::hooks`]).
pub fn parse_port_map(text: &str) -> HashMap<String, u16> {
    text.split(',')
        .filter_map(|pair| {
            let (name, port) = pair.split_once('=')?;
            Some((name.trim().to_owned(), port.trim().parse().ok()?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses_the_domain_then_the_mx_hosts_and_their_domain() {
        let hosts = guessed_hosts(
            "example.org",
            &["imap", "mail"],
            &["mx1.hoster.net.".to_owned(), "mx2.hoster.net".to_owned()],
        );
        assert_eq!(
            hosts,
            [
                "imap.example.org",
                "mail.example.org",
                "mx1.hoster.net",
                "imap.hoster.net",
                "mail.hoster.net",
                "mx2.hoster.net",
            ]
        );
    }

    #[test]
    fn port_map_hook_syntax() {
        let map = parse_port_map("imaps=10993, submission=10587,bad,x=y");
        assert_eq!(map.get("imaps"), Some(&10993));
        assert_eq!(map.get("submission"), Some(&10587));
        assert_eq!(map.len(), 2);
    }
}

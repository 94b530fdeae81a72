//! RFC 6186 SRV records: `_imaps._tcp`, `_imap._tcp`, `_pop3s._tcp`, `_pop3._tcp`,
//! `_submissions._tcp` (RFC 8314) and `_submission._tcp`.
//!
//! What must hold: a target of "." means the service is not offered and is never chosen; among
//! the rest the lowest priority wins, then the highest weight, then implicit TLS over STARTTLS
//! (RFC 8314 prefers it); IMAP is chosen over POP3 whatever their priorities, as the other
//! sources do.

use std::net::SocketAddr;

use super::dns::{self, DnsError, Record, RecordType};
use super::{Protocol, Security, ServerSetting};

const SERVICES: [(&str, Protocol, Security); 6] = [
    ("_imaps._tcp", Protocol::Imap, Security::Implicit),
    ("_imap._tcp", Protocol::Imap, Security::StartTls),
    ("_pop3s._tcp", Protocol::Pop3, Security::Implicit),
    ("_pop3._tcp", Protocol::Pop3, Security::StartTls),
    ("_submissions._tcp", Protocol::Smtp, Security::Implicit),
    ("_submission._tcp", Protocol::Smtp, Security::StartTls),
];

/// One usable SRV answer, with what it sorts by.
#[derive(Debug, Clone)]
struct Offered {
    priority: u16,
    weight: u16,
    setting: ServerSetting,
}

/// Asks for all six services at once; `Ok(None)` when they do not give an incoming server and
/// a submission server. The settings' `user` is left empty.
pub async fn lookup(
    server: SocketAddr,
    domain: &str,
) -> Result<Option<(ServerSetting, ServerSetting)>, DnsError> {
    let asks = SERVICES
        .iter()
        .map(|&(service, protocol, security)| async move {
            let name = format!("{service}.{domain}");
            let answer = dns::query(server, &name, RecordType::Srv).await?;
            Ok::<_, DnsError>(offered(answer.records(), protocol, security, &name))
        });
    let mut all = Vec::new();
    let mut first_error = None;
    for result in futures::future::join_all(asks).await {
        match result {
            Ok(found) => all.extend(found),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    let chosen = choose(&all);
    match (chosen, first_error) {
        (None, Some(e)) if all.is_empty() => Err(e),
        (chosen, _) => Ok(chosen),
    }
}

fn offered(
    records: Vec<Record>,
    protocol: Protocol,
    security: Security,
    name: &str,
) -> Vec<Offered> {
    records
        .into_iter()
        .filter_map(|r| match r {
            Record::Srv {
                priority,
                weight,
                port,
                target,
            } if !target.is_empty() && port != 0 => Some(Offered {
                priority,
                weight,
                setting: ServerSetting {
                    protocol,
                    host: target.to_ascii_lowercase(),
                    port,
                    security,
                    user: String::new(),
                    oauth2: false,
                    source: format!("the SRV record {name}"),
                },
            }),
            _ => None,
        })
        .collect()
}

fn best(all: &[Offered], protocol: Protocol) -> Option<ServerSetting> {
    all.iter()
        .filter(|o| o.setting.protocol == protocol)
        .min_by_key(|o| {
            (
                o.priority,
                std::cmp::Reverse(o.weight),
                o.setting.security != Security::Implicit,
            )
        })
        .map(|o| o.setting.clone())
}

fn choose(all: &[Offered]) -> Option<(ServerSetting, ServerSetting)> {
    let incoming = best(all, Protocol::Imap).or_else(|| best(all, Protocol::Pop3))?;
    let outgoing = best(all, Protocol::Smtp)?;
    Some((incoming, outgoing))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn srv(priority: u16, weight: u16, port: u16, target: &str) -> Record {
        Record::Srv {
            priority,
            weight,
            port,
            target: target.to_owned(),
        }
    }

    #[test]
    fn priority_then_weight_and_dot_means_not_offered() {
        let mut all = offered(
            vec![srv(0, 0, 993, "")],
            Protocol::Imap,
            Security::Implicit,
            "_imaps._tcp.x.org",
        );
        all.extend(offered(
            vec![srv(5, 1, 143, "a.x.org"), srv(5, 9, 143, "b.x.org")],
            Protocol::Imap,
            Security::StartTls,
            "_imap._tcp.x.org",
        ));
        all.extend(offered(
            vec![srv(0, 0, 995, "pop.x.org")],
            Protocol::Pop3,
            Security::Implicit,
            "_pop3s._tcp.x.org",
        ));
        assert!(choose(&all).is_none(), "no submission: nothing");
        all.extend(offered(
            vec![srv(1, 0, 587, "smtp.x.org"), srv(0, 0, 465, "smtps.x.org")],
            Protocol::Smtp,
            Security::StartTls,
            "_submission._tcp.x.org",
        ));
        let (incoming, outgoing) = choose(&all).expect("both");
        assert_eq!((incoming.host.as_str(), incoming.port), ("b.x.org", 143));
        assert_eq!(incoming.security, Security::StartTls);
        assert_eq!(outgoing.host, "smtps.x.org");
    }
}

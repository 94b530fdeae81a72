//! Test hooks: the only place discovery reads the environment. Not for users (and not in the
//! user docs): they let the integration tests point discovery at local servers.
//!
//! - `POSTIE_DNS_SERVER=127.0.0.1:PORT`: ask this nameserver instead of /etc/resolv.conf's,
//!   and resolve guessed host names through it too (so a guess never leaves the test).
//! - `POSTIE_AUTOCONFIG_BASE=http://127.0.0.1:PORT`: fetch both autoconfig paths
//!   (`/mail/config-v1.1.xml`, `/.well-known/autoconfig/mail/config-v1.1.xml`) from this server
//!   instead of `autoconfig.DOMAIN` and `DOMAIN`; no plain-http round after it.
//! - `POSTIE_DISCOVER_PORTS=imaps=N,imap=N,submissions=N,submission=N,pop3s=N,pop3=N`: the
//!   ports a guess is checked on (and written with) instead of the standard ones, since the
//!   test servers listen on high ports.

use std::collections::HashMap;
use std::net::SocketAddr;

/// `POSTIE_DNS_SERVER`, when set to an address.
pub fn dns_server() -> Option<SocketAddr> {
    std::env::var("POSTIE_DNS_SERVER").ok()?.parse().ok()
}

/// `POSTIE_AUTOCONFIG_BASE`, when set and not empty.
pub fn autoconfig_base() -> Option<String> {
    std::env::var("POSTIE_AUTOCONFIG_BASE")
        .ok()
        .filter(|s| !s.is_empty())
}

/// `POSTIE_DISCOVER_PORTS`, parsed (empty when unset).
pub fn probe_ports() -> HashMap<String, u16> {
    std::env::var("POSTIE_DISCOVER_PORTS")
        .map(|text| super::probe::parse_port_map(&text))
        .unwrap_or_default()
}

//! TCP and TLS connections: rustls with the system roots plus an optional extra CA.

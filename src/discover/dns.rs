//! A small DNS client for discovery: SRV, MX and A questions over UDP, retried over TCP when
//! the answer comes back truncated.
//!
//! Why our own: discovery needs three record types and nothing else, and a resolver crate would
//! be the heaviest dependency in the tree for it. The nameserver is the first `nameserver` of
//! /etc/resolv.conf, or the test hook `POSTIE_DNS_SERVER` (see [`super::hooks`]).
//!
//! What must hold: the answer is server input, so every read is bounds-checked
//! ([`parse_answer`] never panics and never loops: a compression pointer must point backwards,
//! and a name has at most 255 bytes); an answer whose id or question does not match ours is
//! ignored; every exchange ends within [`QUERY_TIMEOUT`].

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long one question may take, UDP and TCP retry together.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(5);

/// The record types discovery asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordType {
    A,
    Mx,
    Srv,
}

impl RecordType {
    fn code(self) -> u16 {
        match self {
            RecordType::A => 1,
            RecordType::Mx => 15,
            RecordType::Srv => 33,
        }
    }
}

/// One answer record of the type asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    A(Ipv4Addr),
    Mx {
        preference: u16,
        exchange: String,
    },
    Srv {
        priority: u16,
        weight: u16,
        port: u16,
        /// Without the trailing dot; "" (the root, ".") means "not offered" (RFC 2782).
        target: String,
    },
}

/// Why a question got no usable answer.
#[derive(Debug, thiserror::Error)]
pub enum DnsError {
    #[error("no nameserver (none in /etc/resolv.conf)")]
    NoNameserver,
    #[error("cannot ask the nameserver {server}")]
    Io {
        server: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("the nameserver {server} did not answer within {} s", QUERY_TIMEOUT.as_secs())]
    Timeout { server: SocketAddr },
    #[error("the nameserver sent a malformed answer ({0})")]
    Malformed(&'static str),
    #[error("the nameserver failed (rcode {0})")]
    ServerFailure(u8),
}

/// The answer to one question: `NxDomain` is a real "no such name", apart from an empty answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Records(Vec<Record>),
    NxDomain,
}

impl Answer {
    /// The records, or none for NXDOMAIN.
    pub fn records(self) -> Vec<Record> {
        match self {
            Answer::Records(r) => r,
            Answer::NxDomain => Vec::new(),
        }
    }
}

/// The nameserver to ask: the test hook, else the first of /etc/resolv.conf.
pub fn nameserver() -> Result<SocketAddr, DnsError> {
    if let Some(server) = super::hooks::dns_server() {
        return Ok(server);
    }
    let text = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    first_nameserver(&text).ok_or(DnsError::NoNameserver)
}

/// The first `nameserver ADDR` line of a resolv.conf, port 53.
pub fn first_nameserver(resolv_conf: &str) -> Option<SocketAddr> {
    resolv_conf.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        if words.next() != Some("nameserver") {
            return None;
        }
        let addr: std::net::IpAddr = words.next()?.parse().ok()?;
        Some(SocketAddr::new(addr, 53))
    })
}

/// Asks `server` for `name`'s records of type `kind`: UDP first, TCP when the reply is truncated.
pub async fn query(server: SocketAddr, name: &str, kind: RecordType) -> Result<Answer, DnsError> {
    match tokio::time::timeout(QUERY_TIMEOUT, exchange(server, name, kind)).await {
        Ok(result) => result,
        Err(_) => Err(DnsError::Timeout { server }),
    }
}

async fn exchange(server: SocketAddr, name: &str, kind: RecordType) -> Result<Answer, DnsError> {
    let id = query_id();
    let question = encode_query(id, name, kind)?;
    let io = |source| DnsError::Io { server, source };
    let bind: SocketAddr = if server.is_ipv4() {
        "0.0.0.0:0".parse().expect("a literal address")
    } else {
        "[::]:0".parse().expect("a literal address")
    };
    let socket = tokio::net::UdpSocket::bind(bind).await.map_err(io)?;
    socket.connect(server).await.map_err(io)?;
    socket.send(&question).await.map_err(io)?;
    let mut buf = vec![0u8; 4096];
    loop {
        let n = socket.recv(&mut buf).await.map_err(io)?;
        match parse_answer(&buf[..n], id, name, kind) {
            Ok(Parsed::Truncated) => return query_tcp(server, &question, id, name, kind).await,
            Ok(Parsed::Answer(answer)) => return answer,
            // Not the answer to our question (a late reply, a spoof): keep waiting.
            Err(Mismatch) => continue,
        }
    }
}

async fn query_tcp(
    server: SocketAddr,
    question: &[u8],
    id: u16,
    name: &str,
    kind: RecordType,
) -> Result<Answer, DnsError> {
    let io = |source| DnsError::Io { server, source };
    let mut stream = tokio::net::TcpStream::connect(server).await.map_err(io)?;
    let mut framed = Vec::with_capacity(question.len() + 2);
    framed.extend_from_slice(&(question.len() as u16).to_be_bytes());
    framed.extend_from_slice(question);
    stream.write_all(&framed).await.map_err(io)?;
    let mut len = [0u8; 2];
    stream.read_exact(&mut len).await.map_err(io)?;
    let mut reply = vec![0u8; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut reply).await.map_err(io)?;
    match parse_answer(&reply, id, name, kind) {
        Ok(Parsed::Answer(answer)) => answer,
        Ok(Parsed::Truncated) => Err(DnsError::Malformed("truncated over TCP")),
        Err(Mismatch) => Err(DnsError::Malformed("the answer is to another question")),
    }
}

fn query_id() -> u16 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    (nanos ^ std::process::id()) as u16
}

/// A query message: header (recursion desired) and one question of class IN.
pub fn encode_query(id: u16, name: &str, kind: RecordType) -> Result<Vec<u8>, DnsError> {
    let mut out = Vec::with_capacity(name.len() + 18);
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    encode_name(name, &mut out)?;
    out.extend_from_slice(&kind.code().to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    Ok(out)
}

fn encode_name(name: &str, out: &mut Vec<u8>) -> Result<(), DnsError> {
    let name = name.trim_end_matches('.');
    if name.len() > 253 {
        return Err(DnsError::Malformed("name longer than 253 bytes"));
    }
    for label in name.split('.').filter(|l| !l.is_empty()) {
        if label.len() > 63 {
            return Err(DnsError::Malformed("label longer than 63 bytes"));
        }
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    Ok(())
}

/// What a datagram turned out to be.
#[derive(Debug)]
pub enum Parsed {
    /// The TC bit: ask again over TCP.
    Truncated,
    Answer(Result<Answer, DnsError>),
}

/// The datagram is not a reply to our question.
#[derive(Debug)]
pub struct Mismatch;

/// Parses a reply to the question (`id`, `name`, `kind`); records of other types (a CNAME on
/// the way) are skipped.
pub fn parse_answer(msg: &[u8], id: u16, name: &str, kind: RecordType) -> Result<Parsed, Mismatch> {
    let mut r = Reader { msg, pos: 0 };
    let header = (|| Some((r.u16()?, r.u16()?, r.u16()?, r.u16()?)))().ok_or(Mismatch)?;
    let (reply_id, flags, qdcount, ancount) = header;
    if reply_id != id || flags & 0x8000 == 0 || qdcount != 1 {
        return Err(Mismatch);
    }
    r.pos = 12;
    let qname = r.name().ok_or(Mismatch)?;
    let (qtype, _qclass) = (r.u16().ok_or(Mismatch)?, r.u16().ok_or(Mismatch)?);
    if !qname.eq_ignore_ascii_case(name.trim_end_matches('.')) || qtype != kind.code() {
        return Err(Mismatch);
    }
    if flags & 0x0200 != 0 {
        return Ok(Parsed::Truncated);
    }
    match (flags & 0x000f) as u8 {
        0 => {}
        3 => return Ok(Parsed::Answer(Ok(Answer::NxDomain))),
        rcode => return Ok(Parsed::Answer(Err(DnsError::ServerFailure(rcode)))),
    }
    let mut records = Vec::new();
    for _ in 0..ancount {
        match r.record(kind) {
            Some(Some(record)) => records.push(record),
            Some(None) => {}
            None => {
                return Ok(Parsed::Answer(Err(DnsError::Malformed(
                    "an answer record runs past the end",
                ))));
            }
        }
    }
    Ok(Parsed::Answer(Ok(Answer::Records(records))))
}

struct Reader<'a> {
    msg: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn u8(&mut self) -> Option<u8> {
        let b = *self.msg.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from(self.u8()?) << 8 | u16::from(self.u8()?))
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from(self.u16()?) << 16 | u32::from(self.u16()?))
    }

    /// A possibly compressed name at the cursor; the cursor moves past its in-place part.
    /// Pointers must point strictly backwards, so a loop is impossible.
    fn name(&mut self) -> Option<String> {
        let mut labels: Vec<String> = Vec::new();
        let mut total = 0usize;
        let mut pos = self.pos;
        let mut resume = None;
        loop {
            let len = *self.msg.get(pos)?;
            match len & 0xc0 {
                0x00 if len == 0 => {
                    pos += 1;
                    break;
                }
                0x00 => {
                    let label = self.msg.get(pos + 1..pos + 1 + usize::from(len))?;
                    total += label.len() + 1;
                    if total > 255 {
                        return None;
                    }
                    labels.push(String::from_utf8_lossy(label).into_owned());
                    pos += 1 + usize::from(len);
                }
                0xc0 => {
                    let low = *self.msg.get(pos + 1)?;
                    let target = usize::from(len & 0x3f) << 8 | usize::from(low);
                    if target >= pos {
                        return None;
                    }
                    resume.get_or_insert(pos + 2);
                    pos = target;
                }
                _ => return None,
            }
        }
        self.pos = resume.unwrap_or(pos);
        Some(labels.join("."))
    }

    /// One resource record: `Some(None)` for a record of another type (skipped).
    fn record(&mut self, kind: RecordType) -> Option<Option<Record>> {
        self.name()?;
        let rtype = self.u16()?;
        let _class = self.u16()?;
        let _ttl = self.u32()?;
        let rdlength = usize::from(self.u16()?);
        let start = self.pos;
        let end = start.checked_add(rdlength)?;
        if end > self.msg.len() {
            return None;
        }
        let record = if rtype != kind.code() {
            None
        } else {
            match kind {
                RecordType::A if rdlength == 4 => {
                    let b = &self.msg[start..end];
                    Some(Record::A(Ipv4Addr::new(b[0], b[1], b[2], b[3])))
                }
                RecordType::A => return None,
                RecordType::Mx => {
                    let preference = self.u16()?;
                    let exchange = self.name()?;
                    Some(Record::Mx {
                        preference,
                        exchange,
                    })
                }
                RecordType::Srv => {
                    let priority = self.u16()?;
                    let weight = self.u16()?;
                    let port = self.u16()?;
                    let target = self.name()?;
                    Some(Record::Srv {
                        priority,
                        weight,
                        port,
                        target,
                    })
                }
            }
        };
        if self.pos > end {
            return None;
        }
        self.pos = end;
        Some(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(id: u16, flags: u16, name: &str, kind: RecordType, answers: &[Vec<u8>]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&id.to_be_bytes());
        out.extend_from_slice(&flags.to_be_bytes());
        out.extend_from_slice(&[0, 1]);
        out.extend_from_slice(&(answers.len() as u16).to_be_bytes());
        out.extend_from_slice(&[0, 0, 0, 0]);
        encode_name(name, &mut out).expect("name");
        out.extend_from_slice(&kind.code().to_be_bytes());
        out.extend_from_slice(&[0, 1]);
        for a in answers {
            out.extend_from_slice(a);
        }
        out
    }

    fn rr(rtype: u16, rdata: &[u8]) -> Vec<u8> {
        // The owner name is a pointer to the question's name at offset 12.
        let mut out = vec![0xc0, 12];
        out.extend_from_slice(&rtype.to_be_bytes());
        out.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
        out.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        out.extend_from_slice(rdata);
        out
    }

    fn answer(parsed: Result<Parsed, Mismatch>) -> Answer {
        match parsed {
            Ok(Parsed::Answer(Ok(a))) => a,
            other => panic!("not an answer: {other:?}"),
        }
    }

    #[test]
    fn srv_with_a_compressed_target_and_a_cname_skipped() {
        let name = "_imaps._tcp.example.org";
        let mut srv = vec![0, 10, 0, 5, 0x03, 0xe1];
        // target "imap" + pointer to "example.org" inside the question (offset 12 + 12).
        srv.extend_from_slice(&[4, b'i', b'm', b'a', b'p', 0xc0, 24]);
        let cname = rr(5, &[0xc0, 12]);
        let msg = reply(7, 0x8180, name, RecordType::Srv, &[cname, rr(33, &srv)]);
        let records = answer(parse_answer(&msg, 7, name, RecordType::Srv)).records();
        assert_eq!(
            records,
            vec![Record::Srv {
                priority: 10,
                weight: 5,
                port: 993,
                target: "imap.example.org".into()
            }]
        );
    }

    #[test]
    fn nxdomain_truncation_and_foreign_replies_are_told_apart() {
        let name = "example.org";
        let nx = reply(1, 0x8183, name, RecordType::Mx, &[]);
        assert_eq!(
            answer(parse_answer(&nx, 1, name, RecordType::Mx)),
            Answer::NxDomain
        );
        let tc = reply(1, 0x8380, name, RecordType::Mx, &[]);
        assert!(matches!(
            parse_answer(&tc, 1, name, RecordType::Mx),
            Ok(Parsed::Truncated)
        ));
        assert!(parse_answer(&nx, 2, name, RecordType::Mx).is_err());
        assert!(parse_answer(&nx, 1, "other.org", RecordType::Mx).is_err());
        assert!(parse_answer(&nx, 1, name, RecordType::A).is_err());
    }

    #[test]
    fn hostile_answers_never_panic_or_loop() {
        let name = "example.org";
        // A pointer to itself, and one pointing forwards.
        let looping = rr(15, &[0, 1, 0xc0, 0xff]);
        let msg = reply(3, 0x8180, name, RecordType::Mx, &[looping]);
        assert!(matches!(
            parse_answer(&msg, 3, name, RecordType::Mx),
            Ok(Parsed::Answer(Err(_)))
        ));
        let full = reply(
            3,
            0x8180,
            name,
            RecordType::Mx,
            &[rr(15, &[0, 1, 4, b'm', b'a', b'i', b'l', 0xc0, 12])],
        );
        for cut in 0..full.len() {
            let _ = parse_answer(&full[..cut], 3, name, RecordType::Mx);
        }
        let mut claims_more = full.clone();
        claims_more[7] = 200;
        assert!(matches!(
            parse_answer(&claims_more, 3, name, RecordType::Mx),
            Ok(Parsed::Answer(Err(_)))
        ));
    }

    #[test]
    fn resolv_conf_first_nameserver() {
        let text = "# c\nsearch x\nnameserver 10.0.0.2\nnameserver 10.0.0.3\n";
        assert_eq!(
            first_nameserver(text),
            Some("10.0.0.2:53".parse().expect("addr"))
        );
        assert_eq!(first_nameserver("search x\n"), None);
    }
}

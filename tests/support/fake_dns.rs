//! A fake DNS server for discovery tests: UDP and TCP on one 127.0.0.1 port, answering A, MX
//! and SRV questions from a table, NXDOMAIN for names it does not know, and a truncated UDP
//! answer (TC bit, no records) for names marked so, which it answers in full over TCP only.
//!
//! Point postie at it with `POSTIE_DNS_SERVER=ADDR` (the test hook of `src/discover/hooks.rs`).

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// One record to answer with.
#[derive(Debug, Clone)]
pub enum Rr {
    A([u8; 4]),
    Mx(u16, String),
    /// priority, weight, port, target ("." or "": not offered).
    Srv(u16, u16, u16, String),
}

impl Rr {
    fn code(&self) -> u16 {
        match self {
            Rr::A(_) => 1,
            Rr::Mx(..) => 15,
            Rr::Srv(..) => 33,
        }
    }
}

#[derive(Default)]
struct Zone {
    records: HashMap<String, Vec<Rr>>,
    truncated: HashSet<String>,
}

/// The running server; it lives as long as the test process.
pub struct FakeDns {
    pub addr: SocketAddr,
    zone: Arc<Mutex<Zone>>,
    tcp_queries: Arc<AtomicUsize>,
}

impl FakeDns {
    /// Starts the server (UDP and TCP on the same port).
    pub fn start() -> FakeDns {
        let (udp, tcp) = loop {
            let udp = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
            let addr = udp.local_addr().expect("udp addr");
            if let Ok(tcp) = TcpListener::bind(addr) {
                break (udp, tcp);
            }
        };
        let addr = udp.local_addr().expect("udp addr");
        let zone = Arc::new(Mutex::new(Zone::default()));
        let tcp_queries = Arc::new(AtomicUsize::new(0));
        let z = zone.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 1500];
            while let Ok((n, peer)) = udp.recv_from(&mut buf) {
                if let Some(reply) = answer(&z, &buf[..n], true) {
                    let _ = udp.send_to(&reply, peer);
                }
            }
        });
        let z = zone.clone();
        let count = tcp_queries.clone();
        std::thread::spawn(move || {
            for stream in tcp.incoming() {
                let Ok(mut stream) = stream else { continue };
                count.fetch_add(1, Ordering::SeqCst);
                let mut len = [0u8; 2];
                if stream.read_exact(&mut len).is_err() {
                    continue;
                }
                let mut query = vec![0u8; usize::from(u16::from_be_bytes(len))];
                if stream.read_exact(&mut query).is_err() {
                    continue;
                }
                if let Some(reply) = answer(&z, &query, false) {
                    let mut framed = (reply.len() as u16).to_be_bytes().to_vec();
                    framed.extend_from_slice(&reply);
                    let _ = stream.write_all(&framed);
                }
            }
        });
        FakeDns {
            addr,
            zone,
            tcp_queries,
        }
    }

    /// Adds a record for `name` (any case, no trailing dot).
    pub fn add(&self, name: &str, rr: Rr) -> &Self {
        self.zone
            .lock()
            .expect("zone")
            .records
            .entry(name.to_ascii_lowercase())
            .or_default()
            .push(rr);
        self
    }

    /// Makes UDP answers for `name` truncated (TC set, no records).
    pub fn truncate_over_udp(&self, name: &str) -> &Self {
        self.zone
            .lock()
            .expect("zone")
            .truncated
            .insert(name.to_ascii_lowercase());
        self
    }

    /// How many TCP connections it has answered.
    pub fn tcp_queries(&self) -> usize {
        self.tcp_queries.load(Ordering::SeqCst)
    }
}

fn read_name(msg: &[u8], mut pos: usize) -> Option<(String, usize)> {
    let mut labels = Vec::new();
    loop {
        let len = usize::from(*msg.get(pos)?);
        pos += 1;
        if len == 0 {
            return Some((labels.join("."), pos));
        }
        labels.push(String::from_utf8_lossy(msg.get(pos..pos + len)?).to_ascii_lowercase());
        pos += len;
    }
}

fn write_name(name: &str, out: &mut Vec<u8>) {
    for label in name
        .trim_end_matches('.')
        .split('.')
        .filter(|l| !l.is_empty())
    {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
}

fn answer(zone: &Mutex<Zone>, query: &[u8], udp: bool) -> Option<Vec<u8>> {
    let (name, end) = read_name(query, 12)?;
    let qtype = u16::from_be_bytes([*query.get(end)?, *query.get(end + 1)?]);
    let question = query.get(12..end + 4)?;
    let zone = zone.lock().expect("zone");
    let known = zone.records.get(&name);
    let truncated = udp && zone.truncated.contains(&name);
    let records: Vec<&Rr> = if truncated {
        Vec::new()
    } else {
        known
            .map(|rs| rs.iter().filter(|r| r.code() == qtype).collect())
            .unwrap_or_default()
    };
    let mut flags: u16 = 0x8180;
    if truncated {
        flags |= 0x0200;
    } else if known.is_none() {
        flags |= 3;
    }
    let mut out = Vec::new();
    out.extend_from_slice(&query[0..2]);
    out.extend_from_slice(&flags.to_be_bytes());
    out.extend_from_slice(&[0, 1]);
    out.extend_from_slice(&(records.len() as u16).to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(question);
    for rr in records {
        out.extend_from_slice(&[0xc0, 12]);
        out.extend_from_slice(&rr.code().to_be_bytes());
        out.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
        let mut data = Vec::new();
        match rr {
            Rr::A(ip) => data.extend_from_slice(ip),
            Rr::Mx(pref, host) => {
                data.extend_from_slice(&pref.to_be_bytes());
                write_name(host, &mut data);
            }
            Rr::Srv(prio, weight, port, target) => {
                data.extend_from_slice(&prio.to_be_bytes());
                data.extend_from_slice(&weight.to_be_bytes());
                data.extend_from_slice(&port.to_be_bytes());
                write_name(target, &mut data);
            }
        }
        out.extend_from_slice(&(data.len() as u16).to_be_bytes());
        out.extend_from_slice(&data);
    }
    Some(out)
}

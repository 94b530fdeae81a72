//! A small scripted IMAP server on 127.0.0.1 (plain TCP, so the account needs `tls = "none"`
//! and `allow_plaintext = true`), for what Dovecot in the harness will not do: here, a
//! hierarchy delimiter of `.` with a folder whose name holds a literal `/` (issue 12, item 5).
//!
//! It speaks just enough IMAP4rev1 + MOVE + UIDPLUS for postie's sync, replay and reads:
//! CAPABILITY, LOGIN, LIST, SELECT/EXAMINE, UID FETCH (envelopes, flags, bodies), UID SEARCH
//! (ALL, HEADER Message-ID), UID STORE, UID MOVE (with COPYUID), UID EXPUNGE, CREATE, NOOP,
//! LOGOUT. Every command line received is recorded (see [`FakeImap::commands`]). One thread
//! per connection; the mailboxes are shared, so a test can look at them between runs.
//!
//! [`Quirks`] make it behave like servers other than Dovecot (issue 15): tagged replies ending
//! in a bare LF (GNU Mailutils), no UIDPLUS and no MOVE (Mailutils, Cyrus with extensions
//! off: moves are COPY + \Deleted + a plain EXPUNGE, which also takes whatever else is
//! marked \Deleted), FETCH answers for messages not asked for, folders only under `INBOX.`
//! (Courier).

// A test fixture: a poisoned lock or a missing mailbox is a bug in the test, so it panics.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// One message: UID, flags, bytes (CRLF line ends).
#[derive(Debug, Clone)]
pub struct FakeMessage {
    pub uid: u32,
    pub flags: Vec<String>,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct FakeMailbox {
    pub uidvalidity: u32,
    pub uidnext: u32,
    pub messages: Vec<FakeMessage>,
    /// `\Noselect`: listed as a hierarchy node only.
    pub noselect: bool,
    /// A special-use attribute LIST shows (`\All`, `\Sent`, ...), if any.
    pub special_use: Option<&'static str>,
}

/// Ways this server departs from Dovecot's habits.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quirks {
    /// Tagged replies end in a bare LF instead of CRLF.
    pub bare_lf: bool,
    /// No UIDPLUS and no MOVE in CAPABILITY; `UID EXPUNGE` and `UID MOVE` answer BAD.
    pub no_uidplus: bool,
    /// Every UID FETCH of bodies also answers with the mailbox's first message (not asked
    /// for, unless it was) and repeats the last one it sends.
    pub extra_fetch: bool,
    /// Like Courier: personal folders only under `INBOX.`; CREATE of any other name is
    /// refused ("Invalid mailbox name").
    pub inbox_namespace: bool,
}

#[derive(Debug, Default)]
struct State {
    quirks: Quirks,
    delimiter: char,
    mailboxes: BTreeMap<String, FakeMailbox>,
    commands: Vec<String>,
}

/// The server; it runs until the test process ends.
#[derive(Clone)]
pub struct FakeImap {
    pub port: u16,
    state: Arc<Mutex<State>>,
}

/// A minimal RFC 5322 message with a Message-ID and a Subject.
pub fn message(message_id: &str, subject: &str) -> Vec<u8> {
    format!(
        "From: Sender <s@x.test>\r\nTo: me@x.test\r\nSubject: {subject}\r\n\
         Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <{message_id}>\r\n\r\n\
         body of {subject}\r\n"
    )
    .into_bytes()
}

impl FakeImap {
    /// Starts a server with hierarchy delimiter `delimiter` and no mailboxes but INBOX.
    pub fn start(delimiter: char) -> FakeImap {
        Self::start_with(delimiter, Quirks::default())
    }

    /// The same, with `quirks`.
    pub fn start_with(delimiter: char, quirks: Quirks) -> FakeImap {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State {
            quirks,
            delimiter,
            ..State::default()
        }));
        let server = FakeImap { port, state };
        server.add_mailbox("INBOX", 1);
        let s = server.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { return };
                let s = s.clone();
                std::thread::spawn(move || s.serve(conn));
            }
        });
        server
    }

    pub fn add_mailbox(&self, name: &str, uidvalidity: u32) {
        self.state.lock().unwrap().mailboxes.insert(
            name.to_owned(),
            FakeMailbox {
                uidvalidity,
                uidnext: 1,
                messages: Vec::new(),
                noselect: false,
                special_use: None,
            },
        );
    }

    /// Marks a mailbox with a special-use attribute (`\All` for Gmail's All Mail).
    pub fn set_special_use(&self, name: &str, attribute: &'static str) {
        let mut st = self.state.lock().unwrap();
        st.mailboxes.get_mut(name).unwrap().special_use = Some(attribute);
    }

    pub fn add_node(&self, name: &str) {
        self.add_mailbox(name, 1);
        self.state
            .lock()
            .unwrap()
            .mailboxes
            .get_mut(name)
            .unwrap()
            .noselect = true;
    }

    /// Appends a message to `mailbox`; returns its UID.
    pub fn add_message(&self, mailbox: &str, bytes: Vec<u8>) -> u32 {
        let mut st = self.state.lock().unwrap();
        let mb = st.mailboxes.get_mut(mailbox).unwrap();
        let uid = mb.uidnext;
        mb.uidnext += 1;
        mb.messages.push(FakeMessage {
            uid,
            flags: Vec::new(),
            bytes,
        });
        uid
    }

    /// Sets flags on a message, as another client would.
    pub fn set_flags(&self, mailbox: &str, uid: u32, flags: &[&str]) {
        let mut st = self.state.lock().unwrap();
        let m = st.mailboxes.get_mut(mailbox).unwrap();
        let m = m.messages.iter_mut().find(|m| m.uid == uid).unwrap();
        m.flags = flags.iter().map(|f| (*f).to_owned()).collect();
    }

    /// A copy of one mailbox.
    pub fn mailbox(&self, name: &str) -> FakeMailbox {
        self.state.lock().unwrap().mailboxes[name].clone()
    }

    /// Every command line received so far (LOGIN's password masked).
    pub fn commands(&self) -> Vec<String> {
        self.state.lock().unwrap().commands.clone()
    }

    fn serve(&self, conn: TcpStream) {
        let mut out = conn.try_clone().unwrap();
        let mut reader = BufReader::new(conn);
        let caps = self.capabilities();
        let _ = out.write_all(format!("* OK [CAPABILITY {caps}] fake ready\r\n").as_bytes());
        let mut selected: Option<String> = None;
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let line = line.trim_end_matches(['\r', '\n']).to_owned();
            let (tag, rest) = line.split_once(' ').unwrap_or((line.as_str(), ""));
            let shown = if rest.to_ascii_uppercase().starts_with("LOGIN") {
                "LOGIN ***".to_owned()
            } else {
                rest.to_owned()
            };
            self.state.lock().unwrap().commands.push(shown);
            let mut reply = self.answer(tag, rest, &mut selected);
            if self.state.lock().unwrap().quirks.bare_lf && reply.ends_with(b"\r\n") {
                reply.remove(reply.len() - 2);
            }
            if out.write_all(&reply).is_err() {
                return;
            }
            if rest.eq_ignore_ascii_case("LOGOUT") {
                return;
            }
        }
    }

    fn capabilities(&self) -> &'static str {
        if self.state.lock().unwrap().quirks.no_uidplus {
            "IMAP4rev1"
        } else {
            "IMAP4rev1 MOVE UIDPLUS"
        }
    }

    fn answer(&self, tag: &str, rest: &str, selected: &mut Option<String>) -> Vec<u8> {
        let caps = self.capabilities();
        let mut st = self.state.lock().unwrap();
        let (verb, args) = rest.split_once(' ').unwrap_or((rest, ""));
        let verb = verb.to_ascii_uppercase();
        let mut out = Vec::new();
        let ok = |out: &mut Vec<u8>, text: &str| {
            out.extend_from_slice(format!("{tag} OK {text}\r\n").as_bytes());
        };
        match verb.as_str() {
            "CAPABILITY" => {
                out.extend_from_slice(format!("* CAPABILITY {caps}\r\n").as_bytes());
                ok(&mut out, "done");
            }
            "LOGIN" | "NOOP" | "CHECK" => ok(&mut out, "done"),
            "EXPUNGE" => {
                let Some(name) = selected.clone() else {
                    out.extend_from_slice(format!("{tag} BAD nothing selected\r\n").as_bytes());
                    return out;
                };
                let mb = st.mailboxes.get_mut(&name).unwrap();
                expunge(mb, |m| m.flags.iter().any(|f| f == "\\Deleted"), &mut out);
                ok(&mut out, "expunged");
            }
            "LOGOUT" => {
                out.extend_from_slice(b"* BYE bye\r\n");
                ok(&mut out, "done");
            }
            "LIST" => {
                let d = st.delimiter;
                for (name, mb) in &st.mailboxes {
                    let attrs = if mb.noselect {
                        "\\Noselect \\HasChildren".to_owned()
                    } else {
                        match mb.special_use {
                            Some(special) => format!("\\HasNoChildren {special}"),
                            None => "\\HasNoChildren".to_owned(),
                        }
                    };
                    out.extend_from_slice(
                        format!("* LIST ({attrs}) \"{d}\" {}\r\n", quote(name)).as_bytes(),
                    );
                }
                ok(&mut out, "done");
            }
            "CREATE" => {
                let name = unquote(args);
                if st.quirks.inbox_namespace && !name.starts_with("INBOX.") {
                    out.extend_from_slice(format!("{tag} NO Invalid mailbox name.\r\n").as_bytes());
                    return out;
                }
                let next = st.mailboxes.len() as u32 + 100;
                st.mailboxes.entry(name).or_insert(FakeMailbox {
                    uidvalidity: next,
                    uidnext: 1,
                    messages: Vec::new(),
                    noselect: false,
                    special_use: None,
                });
                ok(&mut out, "created");
            }
            "SELECT" | "EXAMINE" => {
                let name = unquote(args);
                match st.mailboxes.get(&name).filter(|m| !m.noselect) {
                    Some(mb) => {
                        out.extend_from_slice(
                            format!(
                                "* {} EXISTS\r\n* 0 RECENT\r\n* FLAGS (\\Seen \\Flagged \\Deleted)\r\n\
                                 * OK [UIDVALIDITY {}] v\r\n* OK [UIDNEXT {}] n\r\n",
                                mb.messages.len(),
                                mb.uidvalidity,
                                mb.uidnext
                            )
                            .as_bytes(),
                        );
                        *selected = Some(name);
                        ok(&mut out, "[READ-WRITE] selected");
                    }
                    None => {
                        *selected = None;
                        out.extend_from_slice(format!("{tag} NO no such mailbox\r\n").as_bytes());
                    }
                }
            }
            "UID" => {
                let Some(name) = selected.clone() else {
                    out.extend_from_slice(format!("{tag} BAD nothing selected\r\n").as_bytes());
                    return out;
                };
                let (sub, args) = args.split_once(' ').unwrap_or((args, ""));
                let sub = sub.to_ascii_uppercase();
                if st.quirks.no_uidplus && (sub == "EXPUNGE" || sub == "MOVE") {
                    out.extend_from_slice(format!("{tag} BAD unknown command\r\n").as_bytes());
                    return out;
                }
                match sub.as_str() {
                    "FETCH" => {
                        fetch(&st.mailboxes[&name], args, &mut out);
                        let extra = st.quirks.extra_fetch && args.contains("BODY.PEEK[]");
                        if let (true, Some(first)) = (extra, st.mailboxes[&name].messages.first()) {
                            // The first message, asked for or not, and the last line again.
                            let one = format!("{} BODY.PEEK[]", first.uid);
                            fetch(&st.mailboxes[&name], &one, &mut out);
                            if let Some(last) = st.mailboxes[&name].messages.last() {
                                let one = format!("{} BODY.PEEK[]", last.uid);
                                fetch(&st.mailboxes[&name], &one, &mut out);
                            }
                        }
                        ok(&mut out, "fetched");
                    }
                    "SEARCH" => {
                        let mb = &st.mailboxes[&name];
                        let upper = args.to_ascii_uppercase();
                        let found: Vec<String> = mb
                            .messages
                            .iter()
                            .filter(|m| {
                                upper == "ALL"
                                    || upper == "DELETED"
                                        && m.flags.iter().any(|f| f == "\\Deleted")
                                    || upper.starts_with("HEADER MESSAGE-ID")
                                        && args.split_once('"').is_some_and(|(_, v)| {
                                            let needle = v.trim_end_matches('"');
                                            String::from_utf8_lossy(&m.bytes).contains(needle)
                                        })
                            })
                            .map(|m| m.uid.to_string())
                            .collect();
                        out.extend_from_slice(
                            format!("* SEARCH {}\r\n", found.join(" ")).as_bytes(),
                        );
                        ok(&mut out, "searched");
                    }
                    "STORE" => {
                        let (set, change) = args.split_once(' ').unwrap_or((args, ""));
                        let flags: Vec<String> = change
                            .split_once('(')
                            .map(|(_, f)| f.trim_end_matches(')'))
                            .unwrap_or("")
                            .split_whitespace()
                            .map(str::to_owned)
                            .collect();
                        let mb = st.mailboxes.get_mut(&name).unwrap();
                        for m in mb.messages.iter_mut().filter(|m| in_set(set, m.uid)) {
                            if change.starts_with('-') {
                                m.flags.retain(|f| !flags.contains(f));
                            } else {
                                for f in &flags {
                                    if !m.flags.contains(f) {
                                        m.flags.push(f.clone());
                                    }
                                }
                            }
                        }
                        ok(&mut out, "stored");
                    }
                    "EXPUNGE" => {
                        let mb = st.mailboxes.get_mut(&name).unwrap();
                        let set = args.to_owned();
                        expunge(
                            mb,
                            |m| in_set(&set, m.uid) && m.flags.iter().any(|f| f == "\\Deleted"),
                            &mut out,
                        );
                        ok(&mut out, "expunged");
                    }
                    "COPY" | "MOVE" => {
                        let moving = sub == "MOVE";
                        let (set, dest) = args.split_once(' ').unwrap_or((args, ""));
                        let dest = unquote(dest);
                        if st.mailboxes.get(&dest).is_none_or(|m| m.noselect) {
                            out.extend_from_slice(
                                format!("{tag} NO [TRYCREATE] no such mailbox\r\n").as_bytes(),
                            );
                            return out;
                        }
                        let chosen: Vec<FakeMessage> = st.mailboxes[&name]
                            .messages
                            .iter()
                            .filter(|m| in_set(set, m.uid))
                            .cloned()
                            .collect();
                        let uidplus = !st.quirks.no_uidplus;
                        let (mut from, mut to) = (Vec::new(), Vec::new());
                        let target = st.mailboxes.get_mut(&dest).unwrap();
                        for mut m in chosen {
                            from.push(m.uid.to_string());
                            m.uid = target.uidnext;
                            target.uidnext += 1;
                            to.push(m.uid.to_string());
                            target.messages.push(m);
                        }
                        let validity = target.uidvalidity;
                        if uidplus && !from.is_empty() {
                            out.extend_from_slice(
                                format!(
                                    "* OK [COPYUID {validity} {} {}] done\r\n",
                                    from.join(","),
                                    to.join(",")
                                )
                                .as_bytes(),
                            );
                        }
                        if moving {
                            let mb = st.mailboxes.get_mut(&name).unwrap();
                            let set = set.to_owned();
                            expunge(mb, |m| in_set(&set, m.uid), &mut out);
                        }
                        ok(&mut out, if moving { "moved" } else { "copied" });
                    }
                    _ => out.extend_from_slice(format!("{tag} BAD unknown\r\n").as_bytes()),
                }
            }
            _ => out.extend_from_slice(format!("{tag} BAD unknown\r\n").as_bytes()),
        }
        out
    }
}

/// Removes the messages `gone` picks, reporting `* n EXPUNGE` (highest sequence first).
fn expunge(mb: &mut FakeMailbox, gone: impl Fn(&FakeMessage) -> bool, out: &mut Vec<u8>) {
    let seqs: Vec<usize> = (0..mb.messages.len())
        .filter(|&i| gone(&mb.messages[i]))
        .collect();
    for &i in seqs.iter().rev() {
        mb.messages.remove(i);
        out.extend_from_slice(format!("* {} EXPUNGE\r\n", i + 1).as_bytes());
    }
}

fn fetch(mb: &FakeMailbox, args: &str, out: &mut Vec<u8>) {
    let (set, items) = args.split_once(' ').unwrap_or((args, ""));
    let items = items.to_ascii_uppercase();
    for (i, m) in mb.messages.iter().enumerate() {
        if !in_set(set, m.uid) {
            continue;
        }
        let mut line = format!(
            "* {} FETCH (UID {} FLAGS ({})",
            i + 1,
            m.uid,
            m.flags.join(" ")
        );
        let text = String::from_utf8_lossy(&m.bytes).into_owned();
        let header = |name: &str| -> Option<String> {
            text.lines()
                .find(|l| {
                    l.to_ascii_lowercase()
                        .starts_with(&format!("{}:", name.to_ascii_lowercase()))
                })
                .map(|l| l[name.len() + 1..].trim().to_owned())
        };
        if items.contains("ENVELOPE") {
            let q = |v: Option<String>| v.map(|s| quote(&s)).unwrap_or_else(|| "NIL".into());
            line.push_str(&format!(
                " INTERNALDATE \"01-Jan-2024 10:00:00 +0000\" RFC822.SIZE {} ENVELOPE ({} {} \
                 ((\"Sender\" NIL \"s\" \"x.test\")) NIL NIL ((NIL NIL \"me\" \"x.test\")) NIL NIL \
                 NIL {})",
                m.bytes.len(),
                q(header("Date")),
                q(header("Subject")),
                q(header("Message-ID")),
            ));
            if items.contains("BODYSTRUCTURE") {
                line.push_str(&format!(
                    " BODYSTRUCTURE (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" {} 1)",
                    m.bytes.len()
                ));
            }
            line.push_str(" BODY[HEADER.FIELDS (REFERENCES IN-REPLY-TO LIST-ID)] {2}\r\n\r\n)\r\n");
            out.extend_from_slice(line.as_bytes());
        } else if items.contains("BODY.PEEK[]") {
            line.push_str(&format!(
                " INTERNALDATE \"01-Jan-2024 10:00:00 +0000\" BODY[] {{{}}}\r\n",
                m.bytes.len()
            ));
            out.extend_from_slice(line.as_bytes());
            out.extend_from_slice(&m.bytes);
            out.extend_from_slice(b")\r\n");
        } else {
            line.push_str(")\r\n");
            out.extend_from_slice(line.as_bytes());
        }
    }
}

/// Whether `uid` is in an IMAP UID set (`1:5,7,9:*`).
fn in_set(set: &str, uid: u32) -> bool {
    set.split(',').any(|part| match part.split_once(':') {
        Some((a, b)) => {
            let lo: u32 = a.parse().unwrap_or(u32::MAX);
            let hi: u32 = if b == "*" {
                u32::MAX
            } else {
                b.parse().unwrap_or(0)
            };
            let (lo, hi) = (lo.min(hi), lo.max(hi));
            (lo..=hi).contains(&uid)
        }
        None => part.parse::<u32>() == Ok(uid),
    })
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    match s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => s.to_owned(),
    }
}

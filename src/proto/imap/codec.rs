//! Pure helpers for the IMAP client: quoting, UID sets, modified UTF-7 mailbox names, dates,
//! folder roles, and turning imap-proto's borrowed values into our owned records.
//!
//! No IO and no session state here, so everything is unit-tested with literals.

use std::ops::RangeInclusive;

use async_imap::imap_proto::rfc4315::UidSetMember;
use async_imap::imap_proto::{
    self, AttributeValue, BodyStructure, ContentDisposition, ContentType, NameAttribute,
};
use base64::Engine as _;
use chrono::{DateTime, FixedOffset};

use super::error::ImapError;
use super::types::{Address, BodyPart, EnvelopeRecord, Folder, FolderRole};

/// An IMAP quoted string. Refuses CR, LF and NUL, which no quoted string may hold (sending
/// them would let an argument end the command early).
pub fn quote(s: &str) -> Result<String, ImapError> {
    if s.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
        return Err(ImapError::InvalidArgument {
            reason: format!("{s:?} holds a line break or NUL"),
        });
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    Ok(out)
}

/// A compact UID set (`1:5,7,9:10`) from UIDs in any order; duplicates are merged.
pub fn uid_set(uids: &[u32]) -> Result<String, ImapError> {
    if uids.is_empty() || uids.contains(&0) {
        return Err(ImapError::InvalidArgument {
            reason: "a UID set must hold at least one UID, and UIDs start at 1".into(),
        });
    }
    let mut sorted = uids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = String::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    Ok(out)
}

/// imap-proto's UID set members (APPENDUID/COPYUID) as plain ranges.
pub fn uid_ranges(members: &[UidSetMember]) -> Vec<RangeInclusive<u32>> {
    members
        .iter()
        .map(|m| match m {
            UidSetMember::Uid(u) => *u..=*u,
            UidSetMember::UidRange(r) => r.clone(),
        })
        .collect()
}

/// Expands ranges to single UIDs (for a small set such as a COPYUID result).
pub fn expand(ranges: &[RangeInclusive<u32>]) -> Vec<u32> {
    ranges.iter().flat_map(|r| r.clone()).collect()
}

fn mutf7_engine() -> base64::engine::GeneralPurpose {
    base64::engine::GeneralPurpose::new(
        &base64::alphabet::IMAP_MUTF7,
        base64::engine::GeneralPurposeConfig::new()
            .with_encode_padding(false)
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    )
}

/// Decodes an IMAP modified UTF-7 mailbox name (RFC 3501 5.1.3). A malformed name is returned
/// as it is: a display name that looks odd beats failing the whole folder list.
pub fn decode_mailbox_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let Some(dash) = after.find('-') else {
            return name.to_owned();
        };
        let encoded = &after[..dash];
        if encoded.is_empty() {
            out.push('&');
        } else {
            let Ok(bytes) = mutf7_engine().decode(encoded) else {
                return name.to_owned();
            };
            if bytes.len() % 2 != 0 {
                return name.to_owned();
            }
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            match String::from_utf16(&units) {
                Ok(s) => out.push_str(&s),
                Err(_) => return name.to_owned(),
            }
        }
        rest = &after[dash + 1..];
    }
    out.push_str(rest);
    out
}

/// Encodes a UTF-8 folder name to modified UTF-7, for creating or renaming folders from what a
/// user typed. Names from LIST are already encoded: pass those as they are.
pub fn encode_mailbox_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u16> = Vec::new();
    let flush = |pending: &mut Vec<u16>, out: &mut String| {
        if !pending.is_empty() {
            let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
            out.push('&');
            out.push_str(&mutf7_engine().encode(bytes));
            out.push('-');
            pending.clear();
        }
    };
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut pending, &mut out);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut buf = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush(&mut pending, &mut out);
    out
}

/// Parses an INTERNALDATE (`25-Nov-2026 18:27:37 +0000`; the day may be space-padded).
pub fn parse_internal_date(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_str(s.trim(), "%d-%b-%Y %H:%M:%S %z").ok()
}

/// Formats a date for APPEND (`date-time` of RFC 3501).
pub fn format_internal_date(date: &DateTime<FixedOffset>) -> String {
    date.format("\"%d-%b-%Y %H:%M:%S %z\"").to_string()
}

/// A parenthesized flag list for STORE/APPEND. Flags must be atoms (`\Seen`, `$Label1`).
pub fn flag_list(flags: &[String]) -> Result<String, ImapError> {
    for f in flags {
        let body = f.strip_prefix('\\').unwrap_or(f);
        let ok = !body.is_empty()
            && body.bytes().all(|b| {
                b.is_ascii_graphic()
                    && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']')
            });
        if !ok {
            return Err(ImapError::InvalidArgument {
                reason: format!("{f:?} is not a valid IMAP flag"),
            });
        }
    }
    Ok(format!("({})", flags.join(" ")))
}

/// Whether a tagged NO's text marks a condition that may clear by itself (RFC 5530 codes).
pub fn is_temporary(text: &str) -> bool {
    let upper = text.to_ascii_uppercase();
    ["[INUSE]", "[UNAVAILABLE]", "[LIMIT]", "[SERVERBUG]"]
        .iter()
        .any(|code| upper.contains(code))
}

fn attribute_text(a: &NameAttribute<'_>) -> String {
    match a {
        NameAttribute::NoInferiors => "\\Noinferiors".into(),
        NameAttribute::NoSelect => "\\Noselect".into(),
        NameAttribute::Marked => "\\Marked".into(),
        NameAttribute::Unmarked => "\\Unmarked".into(),
        NameAttribute::All => "\\All".into(),
        NameAttribute::Archive => "\\Archive".into(),
        NameAttribute::Drafts => "\\Drafts".into(),
        NameAttribute::Flagged => "\\Flagged".into(),
        NameAttribute::Junk => "\\Junk".into(),
        NameAttribute::Sent => "\\Sent".into(),
        NameAttribute::Trash => "\\Trash".into(),
        NameAttribute::Extension(s) => s.to_string(),
        _ => String::new(),
    }
}

/// A [`Folder`] from one LIST entry (role from the SPECIAL-USE attribute only; see
/// [`assign_roles`] for the name fallback).
pub fn folder_from_list(data: &imap_proto::MailboxListData<'_>) -> Folder {
    let attributes: Vec<String> = data
        .name_attributes
        .iter()
        .map(attribute_text)
        .filter(|a| !a.is_empty())
        .collect();
    let name = if data.name.eq_ignore_ascii_case("INBOX") {
        "INBOX".to_owned()
    } else {
        data.name.to_string()
    };
    let selectable = !attributes
        .iter()
        .any(|a| a.eq_ignore_ascii_case("\\Noselect") || a.eq_ignore_ascii_case("\\NonExistent"));
    Folder {
        display_name: decode_mailbox_name(&name),
        delimiter: data.delimiter.as_ref().and_then(|d| d.chars().next()),
        role: role_from_attributes(&attributes),
        attributes,
        name,
        selectable,
    }
}

/// The SPECIAL-USE role among a folder's attributes (RFC 6154).
pub fn role_from_attributes(attributes: &[String]) -> Option<FolderRole> {
    attributes
        .iter()
        .find_map(|a| match a.to_ascii_lowercase().as_str() {
            "\\sent" => Some(FolderRole::Sent),
            "\\drafts" => Some(FolderRole::Drafts),
            "\\trash" => Some(FolderRole::Trash),
            "\\junk" => Some(FolderRole::Junk),
            "\\archive" => Some(FolderRole::Archive),
            "\\all" => Some(FolderRole::All),
            "\\flagged" => Some(FolderRole::Flagged),
            _ => None,
        })
}

/// The role a folder's name suggests, for servers without SPECIAL-USE (or folders it does not
/// mark). Looks at the last hierarchy level, so `INBOX.Sent` and `[Gmail]/Sent Mail` match.
pub fn role_from_name(name: &str, delimiter: Option<char>) -> Option<FolderRole> {
    if name.eq_ignore_ascii_case("INBOX") {
        return Some(FolderRole::Inbox);
    }
    let leaf = match delimiter {
        Some(d) => name.rsplit(d).next().unwrap_or(name),
        None => name,
    };
    let leaf = decode_mailbox_name(leaf).to_lowercase();
    const NAMES: &[(FolderRole, &[&str])] = &[
        (
            FolderRole::Sent,
            &[
                "sent",
                "sent items",
                "sent messages",
                "sent mail",
                "sent-mail",
                "outbox sent",
                "gesendet",
                "gesendete elemente",
                "gesendete objekte",
                "envoyés",
                "éléments envoyés",
                "enviados",
                "elementos enviados",
                "posta inviata",
            ],
        ),
        (
            FolderRole::Drafts,
            &[
                "drafts",
                "draft",
                "entwürfe",
                "brouillons",
                "borradores",
                "bozze",
            ],
        ),
        (
            FolderRole::Trash,
            &[
                "trash",
                "deleted items",
                "deleted messages",
                "deleted",
                "bin",
                "papierkorb",
                "gelöschte elemente",
                "corbeille",
                "papelera",
                "cestino",
            ],
        ),
        (
            FolderRole::Junk,
            &[
                "junk",
                "spam",
                "junk e-mail",
                "junk email",
                "junk mail",
                "bulk mail",
                "spamverdacht",
            ],
        ),
        (FolderRole::Archive, &["archive", "archives", "archiv"]),
    ];
    NAMES
        .iter()
        .find(|(_, names)| names.contains(&leaf.as_str()))
        .map(|(role, _)| *role)
}

/// Gives every folder its role: SPECIAL-USE attributes first; then, for each role no folder
/// holds yet, the first selectable folder whose name matches (a top-level one before a nested
/// one). A role is given to one folder only, so "Sent" never ends up in two places.
pub fn assign_roles(folders: &mut [Folder]) {
    let mut taken: Vec<FolderRole> = folders.iter().filter_map(|f| f.role).collect();
    for f in folders.iter_mut() {
        if f.name == "INBOX" && f.role.is_none() {
            f.role = Some(FolderRole::Inbox);
            taken.push(FolderRole::Inbox);
        }
    }
    let depth = |f: &Folder| match f.delimiter {
        Some(d) => f.name.matches(d).count(),
        None => 0,
    };
    let mut order: Vec<usize> = (0..folders.len()).collect();
    order.sort_by_key(|&i| depth(&folders[i]));
    for i in order {
        let f = &folders[i];
        if f.role.is_some() || !f.selectable {
            continue;
        }
        if let Some(role) = role_from_name(&f.name, f.delimiter)
            && !taken.contains(&role)
        {
            taken.push(role);
            folders[i].role = Some(role);
        }
    }
}

fn bytes(v: &Option<std::borrow::Cow<'_, [u8]>>) -> Option<Vec<u8>> {
    v.as_ref().map(|c| c.to_vec())
}

fn addresses(list: &Option<Vec<imap_proto::Address<'_>>>) -> Vec<Address> {
    list.iter()
        .flatten()
        .map(|a| Address {
            name: bytes(&a.name),
            mailbox: bytes(&a.mailbox),
            host: bytes(&a.host),
        })
        .collect()
}

fn param(params: &imap_proto::BodyParams<'_>, key: &str) -> Option<String> {
    params
        .iter()
        .flatten()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.to_string())
}

fn leaf(
    section: String,
    ty: &ContentType<'_>,
    disposition: &Option<ContentDisposition<'_>>,
    other: &imap_proto::BodyContentSinglePart<'_>,
) -> BodyPart {
    let filename = disposition
        .as_ref()
        .and_then(|d| param(&d.params, "filename"))
        .or_else(|| param(&ty.params, "name"));
    BodyPart {
        section,
        mime_type: format!("{}/{}", ty.ty, ty.subtype).to_ascii_lowercase(),
        size: other.octets,
        encoding: encoding_text(&other.transfer_encoding),
        charset: param(&ty.params, "charset"),
        disposition: disposition.as_ref().map(|d| d.ty.to_ascii_lowercase()),
        filename,
        content_id: other.id.as_ref().map(|s| s.to_string()),
    }
}

fn encoding_text(e: &imap_proto::ContentEncoding<'_>) -> String {
    use imap_proto::ContentEncoding as E;
    match e {
        E::SevenBit => "7bit".into(),
        E::EightBit => "8bit".into(),
        E::Binary => "binary".into(),
        E::Base64 => "base64".into(),
        E::QuotedPrintable => "quoted-printable".into(),
        E::Other(s) => s.to_ascii_lowercase(),
    }
}

/// Flattens BODYSTRUCTURE into its leaf parts with IMAP section numbers. An attached
/// message (`message/rfc822`) is one leaf: fetch it whole, its inner parts are not listed.
pub fn flatten_parts(body: &BodyStructure<'_>) -> Vec<BodyPart> {
    let mut out = Vec::new();
    walk(body, "", &mut out);
    out
}

fn walk(body: &BodyStructure<'_>, prefix: &str, out: &mut Vec<BodyPart>) {
    // A single part at the top level is section 1 (RFC 3501 6.4.5).
    let own = if prefix.is_empty() {
        "1".to_owned()
    } else {
        prefix.to_owned()
    };
    match body {
        BodyStructure::Basic { common, other, .. }
        | BodyStructure::Text { common, other, .. }
        | BodyStructure::Message { common, other, .. } => {
            out.push(leaf(own, &common.ty, &common.disposition, other));
        }
        BodyStructure::Multipart { bodies, .. } => {
            for (i, part) in bodies.iter().enumerate() {
                let section = if prefix.is_empty() {
                    (i + 1).to_string()
                } else {
                    format!("{prefix}.{}", i + 1)
                };
                walk(part, &section, out);
            }
        }
    }
}

/// Collects one FETCH response of the envelope fetch into a record; None without a UID
/// (an unsolicited FETCH of flags for another message, handled by the caller).
pub fn envelope_record(attrs: &[AttributeValue<'_>]) -> Option<EnvelopeRecord> {
    let mut rec = EnvelopeRecord {
        uid: 0,
        flags: Vec::new(),
        internal_date: None,
        size: 0,
        modseq: None,
        date: None,
        subject: None,
        from: Vec::new(),
        sender: Vec::new(),
        reply_to: Vec::new(),
        to: Vec::new(),
        cc: Vec::new(),
        bcc: Vec::new(),
        in_reply_to: None,
        message_id: None,
        thread_headers: Vec::new(),
        parts: Vec::new(),
    };
    let mut has_envelope = false;
    for a in attrs {
        match a {
            AttributeValue::Uid(u) => rec.uid = *u,
            AttributeValue::Flags(f) => rec.flags = f.iter().map(|s| s.to_string()).collect(),
            AttributeValue::InternalDate(d) => rec.internal_date = parse_internal_date(d),
            AttributeValue::Rfc822Size(s) => rec.size = *s,
            AttributeValue::ModSeq(m) => rec.modseq = Some(*m),
            AttributeValue::Envelope(e) => {
                has_envelope = true;
                rec.date = bytes(&e.date);
                rec.subject = bytes(&e.subject);
                rec.from = addresses(&e.from);
                rec.sender = addresses(&e.sender);
                rec.reply_to = addresses(&e.reply_to);
                rec.to = addresses(&e.to);
                rec.cc = addresses(&e.cc);
                rec.bcc = addresses(&e.bcc);
                rec.in_reply_to = bytes(&e.in_reply_to);
                rec.message_id = bytes(&e.message_id);
            }
            AttributeValue::BodyStructure(b) => rec.parts = flatten_parts(b),
            AttributeValue::BodySection { data, .. } => {
                rec.thread_headers = data.as_ref().map(|d| d.to_vec()).unwrap_or_default();
            }
            _ => {}
        }
    }
    (rec.uid != 0 && has_envelope).then_some(rec)
}

/// UID, FLAGS and MODSEQ of a FETCH response, if it carries flags.
pub fn flag_update(
    attrs: &[AttributeValue<'_>],
) -> (Option<u32>, Option<Vec<String>>, Option<u64>) {
    let mut uid = None;
    let mut flags = None;
    let mut modseq = None;
    for a in attrs {
        match a {
            AttributeValue::Uid(u) => uid = Some(*u),
            AttributeValue::Flags(f) => flags = Some(f.iter().map(|s| s.to_string()).collect()),
            AttributeValue::ModSeq(m) => modseq = Some(*m),
            _ => {}
        }
    }
    (uid, flags, modseq)
}

#[cfg(test)]
#[path = "codec_tests.rs"]
mod tests;

//! Conversions from the store's and the mail layer's values to the UI's plain types, and the
//! list order (threads, sort keys) the UI pages through.
//!
//! Pure functions: no store, no IO. What must hold: every message of a list appears exactly
//! once in its order, roots carry the number of messages in their thread, and a message is
//! never dropped because a header is missing or malformed.

use std::cmp::Ordering;

use crate::mail::compose::{Draft as MailDraft, Mailbox};
use crate::mail::{self, Flag, ParsedMessage, ThreadInput};
use crate::store::{self, MessageSummary};
use crate::ui::{self, Row, Sort, SortKey, SpecialUse, ThreadPos};

/// A message's UI id from its store id (decimal, as the CLI prints ids).
pub fn ui_id(id: store::MessageId) -> ui::MessageId {
    ui::MessageId(id.to_string())
}

/// The store id behind a UI id; `None` for anything the app did not hand out.
pub fn store_id(id: &ui::MessageId) -> Option<store::MessageId> {
    id.0.parse().ok()
}

/// The special-use role the store recorded (from the server, or guessed from the name).
pub fn special_use(role: Option<&str>, name: &str) -> Option<SpecialUse> {
    let role = role.or_else(|| store::guess_role(name))?;
    Some(match role {
        "inbox" => SpecialUse::Inbox,
        "outbox" => SpecialUse::Outbox,
        "drafts" => SpecialUse::Drafts,
        "sent" => SpecialUse::Sent,
        "archive" => SpecialUse::Archive,
        "all" => SpecialUse::All,
        "flagged" => SpecialUse::Flagged,
        "junk" => SpecialUse::Junk,
        "trash" => SpecialUse::Trash,
        _ => return None,
    })
}

pub fn folder_info(f: &store::FolderInfo) -> ui::FolderInfo {
    ui::FolderInfo {
        name: f.name.clone(),
        special: special_use(f.role.as_deref(), &f.name),
        total: f.total,
        unread: f.unread,
    }
}

pub fn flags_to_ui(f: &mail::Flags) -> ui::Flags {
    ui::Flags {
        seen: f.contains(Flag::Seen),
        answered: f.contains(Flag::Answered),
        flagged: f.contains(Flag::Flagged),
        deleted: f.contains(Flag::Deleted),
        draft: f.contains(Flag::Draft),
    }
}

/// The flags set in `f`, as the store's flag names.
pub fn flag_list(f: ui::Flags) -> Vec<Flag> {
    let mut out = Vec::new();
    for (on, flag) in [
        (f.seen, Flag::Seen),
        (f.answered, Flag::Answered),
        (f.flagged, Flag::Flagged),
        (f.deleted, Flag::Deleted),
        (f.draft, Flag::Draft),
    ] {
        if on {
            out.push(flag);
        }
    }
    out
}

/// The name part of a display form (`Zoë <z@x>` -> `Zoë`), else the address.
pub fn display_name(form: &str) -> String {
    match form.rfind('<') {
        Some(open) if open > 0 => {
            let name = form[..open].trim().trim_matches('"').trim();
            if name.is_empty() {
                form[open + 1..].trim_end_matches('>').to_owned()
            } else {
                name.to_owned()
            }
        }
        Some(open) => form[open + 1..].trim_end_matches('>').to_owned(),
        None => form.trim().to_owned(),
    }
}

pub fn row(m: &MessageSummary, pos: ThreadPos) -> Row {
    Row {
        id: ui_id(m.id),
        folder: ui::FolderRef::new(&m.account, &m.folder),
        date: m.date.unwrap_or(0),
        from: m.from.first().map(|f| display_name(f)).unwrap_or_default(),
        subject: m.subject.clone(),
        flags: flags_to_ui(&m.flags),
        // The index does not record MIME structure; the message view lists attachments.
        has_attachments: false,
        has_body: m.has_body,
        size: m.size,
        thread: pos,
    }
}

/// The subject without reply and forward prefixes, lowercased: the subject sort key.
fn subject_key(s: &str) -> String {
    let mut s = s.trim();
    loop {
        let lower = s.to_ascii_lowercase();
        let cut = ["re:", "fwd:", "fw:", "aw:", "sv:"]
            .iter()
            .find(|p| lower.starts_with(*p))
            .map(|p| p.len());
        match cut {
            Some(n) => s = s[n..].trim_start(),
            None => return s.to_lowercase(),
        }
    }
}

/// The order of `a` before `b` for a sort key, before `reverse` is applied: newest first for
/// dates, A-Z for sender and subject, smallest first for size; ties by date, newest first.
fn compare(key: SortKey, a: &MessageSummary, b: &MessageSummary) -> Ordering {
    let by_date = || b.date.cmp(&a.date).then(b.id.cmp(&a.id));
    match key {
        SortKey::Date => by_date(),
        SortKey::Sender => {
            let k = |m: &MessageSummary| {
                m.from
                    .first()
                    .map(|f| display_name(f).to_lowercase())
                    .unwrap_or_default()
            };
            k(a).cmp(&k(b)).then_with(by_date)
        }
        SortKey::Subject => subject_key(&a.subject)
            .cmp(&subject_key(&b.subject))
            .then_with(by_date),
        SortKey::Size => a.size.cmp(&b.size).then_with(by_date),
    }
}

/// The list order of `msgs`: store ids with their thread positions, in display order. Threads
/// are ordered by their newest message (date) or their root (other keys); messages inside a
/// thread keep the threading order (depth first, oldest sibling first) whatever the sort.
pub fn order(msgs: &[MessageSummary], sort: Sort) -> Vec<(store::MessageId, ThreadPos)> {
    if !sort.threaded {
        let mut idx: Vec<usize> = (0..msgs.len()).collect();
        idx.sort_by(|&a, &b| compare(sort.key, &msgs[a], &msgs[b]));
        if sort.reverse {
            idx.reverse();
        }
        return idx
            .into_iter()
            .map(|i| (msgs[i].id, ThreadPos::default()))
            .collect();
    }
    let inputs: Vec<ThreadInput<'_>> = msgs
        .iter()
        .map(|m| ThreadInput {
            message_id: m.message_id.as_deref(),
            in_reply_to: &m.in_reply_to,
            references: &m.references,
            date: m.date,
        })
        .collect();
    let by_key = |a: usize, b: usize| compare(sort.key, &msgs[a], &msgs[b]);
    let root_order: Option<&dyn Fn(usize, usize) -> Ordering> =
        (sort.key != SortKey::Date).then_some(&by_key);
    let unread = |i: usize| !msgs[i].flags.contains(Flag::Seen);
    threaded(&inputs, |i| msgs[i].id, &unread, root_order, sort.reverse)
}

/// The date order of a folder from its thread keys alone (no full summaries): what a big
/// folder opens with. `keys` come newest first, as [`store::Store::thread_keys`] returns them.
pub fn order_by_date(
    keys: &[store::ThreadKey],
    threaded_list: bool,
    reverse: bool,
) -> Vec<(store::MessageId, ThreadPos)> {
    if !threaded_list {
        let mut out: Vec<_> = keys.iter().map(|k| (k.id, ThreadPos::default())).collect();
        if reverse {
            out.reverse();
        }
        return out;
    }
    let inputs: Vec<ThreadInput<'_>> = keys
        .iter()
        .map(|k| ThreadInput {
            message_id: k.message_id.as_deref(),
            in_reply_to: &k.in_reply_to,
            references: &k.references,
            date: k.date,
        })
        .collect();
    threaded(&inputs, |i| keys[i].id, &|i| keys[i].unread, None, reverse)
}

/// Threads `inputs` and flattens the threads into list order. `root_order`: how to order
/// threads by their roots (None: newest thread first, by its newest message). Each root
/// carries how many messages follow it in its thread and how many of those are unread
/// (`unread(i)`), so a collapsed thread shows both without the UI loading its rows.
fn threaded(
    inputs: &[ThreadInput<'_>],
    id_of: impl Fn(usize) -> store::MessageId,
    unread: &dyn Fn(usize) -> bool,
    root_order: Option<&dyn Fn(usize, usize) -> Ordering>,
    reverse: bool,
) -> Vec<(store::MessageId, ThreadPos)> {
    let mut threads = mail::thread(inputs);
    if let Some(cmp) = root_order {
        threads.sort_by(|a, b| match (a.lines.first(), b.lines.first()) {
            (Some(x), Some(y)) => cmp(x.index, y.index),
            _ => Ordering::Equal,
        });
    }
    if reverse {
        threads.reverse();
    }
    let mut out = Vec::with_capacity(inputs.len());
    for t in &threads {
        let start = out.len();
        for line in &t.lines {
            out.push((
                id_of(line.index),
                ThreadPos {
                    depth: line.depth.min(u16::MAX as usize) as u16,
                    last_sibling: false,
                    descendants: 0,
                    unread_descendants: 0,
                },
            ));
        }
        mark_last_siblings(&mut out[start..]);
        let unread_below = t.lines.iter().skip(1).filter(|l| unread(l.index)).count();
        if let Some((_, root)) = out.get_mut(start) {
            root.descendants = (t.lines.len().saturating_sub(1)).min(u32::MAX as usize) as u32;
            root.unread_descendants = unread_below.min(u32::MAX as usize) as u32;
        }
    }
    out
}

/// Sets `last_sibling` on one thread's lines (depth-first order): a line is the last of its
/// siblings when no line of the same depth follows before one of a smaller depth.
fn mark_last_siblings(lines: &mut [(store::MessageId, ThreadPos)]) {
    // Walking backwards, `follows[d]` says a sibling at depth d comes later under the same
    // parent; reaching a shallower line ends every deeper sibling run.
    let mut follows: Vec<bool> = Vec::new();
    for (_, pos) in lines.iter_mut().rev() {
        let d = pos.depth as usize;
        if follows.len() <= d {
            follows.resize(d + 1, false);
        }
        pos.last_sibling = !follows[d];
        follows[d] = true;
        follows.truncate(d + 1);
    }
}

/// A date as the message view shows it (RFC 2822 in the message's own zone).
pub fn date_text(date: Option<i64>, tz_minutes: i32) -> String {
    let Some(secs) = date else {
        return String::new();
    };
    let offset =
        chrono::FixedOffset::east_opt(tz_minutes * 60).or_else(|| chrono::FixedOffset::east_opt(0));
    match (chrono::DateTime::from_timestamp(secs, 0), offset) {
        (Some(utc), Some(off)) => utc.with_timezone(&off).to_rfc2822(),
        _ => String::new(),
    }
}

/// The headers the message view shows, in order, empty ones left out.
pub fn headers(env: &mail::Envelope) -> Vec<(String, String)> {
    let list = |a: &[mail::Address]| mail::envelope::format_addresses(a);
    let mut out = vec![
        ("From".to_owned(), list(&env.from)),
        ("To".to_owned(), list(&env.to)),
        ("Cc".to_owned(), list(&env.cc)),
        ("Reply-To".to_owned(), list(&env.reply_to)),
        (
            "Date".to_owned(),
            date_text(env.date, env.tz_offset_minutes),
        ),
        ("Subject".to_owned(), env.subject.clone()),
    ];
    out.retain(|(_, v)| !v.is_empty());
    out
}

/// The headers of a message of which only the envelope is stored.
pub fn summary_headers(m: &MessageSummary) -> Vec<(String, String)> {
    let mut out = vec![
        ("From".to_owned(), m.from.join(", ")),
        ("To".to_owned(), m.to.join(", ")),
        ("Cc".to_owned(), m.cc.join(", ")),
        ("Date".to_owned(), date_text(m.date, m.tz_offset_minutes)),
        ("Subject".to_owned(), m.subject.clone()),
    ];
    out.retain(|(_, v)| !v.is_empty());
    out
}

pub fn attachments(p: &ParsedMessage) -> Vec<ui::AttachmentInfo> {
    p.attachments
        .iter()
        .enumerate()
        .map(|(n, a)| ui::AttachmentInfo {
            part: n,
            name: a.name.clone(),
            mime: a.mime_type.clone(),
            size: a.size,
        })
        .collect()
}

/// `Name <addr>` (the name quoted when it holds specials), or the bare address.
pub fn mailbox_text(m: &Mailbox) -> String {
    match &m.name {
        Some(n) if n.contains([',', '"', '<', '>', ';', ':', '@']) => {
            format!(
                "\"{}\" <{}>",
                n.replace('\\', "\\\\").replace('"', "\\\""),
                m.addr
            )
        }
        Some(n) => format!("{n} <{}>", m.addr),
        None => m.addr.clone(),
    }
}

/// A mail-layer draft (a reply or forward the mail layer prepared) as the UI's draft.
/// Attachments of a forward become references to the original's parts, by position.
pub fn ui_draft(d: &MailDraft, account: &str, original: Option<&ui::MessageId>) -> ui::Draft {
    let texts = |v: &[Mailbox]| v.iter().map(mailbox_text).collect::<Vec<_>>();
    let attachments = match original {
        Some(id) => d
            .attachments
            .iter()
            .enumerate()
            .map(|(part, a)| ui::DraftAttachment::Part {
                message: id.clone(),
                part,
                name: a.file_name.clone(),
            })
            .collect(),
        None => Vec::new(),
    };
    ui::Draft {
        account: account.to_owned(),
        from: None,
        to: texts(&d.to),
        cc: texts(&d.cc),
        bcc: texts(&d.bcc),
        subject: d.subject.clone(),
        body: d.body.clone(),
        attachments,
        in_reply_to: d.in_reply_to.clone(),
        references: d.references.clone(),
        message_id: None,
        body_cursor: 0,
        pgp: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(id: i64, mid: &str, parent: Option<&str>, date: i64, from: &str) -> MessageSummary {
        MessageSummary {
            id,
            account: "a".into(),
            folder: "INBOX".into(),
            folder_id: 1,
            uid: None,
            uidl: None,
            date: Some(date),
            tz_offset_minutes: 0,
            from: vec![from.into()],
            to: vec![],
            cc: vec![],
            subject: format!("s{id}"),
            message_id: Some(mid.into()),
            in_reply_to: parent.map(|p| vec![p.to_string()]).unwrap_or_default(),
            references: parent.map(|p| vec![p.to_string()]).unwrap_or_default(),
            flags: mail::Flags::empty(),
            size: id as u64 * 10,
            has_body: true,
            file: None,
        }
    }

    #[test]
    fn threads_carry_depth_last_sibling_and_descendants() {
        // 1 <- 2, 1 <- 3 <- 4; 5 alone and newest.
        let msgs = vec![
            summary(1, "<1@x>", None, 100, "A <a@x>"),
            summary(2, "<2@x>", Some("<1@x>"), 200, "B <b@x>"),
            summary(3, "<3@x>", Some("<1@x>"), 300, "C <c@x>"),
            summary(4, "<4@x>", Some("<3@x>"), 400, "D <d@x>"),
            summary(5, "<5@x>", None, 500, "E <e@x>"),
        ];
        let o = order(&msgs, Sort::default());
        let ids: Vec<i64> = o.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, vec![5, 1, 2, 3, 4]);
        let pos: Vec<(u16, bool, u32)> = o
            .iter()
            .map(|(_, p)| (p.depth, p.last_sibling, p.descendants))
            .collect();
        assert_eq!(
            pos,
            vec![
                (0, true, 0),
                (0, true, 3),
                (1, false, 0),
                (1, true, 0),
                (2, true, 0)
            ]
        );
    }

    #[test]
    fn a_thread_root_counts_its_unread_replies_in_both_orders() {
        // 1 <- 2 (unread), 1 <- 3 (read) <- 4 (unread); 1 itself unread, 5 alone unread.
        let mut msgs = vec![
            summary(1, "<1@x>", None, 100, "A <a@x>"),
            summary(2, "<2@x>", Some("<1@x>"), 200, "B <b@x>"),
            summary(3, "<3@x>", Some("<1@x>"), 300, "C <c@x>"),
            summary(4, "<4@x>", Some("<3@x>"), 400, "D <d@x>"),
            summary(5, "<5@x>", None, 500, "E <e@x>"),
        ];
        msgs[2].flags = mail::Flags::from_flags(&[Flag::Seen]);
        let unread = |o: &[(store::MessageId, ThreadPos)]| -> Vec<(i64, u32)> {
            o.iter()
                .filter(|(_, p)| p.depth == 0)
                .map(|(id, p)| (*id, p.unread_descendants))
                .collect()
        };
        let full = order(&msgs, Sort::default());
        assert_eq!(
            unread(&full),
            vec![(5, 0), (1, 2)],
            "the root's own flag is not counted"
        );
        let keys: Vec<store::ThreadKey> = msgs.iter().rev().map(thread_key).collect();
        assert_eq!(unread(&order_by_date(&keys, true, false)), unread(&full));
        let by_sender = order(
            &msgs,
            Sort {
                key: SortKey::Sender,
                ..Sort::default()
            },
        );
        assert_eq!(unread(&by_sender), vec![(1, 2), (5, 0)]);
    }

    /// The index's thread key of a summary, as the store's thread-keys query gives it.
    fn thread_key(m: &store::MessageSummary) -> store::ThreadKey {
        store::ThreadKey {
            id: m.id,
            date: m.date,
            message_id: m.message_id.clone(),
            in_reply_to: m.in_reply_to.clone(),
            references: m.references.clone(),
            unread: !m.flags.contains(Flag::Seen),
        }
    }

    #[test]
    fn the_light_date_order_matches_the_full_one() {
        let msgs = vec![
            summary(5, "<5@x>", None, 500, "E <e@x>"),
            summary(4, "<4@x>", Some("<3@x>"), 400, "D <d@x>"),
            summary(3, "<3@x>", Some("<1@x>"), 300, "C <c@x>"),
            summary(2, "<2@x>", Some("<1@x>"), 200, "B <b@x>"),
            summary(1, "<1@x>", None, 100, "A <a@x>"),
        ];
        let keys: Vec<store::ThreadKey> = msgs.iter().map(thread_key).collect();
        for (threaded, reverse) in [(true, false), (true, true), (false, false), (false, true)] {
            let sort = Sort {
                key: SortKey::Date,
                reverse,
                threaded,
            };
            assert_eq!(order_by_date(&keys, threaded, reverse), order(&msgs, sort));
        }
    }

    #[test]
    fn flat_sorts_by_key_and_reverse() {
        let msgs = vec![
            summary(1, "<1@x>", None, 100, "Zed <z@x>"),
            summary(2, "<2@x>", None, 200, "amy <a@x>"),
            summary(3, "<3@x>", None, 300, "Bob <b@x>"),
        ];
        let ids = |key, reverse| {
            order(
                &msgs,
                Sort {
                    key,
                    reverse,
                    threaded: false,
                },
            )
            .into_iter()
            .map(|(id, _)| id)
            .collect::<Vec<_>>()
        };
        assert_eq!(ids(SortKey::Date, false), vec![3, 2, 1]);
        assert_eq!(ids(SortKey::Date, true), vec![1, 2, 3]);
        assert_eq!(ids(SortKey::Sender, false), vec![2, 3, 1]);
        assert_eq!(ids(SortKey::Size, false), vec![1, 2, 3]);
    }

    #[test]
    fn names_roles_and_flags_convert() {
        assert_eq!(display_name("\"Doe, J\" <j@x>"), "Doe, J");
        assert_eq!(display_name("<j@x>"), "j@x");
        assert_eq!(display_name("j@x"), "j@x");
        assert_eq!(special_use(None, "Sent"), Some(SpecialUse::Sent));
        assert_eq!(special_use(Some("trash"), "Bin"), Some(SpecialUse::Trash));
        assert_eq!(special_use(None, "Lists/Rust"), None);
        assert_eq!(subject_key("Re: FWD: Hello"), "hello");
        let f = flags_to_ui(&mail::Flags::from_flags(&[Flag::Seen, Flag::Answered]));
        assert!(f.seen && f.answered && !f.flagged);
        assert_eq!(flag_list(f), vec![Flag::Seen, Flag::Answered]);
        let m = Mailbox::new("j@x.test", Some("Doe, J")).unwrap();
        assert_eq!(mailbox_text(&m), "\"Doe, J\" <j@x.test>");
        assert_eq!(Mailbox::parse_list(&mailbox_text(&m)).unwrap(), vec![m]);
    }

    #[test]
    fn dates_show_in_the_messages_zone() {
        assert_eq!(
            date_text(Some(1_740_988_800), 60),
            "Mon, 3 Mar 2025 09:00:00 +0100"
        );
        assert_eq!(date_text(None, 0), "");
    }
}

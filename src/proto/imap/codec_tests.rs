use async_imap::imap_proto::{Response, ResponseCode};

use super::*;

fn parse(bytes: &[u8]) -> Response<'_> {
    let (rest, r) = Response::parse(bytes).unwrap();
    assert!(rest.is_empty(), "left over: {rest:?}");
    r
}

#[test]
fn quoting_escapes_and_refuses_line_breaks() {
    assert_eq!(quote("INBOX").unwrap(), "\"INBOX\"");
    assert_eq!(quote("a\"b\\c").unwrap(), "\"a\\\"b\\\\c\"");
    assert!(quote("evil\r\nA1 DELETE INBOX").is_err());
}

#[test]
fn uid_sets_are_compact() {
    assert_eq!(uid_set(&[5, 1, 2, 3, 7, 9, 10, 3]).unwrap(), "1:3,5,7,9:10");
    assert_eq!(uid_set(&[42]).unwrap(), "42");
    assert!(uid_set(&[]).is_err());
    assert!(uid_set(&[0]).is_err());
}

#[test]
fn appenduid_is_read_from_the_tagged_ok() {
    let r = parse(b"A0003 OK [APPENDUID 1700000000 4242] Append completed.\r\n");
    let Response::Done { outcome, .. } = r else {
        panic!("{r:?}")
    };
    let Some(ResponseCode::AppendUid(validity, uids)) = outcome.code else {
        panic!("no APPENDUID")
    };
    assert_eq!(validity, 1_700_000_000);
    assert_eq!(expand(&uid_ranges(&uids)), vec![4242]);
}

#[test]
fn copyuid_ranges_expand_in_order() {
    let r = parse(b"* OK [COPYUID 38505 304,319:320 3956:3958] Moved UIDs.\r\n");
    let Response::Data { outcome, .. } = r else {
        panic!("{r:?}")
    };
    let Some(ResponseCode::CopyUid(v, from, to)) = outcome.code else {
        panic!("no COPYUID")
    };
    assert_eq!(v, 38505);
    assert_eq!(expand(&uid_ranges(&from)), vec![304, 319, 320]);
    assert_eq!(expand(&uid_ranges(&to)), vec![3956, 3957, 3958]);
}

#[test]
fn vanished_earlier_parses_to_ranges() {
    let r = parse(b"* VANISHED (EARLIER) 41,43:116,118,120:211,214:540\r\n");
    let Response::Vanished { earlier, uids } = r else {
        panic!("{r:?}")
    };
    assert!(earlier);
    assert_eq!(
        uids,
        vec![41..=41, 43..=116, 118..=118, 120..=211, 214..=540]
    );
    let r = parse(b"* VANISHED 405\r\n");
    assert!(matches!(r, Response::Vanished { earlier: false, .. }));
}

#[test]
fn unsolicited_fetch_flags_with_modseq() {
    let r = parse(b"* 49 FETCH (UID 117 FLAGS (\\Seen \\Answered) MODSEQ (90060115194045001))\r\n");
    let Response::Fetch(seq, attrs) = r else {
        panic!("{r:?}")
    };
    assert_eq!(seq, 49);
    let (uid, flags, modseq) = flag_update(&attrs);
    assert_eq!(uid, Some(117));
    assert_eq!(flags.unwrap(), vec!["\\Seen", "\\Answered"]);
    assert_eq!(modseq, Some(90_060_115_194_045_001));
}

#[test]
fn envelope_fetch_response_becomes_a_record() {
    let raw = b"* 1 FETCH (UID 7 FLAGS (\\Seen) INTERNALDATE \" 5-Nov-2026 10:00:00 +0100\" \
RFC822.SIZE 1234 ENVELOPE (\"Thu, 5 Nov 2026 10:00:00 +0100\" \"=?utf-8?q?Gr=C3=BC=C3=9Fe?=\" \
((\"Alice\" NIL \"alice\" \"x.test\")) ((\"Alice\" NIL \"alice\" \"x.test\")) \
((\"Alice\" NIL \"alice\" \"x.test\")) ((NIL NIL \"bob\" \"y.test\")(\"Carol\" NIL \"carol\" \"y.test\")) \
NIL NIL \"<p@x.test>\" \"<m1@x.test>\") \
BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 20 1 NIL NIL NIL NIL)\
(\"application\" \"pdf\" (\"name\" \"a.pdf\") NIL NIL \"base64\" 400 NIL (\"attachment\" (\"filename\" \"a.pdf\")) NIL NIL) \
\"mixed\" (\"boundary\" \"b\") NIL NIL NIL) \
BODY[HEADER.FIELDS (REFERENCES IN-REPLY-TO LIST-ID)] {25}\r\nIn-Reply-To: <p@x.test>\r\n)\r\n";
    let r = parse(raw);
    let Response::Fetch(_, attrs) = r else {
        panic!("{r:?}")
    };
    let rec = envelope_record(&attrs).unwrap();
    assert_eq!(rec.uid, 7);
    assert_eq!(rec.flags, vec!["\\Seen"]);
    assert_eq!(rec.size, 1234);
    assert_eq!(
        rec.internal_date.unwrap().to_rfc3339(),
        "2026-11-05T10:00:00+01:00"
    );
    assert_eq!(
        rec.subject.as_deref(),
        Some(&b"=?utf-8?q?Gr=C3=BC=C3=9Fe?="[..])
    );
    assert_eq!(rec.from[0].mailbox.as_deref(), Some(&b"alice"[..]));
    assert_eq!(rec.to.len(), 2);
    assert_eq!(rec.to[1].name.as_deref(), Some(&b"Carol"[..]));
    assert_eq!(rec.message_id.as_deref(), Some(&b"<m1@x.test>"[..]));
    assert_eq!(rec.thread_headers, b"In-Reply-To: <p@x.test>\r\n");
    assert_eq!(rec.parts.len(), 2);
    assert_eq!(rec.parts[0].section, "1");
    assert_eq!(rec.parts[0].mime_type, "text/plain");
    assert_eq!(rec.parts[0].charset.as_deref(), Some("utf-8"));
    assert_eq!(rec.parts[1].section, "2");
    assert_eq!(rec.parts[1].filename.as_deref(), Some("a.pdf"));
    assert_eq!(rec.parts[1].disposition.as_deref(), Some("attachment"));
    assert_eq!(rec.parts[1].encoding, "base64");
}

#[test]
fn single_part_message_is_section_one() {
    let r = parse(
        b"* 1 FETCH (BODYSTRUCTURE (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 3 1 NIL NIL NIL NIL))\r\n",
    );
    let Response::Fetch(_, attrs) = r else {
        panic!()
    };
    let Some(AttributeValue::BodyStructure(b)) = attrs.first() else {
        panic!()
    };
    let parts = flatten_parts(b);
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].section, "1");
    assert_eq!(parts[0].mime_type, "text/plain");
}

#[test]
fn modified_utf7_round_trips() {
    assert_eq!(decode_mailbox_name("Entw&APw-rfe"), "Entwürfe");
    assert_eq!(decode_mailbox_name("A &- B"), "A & B");
    assert_eq!(decode_mailbox_name("&ZeVnLIqe-"), "日本語");
    for name in ["Entwürfe", "A & B", "日本語/子", "plain", "😀 emoji"] {
        assert_eq!(decode_mailbox_name(&encode_mailbox_name(name)), name);
    }
    assert_eq!(encode_mailbox_name("Entwürfe"), "Entw&APw-rfe");
    // Malformed input is shown as sent, not dropped.
    assert_eq!(decode_mailbox_name("bad&zz"), "bad&zz");
}

#[test]
fn internal_dates() {
    let d = parse_internal_date("17-Jul-1996 02:44:25 -0700").unwrap();
    assert_eq!(format_internal_date(&d), "\"17-Jul-1996 02:44:25 -0700\"");
    assert!(parse_internal_date(" 1-Jan-2020 00:00:00 +0000").is_some());
    assert!(parse_internal_date("garbage").is_none());
}

#[test]
fn flag_lists_are_validated() {
    assert_eq!(
        flag_list(&["\\Seen".into(), "$Forwarded".into()]).unwrap(),
        "(\\Seen $Forwarded)"
    );
    assert!(flag_list(&["bad flag".into()]).is_err());
    assert!(flag_list(&["x)".into()]).is_err());
}

fn folder(name: &str, attrs: &[&str]) -> Folder {
    let attributes: Vec<String> = attrs.iter().map(|s| s.to_string()).collect();
    Folder {
        display_name: decode_mailbox_name(name),
        name: name.into(),
        delimiter: Some('/'),
        role: role_from_attributes(&attributes),
        selectable: !attributes.iter().any(|a| a == "\\Noselect"),
        attributes,
    }
}

#[test]
fn special_use_attributes_win_over_names() {
    let mut folders = vec![
        folder("INBOX", &[]),
        folder("Sent", &[]),
        folder("Sent Messages", &["\\Sent"]),
        folder("Spam", &[]),
    ];
    assign_roles(&mut folders);
    let role = |n: &str| folders.iter().find(|f| f.name == n).unwrap().role;
    assert_eq!(role("INBOX"), Some(FolderRole::Inbox));
    assert_eq!(role("Sent Messages"), Some(FolderRole::Sent));
    assert_eq!(role("Sent"), None, "a role goes to one folder only");
    assert_eq!(role("Spam"), Some(FolderRole::Junk));
}

#[test]
fn name_fallback_covers_common_spellings() {
    let mut folders = vec![
        folder("INBOX", &[]),
        folder("Sent Items", &[]),
        folder("Deleted Items", &[]),
        folder("Junk E-mail", &[]),
        folder("Archive/2024", &[]),
        folder("Archive", &[]),
        folder("Entw&APw-rfe", &[]),
        folder("[Gmail]", &["\\Noselect"]),
    ];
    assign_roles(&mut folders);
    let role = |n: &str| folders.iter().find(|f| f.name == n).unwrap().role;
    assert_eq!(role("Sent Items"), Some(FolderRole::Sent));
    assert_eq!(role("Deleted Items"), Some(FolderRole::Trash));
    assert_eq!(role("Junk E-mail"), Some(FolderRole::Junk));
    assert_eq!(
        role("Archive"),
        Some(FolderRole::Archive),
        "top level preferred"
    );
    assert_eq!(role("Archive/2024"), None);
    assert_eq!(role("Entw&APw-rfe"), Some(FolderRole::Drafts));
    assert_eq!(role("[Gmail]"), None);
    assert_eq!(
        role_from_name("INBOX.Sent Messages", Some('.')),
        Some(FolderRole::Sent)
    );
    assert_eq!(role_from_name("Projects", Some('/')), None);
}

#[test]
fn list_response_becomes_a_folder() {
    let r = parse(b"* LIST (\\HasNoChildren \\Sent) \"/\" \"Sent Items\"\r\n");
    let Response::MailboxData(imap_proto::MailboxDatum::List(data)) = r else {
        panic!("{r:?}")
    };
    let f = folder_from_list(&data);
    assert_eq!(f.name, "Sent Items");
    assert_eq!(f.delimiter, Some('/'));
    assert_eq!(f.role, Some(FolderRole::Sent));
    assert!(f.selectable);
    let r = parse(b"* LIST (\\Noselect) \".\" inbox\r\n");
    let Response::MailboxData(imap_proto::MailboxDatum::List(data)) = r else {
        panic!()
    };
    let f = folder_from_list(&data);
    assert_eq!(f.name, "INBOX");
    assert!(!f.selectable);
}

#[test]
fn temporary_codes() {
    assert!(is_temporary("[INUSE] Mailbox is locked"));
    assert!(!is_temporary("[NONEXISTENT] no such mailbox"));
}

//! The IMAP response handling postie owns (`proto::imap::codec`): every response imap-proto
//! parses out of the bytes is turned into our records (envelopes, flags, folders, UID sets
//! from APPENDUID/COPYUID), as the session does, and mailbox names go through the modified
//! UTF-7 decoder and encoder.
//!
//! imap-proto itself panics on some inputs (`INTERNALDATE NIL` unwraps a None). postie catches
//! such a panic around every read and drops the session (proto::imap::session::UNPARSABLE),
//! so this target does the same for `Response::parse` only; a panic anywhere in our code
//! still aborts and is reported.
#![no_main]

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use async_imap::imap_proto::{MailboxDatum, Response, ResponseCode};
use libfuzzer_sys::fuzz_target;
use postie::proto::imap::codec::{
    assign_roles, decode_mailbox_name, encode_mailbox_name, envelope_record, expand,
    flag_update, folder_from_list, is_temporary, parse_internal_date, quote, role_from_name,
    uid_ranges,
};

thread_local! {
    static IN_IMAP_PROTO: Cell<bool> = const { Cell::new(false) };
}

/// Keeps libFuzzer's abort-on-panic hook for every panic but imap-proto's own.
fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let fuzzer_hook = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !IN_IMAP_PROTO.with(Cell::get) {
                fuzzer_hook(info);
            }
        }));
    });
}

/// `Response::parse`, with a panic inside imap-proto turned into "cannot parse".
fn parse(bytes: &[u8]) -> Option<(&[u8], Response<'_>)> {
    IN_IMAP_PROTO.with(|f| f.set(true));
    let r = panic::catch_unwind(AssertUnwindSafe(|| Response::parse(bytes)));
    IN_IMAP_PROTO.with(|f| f.set(false));
    r.ok()?.ok()
}

fuzz_target!(|data: &[u8]| {
    install_hook();
    let text = String::from_utf8_lossy(data);
    // Names: decoding never fails, and what we encode decodes back to the same name.
    let _ = decode_mailbox_name(&text);
    assert_eq!(decode_mailbox_name(&encode_mailbox_name(&text)), text);
    let _ = role_from_name(&text, Some('/'));
    let _ = parse_internal_date(&text);
    let _ = is_temporary(&text);
    if let Ok(q) = quote(&text) {
        assert!(!q.contains('\r') && !q.contains('\n'));
    }

    let mut folders = Vec::new();
    let mut rest = data;
    // As the session reads them: one response after another until the bytes cannot parse.
    for _ in 0..64 {
        let Some((next, response)) = parse(rest) else {
            break;
        };
        match &response {
            Response::Fetch(_, attrs) => {
                let _ = envelope_record(attrs);
                let _ = flag_update(attrs);
            }
            Response::MailboxData(MailboxDatum::List(list)) => {
                folders.push(folder_from_list(list));
            }
            _ => {}
        }
        if let Some(code) = response_code(&response) {
            match code {
                ResponseCode::AppendUid(_, uids) => {
                    let _ = expand(&uid_ranges(uids)).first();
                }
                ResponseCode::CopyUid(_, from, to) => {
                    let _ = (expand(&uid_ranges(from)), expand(&uid_ranges(to)));
                }
                _ => {}
            }
        }
        if next.len() >= rest.len() {
            break;
        }
        rest = next;
    }
    assign_roles(&mut folders);
});

fn response_code<'a>(r: &'a Response<'a>) -> Option<&'a ResponseCode<'a>> {
    match r {
        Response::Done { outcome, .. } | Response::Data { outcome, .. } => outcome.code.as_ref(),
        _ => None,
    }
}

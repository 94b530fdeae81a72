//! The POP3 reply codec (`proto::pop3::codec`): status lines, whole replies and the incremental
//! multi-line decoder. Besides "never panics", it checks that feeding the decoder in chunks
//! (as the client does, with whatever the socket returned) gives the same result as feeding it
//! everything at once.
#![no_main]

use libfuzzer_sys::fuzz_target;
use postie::proto::pop3::codec::{
    CodecError, MultilineDecoder, apop_timestamp, body_lines, check_reply, parse_reply,
    parse_status_line,
};

const MAX_LINE: usize = 1024;
const MAX_TOTAL: usize = 64 * 1024;

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, data)) = data.split_first() else {
        return;
    };
    if let Ok(status) = parse_status_line(data) {
        let _ = apop_timestamp(&status.text);
        let _ = status.code.as_ref().map(|c| c.error_kind());
    }
    for multiline in [false, true] {
        let whole = parse_reply(data, multiline, MAX_LINE, MAX_TOTAL);
        if let Ok((_, body, used)) = &whole {
            assert!(*used <= data.len());
            assert!(body.len() <= MAX_TOTAL);
            assert_eq!(check_reply(data, multiline, MAX_LINE), Ok(*used));
            for line in body_lines(body) {
                assert!(!line.ends_with(b"\n"));
            }
        }
    }

    // The decoder fed in chunks of `chunk + 1` bytes, dropping what it consumed each time.
    let step = usize::from(chunk) + 1;
    let one_shot = decode_all(data, data.len().max(1));
    let chunked = decode_all(data, step);
    assert_eq!(one_shot, chunked, "chunked decoding differs (step {step})");
});

/// Decodes a multi-line body from `data` arriving `step` bytes at a time: the unstuffed body
/// and the bytes used when done, or the first error, or None if it never ended.
fn decode_all(data: &[u8], step: usize) -> Option<Result<(Vec<u8>, usize), CodecError>> {
    let mut decoder = MultilineDecoder::new(MAX_LINE, MAX_TOTAL);
    let mut buf: Vec<u8> = Vec::new();
    let mut fed = 0;
    let mut used_total = 0;
    loop {
        match decoder.decode(&buf) {
            Ok(used) => {
                buf.drain(..used);
                used_total += used;
            }
            Err(CodecError::Incomplete) => {}
            Err(e) => return Some(Err(e)),
        }
        if decoder.is_done() {
            return Some(Ok((decoder.into_data(), used_total)));
        }
        if fed >= data.len() {
            return None;
        }
        let end = (fed + step).min(data.len());
        buf.extend_from_slice(&data[fed..end]);
        fed = end;
    }
}

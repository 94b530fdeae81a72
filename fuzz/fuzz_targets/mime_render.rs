//! The MIME and text rendering path: envelope parsing (`mail::envelope`), body text and
//! attachments (`mail::body`) and the text `postie read` prints (`cli::read::render`). Besides
//! "never panics", what `read` prints must be inert on a terminal: no control character but
//! newline and tab, so no escape sequence from a hostile message reaches the terminal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use postie::cli::read::render;
use postie::mail::{Envelope, ParsedMessage};

fuzz_target!(|data: &[u8]| {
    let envelope = Envelope::parse(data);
    let _ = envelope.date_rfc3339();
    let _ = envelope.from_short();
    let _ = ParsedMessage::parse_for_index(data);
    let _ = ParsedMessage::parse_with_width(data, 20);
    let text = render(data);
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n' && c != '\t'),
        "a control character reaches the terminal: {text:?}"
    );
});

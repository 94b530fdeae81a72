//! `postie send -t` header parsing (`mail::compose::prepare_raw`): any bytes give a prepared
//! message or a data error, never a panic; the prepared bytes are the input less the Bcc
//! fields (so never longer), and without `-t` the same bytes are accepted or refused alike.
#![no_main]

use libfuzzer_sys::fuzz_target;
use postie::mail::compose::prepare_raw;

fuzz_target!(|data: &[u8]| {
    for from_headers in [true, false] {
        if let Ok(prepared) = prepare_raw(data, from_headers) {
            assert!(prepared.bytes.len() <= data.len());
            if from_headers {
                assert!(!prepared.header_recipients.is_empty());
            }
            // Preparing the prepared message again changes nothing: no Bcc is left (unless a
            // second mbox `From ` line follows the first, which is dropped in turn).
            if prepared.bytes.starts_with(b"From ") {
                continue;
            }
            let again = prepare_raw(&prepared.bytes, false).map(|p| p.bytes);
            if let Ok(again) = again {
                assert_eq!(again, prepared.bytes);
            }
        }
    }
});

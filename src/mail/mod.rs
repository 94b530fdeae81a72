//! Pure mail logic: envelopes, MIME, text rendering, composing, threading. No IO.
pub mod compose;

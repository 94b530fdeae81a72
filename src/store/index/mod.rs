//! The SQLite index: envelopes, flags, UIDs, full-text search, queues.

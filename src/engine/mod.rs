//! One task per account: connections, sync, the offline action queue and the outbox.

//! The terminal UI (ratatui): Model, Msg, update, view. No IO here.

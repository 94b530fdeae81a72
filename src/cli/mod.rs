//! Command-line definitions (clap derive), shared by the binary, the man page and completions.

pub mod delete;
pub mod demo;
pub mod flag;
pub mod folders;
pub mod list;
pub mod move_to;
pub mod offline;
pub mod read;
pub mod search;

//! Command-line definitions (clap derive), shared by the binary, the man page and completions.

pub mod send;

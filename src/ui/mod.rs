//! The terminal UI (ratatui + crossterm), in the Elm shape:
//!
//! - [`model::Model`]: all UI state, plain data.
//! - [`update::update`]`(&mut Model, Msg) -> Vec<Command>`: the state machine. No IO, no
//!   `.await`; unit-tested with plain values.
//! - [`view::view`]`(&Model, &mut Frame)`: draws the model; snapshot-tested with `TestBackend`.
//! - [`protocol`]: the [`Command`]s the UI emits and the [`Event`]s it takes back. This is the
//!   whole interface to the backend; the UI knows nothing of `store`, `mail` or `engine` — the
//!   binary's adapter converts between them and these plain [`types`].
//! - [`terminal`]: the only IO: raw mode, alternate screen, mouse, panic hook, signals,
//!   Ctrl-Z, the external editor, and [`terminal::run`], the loop that merges terminal input
//!   with backend events and redraws only when the model changed.
//! - [`keymap`] (vim-like defaults, the config's `[keys]`), [`theme`] (themes/*.toml).
//!
//! Big folders: the list is virtualised ([`list`]); the model holds only pages near the
//! viewport and asks for more with `LoadPage` as the cursor moves.

#[cfg(test)]
mod fixtures;

pub mod editor;
pub mod first_run;
pub mod frame_log;
pub mod input;
pub mod keymap;
pub mod layout;
pub mod list;
pub mod model;
pub mod protocol;
pub mod reader;
pub mod tags;
pub mod terminal;
pub mod text;
pub mod theme;
pub mod types;
pub mod update;
pub mod view;
pub mod visible;

pub use keymap::{Keymap, KeymapError};
pub use model::Model;
pub use protocol::{
    Command, Event, FolderChange, Launch, ListSource, Page, PageRequest, ProgramOutput,
    SearchScope, SendOutcome, ServerSearch, TerminalJob,
};
pub use theme::{Theme, ThemeError};
pub use types::*;
pub use update::{Msg, init, update};
pub use view::view;

#[cfg(test)]
mod layering {
    /// The UI talks to the backend only through `protocol`: no file under src/ui may name the
    /// store, the mail parser, the engine or the protocols.
    #[test]
    fn ui_does_not_reach_into_the_backend() {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push(p);
                }
            }
        }
        let mut files = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ui"),
            &mut files,
        );
        assert!(files.len() > 10);
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for layer in ["store", "engine", "mail", "proto", "net"] {
                let banned = format!("crate::{layer}");
                assert!(!text.contains(&banned), "{} uses {banned}", f.display());
            }
        }
    }
}

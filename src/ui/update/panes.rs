//! Which panes are on screen: `Z` (the full-screen reader) and `B` (the folder pane), and the
//! panes `Tab` cycles through. The choices last for the session; until one is made, a narrow
//! terminal (below [`layout::NARROW_WIDTH`] columns) hides the folder pane and reads messages
//! full-screen.
//!
//! What must hold: the focus is always on a pane that is drawn (hiding a pane moves the focus
//! off it; `Tab` skips hidden panes).

use super::super::layout;
use super::super::model::{Focus, Model};
use super::super::protocol::Command;
use super::load_pages;

/// The panes on screen, in `Tab` order.
pub(super) fn visible(model: &Model) -> Vec<Focus> {
    if layout::reader_full(model) {
        return vec![Focus::Message];
    }
    let mut panes = Vec::new();
    if layout::folder_pane_wanted(model) {
        panes.push(Focus::Folders);
    }
    panes.push(Focus::List);
    if model.message.is_some() {
        panes.push(Focus::Message);
    }
    panes
}

/// `Z`: read full-screen, or beside the list again.
pub(super) fn toggle_reader(model: &mut Model) -> Vec<Command> {
    let full = !layout::reader_full_wanted(model);
    model.reader_full = Some(full);
    match (full, model.message.is_some()) {
        (true, true) => model.focus = Focus::Message,
        (true, false) => model.set_status("Messages open full-screen (Z: beside the list)"),
        (false, true) => {}
        (false, false) => model.set_status("Messages open beside the list"),
    }
    // The list may have grown or shrunk: keep its cursor on screen, load what it shows.
    keep_cursor_on_screen(model)
}

/// `B`: hide or show the folder pane.
pub(super) fn toggle_folder_pane(model: &mut Model) -> Vec<Command> {
    let shown = !layout::folder_pane_wanted(model);
    model.folder_pane = Some(shown);
    if shown {
        if layout::reader_full(model) {
            // Showing folders means leaving the full-screen reader for the split.
            model.reader_full = Some(false);
        }
    } else {
        if model.focus == Focus::Folders && model.list.is_some() {
            model.focus = Focus::List;
        }
        let folder = model.current.as_ref().map_or_else(String::new, |f| {
            format!(": {} shows in the list title", f.folder)
        });
        model.set_status(format!("Folder pane hidden (B shows it){folder}"));
    }
    keep_cursor_on_screen(model)
}

fn keep_cursor_on_screen(model: &mut Model) -> Vec<Command> {
    let h = layout::list_height(model);
    if let Some(l) = model.list.as_mut() {
        let sel = l.selected;
        l.select(sel, h);
    }
    load_pages(model)
}

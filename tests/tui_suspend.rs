//! Ctrl-Z while a program postie started has the terminal (here a pager, from `| !less`).
//!
//! The program shares postie's process group, so the shell's job is postie and the pager
//! together: Ctrl-Z must stop the whole job and give the shell its prompt back, and `fg` must
//! bring the pager back and, after it, postie. (Before the fix the pager stopped but postie
//! went on waiting for it: the shell never saw the job stop and the terminal hung.)
//!
//! tmux is required: if it is missing this test fails saying so, it never skips.

#[path = "support/tui.rs"]
mod tui;

use tui::Tui;

#[test]
fn ctrl_z_in_a_piped_pager_stops_the_job_and_fg_brings_it_back() {
    let tui = Tui::start_job_control(&["demo"], &[]);
    tui.wait_for("INBOX ·");

    tui.keys(&["|"]);
    tui.type_text("!less");
    tui.keys(&["Enter"]);
    tui.wait_for("(END)");

    tui.keys(&["C-z"]);
    let s = tui.wait_for("POSTIE-STOPPED=");
    assert!(!s.contains("INBOX ·"), "the shell has the terminal: {s}");

    // The script's `read` takes the line, then `fg` continues the job: the pager first.
    tui.keys(&["Enter"]);
    tui.wait_until("the pager after fg", |s| {
        s.contains("(END)") && !s.contains("POSTIE-STOPPED=")
    });
    tui.keys(&["q"]);
    // `| !cmd` asks for a key before the list comes back, as mutt does.
    tui.wait_for("Press any key");
    tui.keys(&["Enter"]);
    tui.wait_for("INBOX ·");
    assert_eq!(tui.quit(), 0);
}

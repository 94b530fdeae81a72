//! The terminal runner: the UI's only IO. Raw mode, the alternate screen, mouse capture and
//! bracketed paste; a panic hook and a drop guard that always restore the terminal; SIGTSTP /
//! Ctrl-Z suspend and SIGCONT resume; SIGTERM / SIGHUP / SIGINT leave cleanly; the external
//! editor and other programs that need the terminal (mailcap viewers, `|!cmd`); and [`run`], which merges terminal input with backend events, feeds them to
//! `update`, forwards commands to the backend and redraws only when the model changed.
//!
//! Terminal input is read on a plain thread (crossterm's blocking `poll`/`read`) that can be
//! paused, so that an external editor or the shell gets the keyboard while we are suspended.

use std::collections::VecDeque;
use std::io::{self, Stdout, Write};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use crossterm::event::{
    self, DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
    Event as TermEvent, KeyEventKind,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::mpsc;

use super::editor;
use super::frame_log::FrameLog;
use super::model::Model;
use super::protocol::{Command, Event, TerminalJob};
use super::types::{BackendError, Draft};
use super::update::{Msg, init, update};
use super::view::view;
use crate::error::ErrorKind;

/// A failure of the terminal itself (the backend's failures travel as events instead).
#[derive(Debug, thiserror::Error)]
pub enum TerminalError {
    #[error("cannot set up the terminal")]
    Setup(#[source] io::Error),
    #[error("cannot draw on the terminal")]
    Draw(#[source] io::Error),
    #[error("cannot read terminal input")]
    Input,
}

impl TerminalError {
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::Io
    }
}

type Term = Terminal<CrosstermBackend<Stdout>>;

/// Raw mode, the alternate screen, mouse capture and bracketed paste ([`restore`] undoes it).
pub fn enter() -> io::Result<()> {
    enable_raw_mode()?;
    execute!(
        io::stdout(),
        EnterAlternateScreen,
        EnableMouseCapture,
        EnableBracketedPaste
    )
}

/// Put the terminal back as the shell expects it. Safe to call more than once.
pub fn restore() -> io::Result<()> {
    let r = execute!(
        io::stdout(),
        DisableBracketedPaste,
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    disable_raw_mode()?;
    r
}

/// Restore the terminal before the default panic message is printed (else it lands in the
/// alternate screen and is lost). Installed by [`run`]; idempotent enough to call again.
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = restore();
        previous(info);
    }));
}

/// Restores the terminal when [`run`] ends, however it ends.
struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = restore();
    }
}

#[derive(Default)]
struct ReaderState {
    paused: bool,
    polling: bool,
    stop: bool,
}

/// The input thread and the switch that pauses it.
struct Reader {
    state: Arc<(Mutex<ReaderState>, Condvar)>,
}

impl Reader {
    fn start(tx: mpsc::Sender<TermEvent>, frame_log: Option<Arc<FrameLog>>) -> Reader {
        let state = Arc::new((Mutex::new(ReaderState::default()), Condvar::new()));
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            let (lock, cv) = &*shared;
            loop {
                {
                    let Ok(mut s) = lock.lock() else { return };
                    while s.paused && !s.stop {
                        s = match cv.wait(s) {
                            Ok(s) => s,
                            Err(_) => return,
                        };
                    }
                    if s.stop {
                        return;
                    }
                    s.polling = true;
                }
                let got = match event::poll(Duration::from_millis(50)) {
                    Ok(true) => event::read().map(Some),
                    Ok(false) => Ok(None),
                    Err(e) => Err(e),
                };
                if let Ok(mut s) = lock.lock() {
                    s.polling = false;
                    cv.notify_all();
                }
                match got {
                    Ok(Some(ev)) => {
                        if let (Some(log), TermEvent::Key(_)) = (&frame_log, &ev) {
                            log.key_read();
                        }
                        if tx.blocking_send(ev).is_err() {
                            return;
                        }
                    }
                    Ok(None) => {}
                    Err(_) => return,
                }
            }
        });
        Reader { state }
    }

    /// Stop reading the terminal and wait until no read is in progress.
    fn pause(&self) {
        let (lock, cv) = &*self.state;
        if let Ok(mut s) = lock.lock() {
            s.paused = true;
            while s.polling {
                s = match cv.wait(s) {
                    Ok(s) => s,
                    Err(_) => return,
                };
            }
        }
    }

    fn resume(&self) {
        let (lock, cv) = &*self.state;
        if let Ok(mut s) = lock.lock() {
            s.paused = false;
            cv.notify_all();
        }
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        let (lock, cv) = &*self.state;
        if let Ok(mut s) = lock.lock() {
            s.stop = true;
            cv.notify_all();
        }
    }
}

fn to_msg(ev: TermEvent) -> Option<Msg> {
    match ev {
        TermEvent::Key(k) if k.kind != KeyEventKind::Release => Some(Msg::Key(k)),
        TermEvent::Mouse(m) => Some(Msg::Mouse(m)),
        TermEvent::Resize(w, h) => Some(Msg::Resize(w, h)),
        TermEvent::Paste(s) => Some(Msg::Paste(s)),
        _ => None,
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Run the UI until the user quits, the backend closes its event channel, or a terminating
/// signal arrives. Commands the runner handles itself (`Quit`, `Suspend`, `Redraw`,
/// `EditExternally`, `RunInTerminal`) never reach `backend_tx`; every other command goes there, in order.
///
/// Sets the model's clock, UTC offset, home directory and size; downgrades truecolour theme
/// values to the 256-colour palette unless `COLORTERM` says `truecolor`/`24bit`.
pub async fn run(
    mut model: Model,
    backend_tx: mpsc::Sender<Command>,
    mut events_rx: mpsc::Receiver<Event>,
) -> Result<(), TerminalError> {
    install_panic_hook();
    let sig = |k: SignalKind| signal(k).map_err(TerminalError::Setup);
    let (mut sigtstp, mut sigcont) = (
        sig(SignalKind::from_raw(libc::SIGTSTP))?,
        sig(SignalKind::from_raw(libc::SIGCONT))?,
    );
    let (mut sigterm, mut sighup, mut sigint) = (
        sig(SignalKind::terminate())?,
        sig(SignalKind::hangup())?,
        sig(SignalKind::interrupt())?,
    );

    // The guard first: a half-done setup is undone too.
    let _guard = Guard;
    enter().map_err(TerminalError::Setup)?;
    let mut terminal =
        Terminal::new(CrosstermBackend::new(io::stdout())).map_err(TerminalError::Setup)?;
    terminal.clear().map_err(TerminalError::Setup)?;
    let size = terminal.size().map_err(TerminalError::Setup)?;
    model.size = (size.width, size.height);
    model.now = now();
    model.utc_offset = chrono::Local::now().offset().local_minus_utc();
    model.home = std::env::var_os("HOME").map(PathBuf::from);
    if !super::theme::truecolor_from_env(std::env::var("COLORTERM").ok().as_deref()) {
        model.theme = model.theme.downgrade_to_256();
    }

    let (term_tx, mut term_rx) = mpsc::channel(256);
    // Hidden, for scripts/bench: key-to-frame times (`frame_log`).
    let frame_log = FrameLog::from_env().map(Arc::new);
    let reader = Reader::start(term_tx, frame_log.clone());
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

    let mut queue: VecDeque<Command> = init(&mut model).into();
    loop {
        while let Some(cmd) = queue.pop_front() {
            match cmd {
                Command::Quit => model.quit = true,
                Command::Suspend => suspend(&mut terminal, &reader)?,
                Command::Redraw => {
                    terminal.clear().map_err(TerminalError::Draw)?;
                    model.dirty = true;
                }
                Command::EditExternally(draft) => {
                    let ev = edit_externally(&mut terminal, &reader, &mut sigtstp, &draft).await?;
                    queue.extend(update(&mut model, Msg::Backend(ev)));
                }
                Command::RunInTerminal(job) => {
                    let ev = run_in_terminal(&mut terminal, &reader, &mut sigtstp, job).await?;
                    // A Ctrl-C typed to the program (less, a pager) reached us too, as the
                    // terminal's foreground group: it was the program's, not a request to quit.
                    while let Ok(Some(())) =
                        tokio::time::timeout(Duration::ZERO, sigint.recv()).await
                    {
                    }
                    model.dirty = true;
                    queue.extend(update(&mut model, Msg::Backend(ev)));
                }
                cmd => {
                    if backend_tx.send(cmd).await.is_err() {
                        // The backend is gone: that is shutdown, not an error.
                        return Ok(());
                    }
                }
            }
        }
        if model.quit {
            return Ok(());
        }
        if model.dirty {
            terminal
                .draw(|f| view(&model, f))
                .map_err(TerminalError::Draw)?;
            model.dirty = false;
            if let Some(log) = &frame_log {
                log.frame_drawn();
            }
        }
        let msg = tokio::select! {
            ev = term_rx.recv() => match ev {
                Some(ev) => to_msg(ev),
                None => return Err(TerminalError::Input),
            },
            ev = events_rx.recv() => match ev {
                Some(ev) => Some(Msg::Backend(ev)),
                None => return Ok(()),
            },
            _ = tick.tick() => Some(Msg::Tick(now())),
            _ = sigtstp.recv() => {
                suspend(&mut terminal, &reader)?;
                None
            }
            _ = sigcont.recv() => {
                // Resumed after a stop we did not ask for: take the terminal back.
                enter().map_err(TerminalError::Setup)?;
                terminal.clear().map_err(TerminalError::Draw)?;
                model.dirty = true;
                None
            }
            _ = sigterm.recv() => return Ok(()),
            _ = sighup.recv() => return Ok(()),
            _ = sigint.recv() => return Ok(()),
        };
        if let Some(msg) = msg {
            queue.extend(update(&mut model, msg));
        }
        // Take in whatever else is already waiting before drawing once for all of it.
        for _ in 0..256 {
            let msg = match (term_rx.try_recv(), events_rx.try_recv()) {
                (Ok(t), Ok(e)) => {
                    if let Some(m) = to_msg(t) {
                        queue.extend(update(&mut model, m));
                    }
                    Some(Msg::Backend(e))
                }
                (Ok(t), Err(_)) => to_msg(t),
                (Err(_), Ok(e)) => Some(Msg::Backend(e)),
                (Err(_), Err(_)) => break,
            };
            if let Some(m) = msg {
                queue.extend(update(&mut model, m));
            }
        }
    }
}

/// Give the terminal back to the shell and stop; on `fg`, take it back and redraw everything.
fn suspend(terminal: &mut Term, reader: &Reader) -> Result<(), TerminalError> {
    reader.pause();
    restore().map_err(TerminalError::Setup)?;
    let _ = io::stdout().flush();
    // SIGTSTP is handled by us now, so stop with SIGSTOP, which cannot be caught.
    // SAFETY: raise() only sends a signal to this process; no memory is touched.
    unsafe {
        libc::raise(libc::SIGSTOP);
    }
    enter().map_err(TerminalError::Setup)?;
    terminal.clear().map_err(TerminalError::Draw)?;
    reader.resume();
    Ok(())
}

/// Write the draft to a private temp file, run `$VISUAL`, else `$EDITOR`, else `vi` on it with
/// the terminal handed over, and read it back.
async fn edit_externally(
    terminal: &mut Term,
    reader: &Reader,
    sigtstp: &mut Signal,
    draft: &Draft,
) -> Result<Event, TerminalError> {
    let path = std::env::temp_dir().join(format!(
        "postie-draft-{}-{}.eml",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));
    if let Err(e) = write_private(&path, editor::to_text(draft).as_bytes()) {
        return Ok(Event::DraftEdited(Err(BackendError::new(
            ErrorKind::Io,
            format!("cannot write {}: {e}", path.display()),
        ))));
    }
    let editor = std::env::var("VISUAL")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .or_else(|| {
            std::env::var("EDITOR")
                .ok()
                .filter(|s| !s.trim().is_empty())
        })
        .unwrap_or_else(|| "vi".to_string());
    reader.pause();
    restore().map_err(TerminalError::Setup)?;
    // The path goes in as $1, never spliced into the shell text.
    let status = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(&path)
        .spawn();
    let status = match status {
        Ok(mut child) => wait_in_foreground(&mut child, sigtstp).await,
        Err(e) => Err(e),
    };
    enter().map_err(TerminalError::Setup)?;
    terminal.clear().map_err(TerminalError::Draw)?;
    reader.resume();
    let result = match status {
        Ok(s) if s.success() => match std::fs::read(&path) {
            Ok(bytes) => editor::from_text(draft, &String::from_utf8_lossy(&bytes)),
            Err(e) => Err(BackendError::new(
                ErrorKind::Io,
                format!("cannot read {}: {e}", path.display()),
            )),
        },
        Ok(s) => Err(BackendError::new(
            ErrorKind::Data,
            format!("the editor ({editor}) failed ({s}); the draft is unchanged"),
        )),
        Err(e) => Err(BackendError::new(
            ErrorKind::Io,
            format!("cannot run the editor ({editor}): {e}"),
        )),
    };
    let _ = std::fs::remove_file(&path);
    Ok(Event::DraftEdited(result))
}

/// Hand the terminal to `sh -c job.shell` (stdin: the job's file, else the terminal), wait for
/// it, ask for a key when the job wants its output read or it failed, and take the terminal
/// back. The job's temp files are removed whatever happened.
async fn run_in_terminal(
    terminal: &mut Term,
    reader: &Reader,
    sigtstp: &mut Signal,
    job: TerminalJob,
) -> Result<Event, TerminalError> {
    let stdin = match &job.stdin {
        Some(path) => match std::fs::File::open(path) {
            Ok(f) => std::process::Stdio::from(f),
            Err(e) => {
                remove_all(&job.remove_after);
                return Ok(Event::TerminalJobDone {
                    label: job.label,
                    result: Err(BackendError::new(
                        ErrorKind::Io,
                        format!("cannot read {}: {e}", path.display()),
                    )),
                });
            }
        },
        None => std::process::Stdio::inherit(),
    };
    reader.pause();
    restore().map_err(TerminalError::Setup)?;
    let status = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(&job.shell)
        .stdin(stdin)
        .spawn();
    let status = match status {
        Ok(mut child) => wait_in_foreground(&mut child, sigtstp).await,
        Err(e) => Err(e),
    };
    let failed = !matches!(&status, Ok(s) if s.success());
    if job.wait_key || failed {
        wait_for_key(&job.label, &status);
    }
    enter().map_err(TerminalError::Setup)?;
    terminal.clear().map_err(TerminalError::Draw)?;
    reader.resume();
    remove_all(&job.remove_after);
    let result = match status {
        Ok(s) if s.success() => Ok(exit_text(s)),
        Ok(s) => Err(BackendError::new(
            ErrorKind::Data,
            format!("{} failed ({})", job.label, exit_text(s)),
        )),
        Err(e) => Err(BackendError::new(
            ErrorKind::Io,
            format!("cannot run {}: {e}", job.label),
        )),
    };
    Ok(Event::TerminalJobDone {
        label: job.label,
        result,
    })
}

/// Wait for a program that has the terminal (an editor, a pager, a mailcap viewer).
///
/// It shares our process group, so a Ctrl-Z typed to it reaches us too: we stop with it, so
/// the shell sees the whole job stopped and takes the terminal back; its `fg` continues all of
/// us and we go on waiting. (Not stopping left the user's shell waiting for a job that was
/// only half stopped: a hung terminal.)
async fn wait_in_foreground(
    child: &mut tokio::process::Child,
    sigtstp: &mut Signal,
) -> io::Result<std::process::ExitStatus> {
    loop {
        tokio::select! {
            status = child.wait() => return status,
            _ = sigtstp.recv() => {
                // SAFETY: raise() only sends a signal to this process; no memory is touched.
                unsafe {
                    libc::raise(libc::SIGSTOP);
                }
            }
        }
    }
}

/// "exit 0", "killed by signal 9".
pub fn exit_text(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit {code}"),
        (None, Some(sig)) => format!("killed by signal {sig}"),
        (None, None) => "ended".to_string(),
    }
}

/// "Press any key to return to postie" on the plain terminal, then one key (raw mode, so any
/// key will do, as in mutt).
fn wait_for_key(label: &str, status: &io::Result<std::process::ExitStatus>) {
    let how = match status {
        Ok(s) => exit_text(*s),
        Err(e) => format!("cannot run: {e}"),
    };
    let mut out = io::stdout();
    let _ = write!(
        out,
        "\r\n[{label}: {how}] Press any key to return to postie…"
    );
    let _ = out.flush();
    if enable_raw_mode().is_ok() {
        loop {
            match event::read() {
                Ok(TermEvent::Key(k)) if k.kind != KeyEventKind::Release => break,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        let _ = disable_raw_mode();
    }
    // Whatever the next program prints starts on a line of its own.
    let _ = write!(out, "\r\n");
    let _ = out.flush();
}

fn remove_all(paths: &[PathBuf]) {
    for p in paths {
        let _ = std::fs::remove_file(p);
    }
}

fn write_private(path: &std::path::Path, bytes: &[u8]) -> io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyEventState, KeyModifiers};

    #[test]
    fn terminal_events_become_messages() {
        let press = KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE);
        assert_eq!(to_msg(TermEvent::Key(press)), Some(Msg::Key(press)));
        let release = KeyEvent {
            kind: KeyEventKind::Release,
            state: KeyEventState::NONE,
            ..press
        };
        assert_eq!(to_msg(TermEvent::Key(release)), None);
        assert_eq!(
            to_msg(TermEvent::Resize(120, 40)),
            Some(Msg::Resize(120, 40))
        );
        assert_eq!(
            to_msg(TermEvent::Paste("x".into())),
            Some(Msg::Paste("x".into()))
        );
        assert_eq!(to_msg(TermEvent::FocusGained), None);
    }

    #[test]
    fn draft_temp_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.eml");
        write_private(&p, b"To: a@b\n\nhi").unwrap();
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert!(
            write_private(&p, b"again").is_err(),
            "never reuses an existing file"
        );
    }
}

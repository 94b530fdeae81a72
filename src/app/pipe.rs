//! `|`: a message (its exact stored bytes), several as one mboxrd ([`crate::mail::mbox`], the
//! same writer as `W`), or one attachment (decoded)
//! fed to `sh -c COMMAND`.
//!
//! What must hold: one message goes through byte for byte (a patch must apply with `git am`);
//! the command is the user's own text and runs as typed, with no value from the message
//! spliced into it. Captured: it runs as a task on the network runtime, without the terminal,
//! bounded in time and output (`external`). With the terminal: the bytes go to a private
//! scratch file the runner feeds on stdin and removes afterwards.

use std::time::Duration;

use super::external::run_captured;
use super::files::{part_data, write_new};
use super::{Backend, store_error, store_id_of};
use crate::store::StoreError;
use crate::ui::{self, BackendError, Event, Launch, ProgramOutput, TerminalJob};

/// How long a captured pipe may run (`git am` on a long series, a slow filter).
const PIPE_LIMIT: Duration = Duration::from_secs(120);

impl Backend {
    /// Answers with [`Event::Piped`]; `false` when the UI is gone.
    pub(super) async fn pipe(
        &mut self,
        ids: Vec<ui::MessageId>,
        part: Option<usize>,
        command: String,
        terminal: bool,
    ) -> bool {
        let label = format!("| {command}");
        let bytes = match self.pipe_input(&ids, part) {
            Ok(b) => b,
            Err(e) => return self.emit(Event::Piped { result: Err(e) }).await,
        };
        if terminal {
            let result = self.scratch_dir().and_then(|dir| {
                let unique = chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default();
                let path = dir.join(format!("pipe-{unique}"));
                write_new(&path, &bytes, 0o600)?;
                Ok(Launch::InTerminal(TerminalJob {
                    shell: command,
                    stdin: Some(path.clone()),
                    wait_key: true,
                    label,
                    remove_after: vec![path],
                }))
            });
            return self.emit(Event::Piped { result }).await;
        }
        let events = self.events.clone();
        self.network.spawn(async move {
            let result = match run_captured(&command, bytes, PIPE_LIMIT).await {
                Ok(c) => Ok(Launch::Output(ProgramOutput {
                    label,
                    text: c.text,
                    status: c.status,
                    success: c.success,
                })),
                Err(e) => Err(BackendError::new(
                    crate::error::ErrorKind::Io,
                    format!("cannot run sh for {label}: {e}"),
                )),
            };
            let _ = events.send(Event::Piped { result }).await;
        });
        true
    }

    /// The bytes to pipe: the attachment, the one message as stored, or an mbox of several.
    fn pipe_input(
        &self,
        ids: &[ui::MessageId],
        part: Option<usize>,
    ) -> Result<Vec<u8>, BackendError> {
        let Some(first) = ids.first() else {
            return Err(BackendError::new(
                crate::error::ErrorKind::Usage,
                "no message to pipe",
            ));
        };
        if let Some(part) = part {
            return Ok(part_data(&self.store, first, part)?.bytes);
        }
        if let [only] = ids {
            return self.raw_for_pipe(only);
        }
        let mut mbox = Vec::new();
        for id in ids {
            let m = self.saved(id, self.raw_for_pipe(id)?)?;
            mbox.extend(crate::mail::mbox::entry(&m.raw, &m.sender, m.date));
        }
        Ok(mbox)
    }

    /// A message's stored bytes; an envelope-only one says how to get its body.
    fn raw_for_pipe(&self, id: &ui::MessageId) -> Result<Vec<u8>, BackendError> {
        match self.store.read_raw(store_id_of(id)?) {
            Ok(raw) => Ok(raw),
            Err(e @ StoreError::NoBody(_)) => Err(BackendError::new(
                e.kind(),
                format!(
                    "{}: open it first (Enter downloads the body), then pipe it",
                    crate::error::chain_line(&e)
                ),
            )),
            Err(e) => Err(store_error(e)),
        }
    }
}

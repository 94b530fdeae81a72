//! The soak's chained-actions scenario (issue #12, item 8): offline actions queued one after
//! another on the same messages, then replayed by a `postie sync` that is cut or killed.
//!
//! Before the faulty run the store syncs once (so it knows the UIDs) and queues, offline:
//! message 0 moved to Archive and back to INBOX, message 1 deleted twice (to Trash, then for
//! good), message 2 moved to Archive. Each later action needs the result of the one before it
//! (the UID the move gave the message), so a cut between them is where a chain breaks.
//!
//! What must hold: after the faulty run no message is anywhere twice (on the server or in the
//! store); after a clean re-run every message is exactly where its last action put it, once, on
//! the server and in the store, and message 1 is gone from both.

use super::{CLEAN_DEADLINE, Tally, World, files_of, fold};

/// The folders the scenario's messages can be in.
const FOLDERS: [&str; 3] = ["INBOX", "Archive", "Trash"];

/// Where seeded message `i` must end; `None`: deleted for good.
fn expected(i: usize) -> Option<&'static str> {
    match i {
        1 => None,
        2 => Some("Archive"),
        _ => Some("INBOX"),
    }
}

/// The offline actions, by the index of the seeded message they act on.
const ACTIONS: [(&[&str], usize); 5] = [
    (&["move", "Archive"], 0),
    (&["move", "INBOX"], 0),
    (&["delete"], 1),
    (&["delete"], 1),
    (&["move", "Archive"], 2),
];

/// Syncs once into the trial's store, then queues [`ACTIONS`] with `--offline`.
pub(super) async fn prepare(w: &World) -> Result<(), String> {
    let data = w.data_dir();
    let first = w.run(&data, &["sync".into()], CLEAN_DEADLINE).await;
    if first.code != Some(0) {
        return Err(format!("the first sync failed: {}", first.stderr_text()));
    }
    let listed = w
        .run(
            &data,
            &[
                "list".into(),
                "--json".into(),
                "--limit".into(),
                "1000".into(),
            ],
            CLEAN_DEADLINE,
        )
        .await;
    let rows: serde_json::Value = serde_json::from_slice(&listed.stdout)
        .map_err(|e| format!("list --json: {e}: {}", listed.stderr_text()))?;
    let id_of = |i: usize| -> Result<String, String> {
        // By Message-ID: the seeded subjects repeat (threads).
        let wanted = w.seeded[i].message.message_id.trim_matches(['<', '>']);
        rows.as_array()
            .into_iter()
            .flatten()
            .find(|r| r["message_id"].as_str().map(|m| m.trim_matches(['<', '>'])) == Some(wanted))
            .and_then(|r| r["id"].as_i64())
            .map(|id| id.to_string())
            .ok_or_else(|| format!("no listed message has the Message-ID {wanted:?}"))
    };
    let ids: Vec<String> = (0..3).map(id_of).collect::<Result<_, _>>()?;
    for (words, i) in ACTIONS {
        let mut args: Vec<String> = vec!["--offline".into()];
        args.extend(words.iter().map(|w| (*w).to_owned()));
        args.push(ids[i].clone());
        let out = w.run(&data, &args, CLEAN_DEADLINE).await;
        if out.code != Some(0) {
            return Err(format!("{args:?} failed: {}", out.stderr_text()));
        }
    }
    Ok(())
}

/// Copies of seeded message `i` per folder: (on the server, in the store).
fn copies(w: &World, i: usize) -> Vec<(&'static str, usize, usize)> {
    let want = fold(w.seeded[i].bytes());
    let count = |files: Vec<std::path::PathBuf>| {
        files
            .iter()
            .filter_map(|p| std::fs::read(p).ok())
            .filter(|m| fold(m) == want)
            .count()
    };
    let store = w.data_dir().join("soak");
    FOLDERS
        .iter()
        .map(|f| {
            (
                *f,
                count(w.user.message_files(f)),
                count(files_of(&store.join(f))),
            )
        })
        .collect()
}

/// After the faulty run: no message in two places at once, on the server or in the store.
pub(super) fn check_after_fault(w: &World, trial: &str, tally: &mut Tally) {
    for i in 0..w.seeded.len() {
        let found = copies(w, i);
        let server: usize = found.iter().map(|c| c.1).sum();
        let store: usize = found.iter().map(|c| c.2).sum();
        if server > 1 || store > 1 {
            tally.duplicated += 1;
            tally.fail(
                trial,
                format!(
                    "{} is in more than one place: {found:?} (folder, server, store)",
                    w.seeded[i].message.message_id
                ),
            );
        }
    }
}

/// After the clean re-run: every message once, where its last action put it, on the server
/// and in the store; message 1 nowhere.
pub(super) fn check_after_recovery(w: &World, trial: &str, tally: &mut Tally) {
    for i in 0..w.seeded.len() {
        tally.messages_checked += 1;
        let found = copies(w, i);
        let want = |folder: &str| usize::from(expected(i) == Some(folder));
        if found.iter().all(|(f, s, l)| *s == want(f) && *l == want(f)) {
            continue;
        }
        let total: usize = found.iter().map(|c| c.1 + c.2).sum();
        if expected(i).is_some() && found.iter().any(|(_, s, l)| *s == 0 && *l == 0) && total == 0 {
            tally.lost += 1;
        } else if found.iter().any(|c| c.1 > 1 || c.2 > 1) || total > 2 {
            tally.duplicated += 1;
        }
        tally.fail(
            trial,
            format!(
                "{} should be in {:?}, found {found:?} (folder, server, store)",
                w.seeded[i].message.message_id,
                expected(i)
            ),
        );
    }
}

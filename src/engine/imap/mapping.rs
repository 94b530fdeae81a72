//! The stored mapping between server folders and local folders (issue 12, item 5).
//!
//! Why: the local name of a server folder is derived by replacing the server's delimiter with
//! `/`, and with delimiter `.` both `Lists/rust` and `Lists.rust` derive `Lists/rust`. Deriving
//! again on every run (and back again for replay) made two server folders share one local
//! folder: one folder's mail never appeared, and a change could go to the wrong server folder.
//!
//! What must hold: the mapping is injective both ways and stable. Each local folder records the
//! server name it mirrors (`folders.server_name`, unique per account in the index); a server
//! folder keeps its local folder across runs and list changes. A server folder without a
//! binding gets the derived name when no other folder holds it, else an escaped one:
//! [`escaped_name`], then `" (2)"`, `" (3)"`… on the last component. Faithful names (no literal
//! `/` inside a component) are bound first, so `Lists.rust` keeps `Lists/rust` and
//! `Lists/rust` becomes `Lists%2Frust`. Replay and body fetches resolve the wire name from
//! this mapping, never by deriving it again.

use std::collections::{HashMap, HashSet};

use super::Work;
use super::convert;
use crate::engine::EngineError;
use crate::proto::imap::{Folder, FolderRole};
use crate::store::{FolderId, FolderState, StoreError};

/// The server folders by local name, for one session's work.
pub(super) struct ServerFolders {
    by_local: HashMap<String, Folder>,
    local_of: HashMap<String, String>,
    /// The server's Trash: its wire name, and its local name when it has a local folder.
    pub trash: Option<(String, Option<String>)>,
    pub delimiter: Option<char>,
    /// `INBOX.` when the server keeps every folder under INBOX (Courier, Cyrus): new folders
    /// are made there ([`super::create`]).
    pub personal: Option<String>,
}

impl ServerFolders {
    /// The server folder mirrored by local folder `local`.
    pub fn get(&self, local: &str) -> Option<&Folder> {
        self.by_local.get(local)
    }

    /// The local name of the server folder spelled `wire`.
    pub fn local_name(&self, wire: &str) -> Option<&str> {
        self.local_of.get(wire).map(String::as_str)
    }

    /// A selectable server folder with special-use `role` (e.g. Sent), if the server has one.
    pub fn with_role(&self, role: FolderRole) -> Option<&Folder> {
        self.by_local
            .values()
            .find(|f| f.selectable && f.role == Some(role))
    }

    pub fn contains_local(&self, local: &str) -> bool {
        self.by_local.contains_key(local)
    }

    /// The wire name for a new server folder mirroring local-only folder `local` (a folder
    /// made here, e.g. by a move): derived, under the personal prefix when the server has one
    /// (`Archive` -> `INBOX.Archive`), and refused when that name is already another local
    /// folder's server folder (the change would land in the wrong folder).
    pub fn new_server_name(&self, local: &str) -> Option<String> {
        let mut wire =
            convert::server_name(local, self.delimiter.map(|d| d.to_string()).as_deref());
        if let Some(prefix) = &self.personal
            && !wire.eq_ignore_ascii_case("INBOX")
            && !super::create::under(&wire, prefix)
        {
            wire = format!("{prefix}{wire}");
        }
        match self.local_of.get(&wire) {
            Some(other) if other != local => None,
            _ => Some(wire),
        }
    }

    /// Records a server folder made by this session for local folder `local`.
    pub fn insert(&mut self, local: &str, folder: Folder) {
        self.local_of.insert(folder.name.clone(), local.to_owned());
        self.by_local.insert(local.to_owned(), folder);
    }
}

/// One selectable server folder to sync: its local folder id, local name and wire name.
pub(super) type Target = (FolderId, String, String);

/// Binds every listed server folder to a local folder (creating and recording what is new)
/// and returns the mapping plus the selectable folders to sync. Folders whose name cannot be
/// a local directory are skipped with a warning.
pub(super) fn map_folders(
    work: &mut Work<'_>,
    listed: &[Folder],
) -> Result<(ServerFolders, Vec<Target>), EngineError> {
    let account = work.account.name.clone();
    let stored = work.store.folder_states(&account)?;
    let bound: HashMap<String, (FolderId, String)> = stored
        .iter()
        .filter_map(|(id, name, st)| {
            st.server_name
                .clone()
                .map(|s| (wire_key(&s), (*id, name.clone())))
        })
        .collect();
    // Local names held by a binding (to a server folder listed now or not).
    let mut taken: HashSet<String> = stored
        .iter()
        .filter(|(_, _, st)| st.server_name.is_some())
        .map(|(_, name, _)| name.clone())
        .collect();
    let mut map = ServerFolders {
        by_local: HashMap::new(),
        local_of: HashMap::new(),
        trash: None,
        delimiter: listed.iter().find_map(|f| f.delimiter),
        personal: super::create::personal_prefix(listed),
    };
    let mut targets = Vec::new();
    let mut unbound: Vec<&Folder> = Vec::new();
    for f in listed.iter().filter(|f| f.selectable) {
        match bound.get(&wire_key(&f.name)) {
            Some((id, local)) => {
                record_state(work, *id, f, None)?;
                map.insert(local, f.clone());
                targets.push((*id, local.clone(), f.name.clone()));
            }
            None => unbound.push(f),
        }
    }
    unbound.sort_by_key(|f| (!faithful(f), f.name.clone()));
    for f in unbound {
        let Some(local) = free_name(f, map.personal.as_deref(), &taken) else {
            continue;
        };
        let id = match work.store.ensure_folder(&account, &local) {
            Ok(id) => id,
            Err(StoreError::BadFolderName(_)) => {
                work.summary.warnings.push(format!(
                    "folder {local:?} cannot be stored locally (its name is not a safe \
                     directory name); skipped"
                ));
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        record_state(work, id, f, Some(wire_key(&f.name)))?;
        taken.insert(local.clone());
        map.insert(&local, f.clone());
        targets.push((id, local, f.name.clone()));
    }
    // Hierarchy nodes (\Noselect) have no local folder; a move may still name them.
    for f in listed.iter().filter(|f| !f.selectable) {
        let local = convert::store_name(&personal_form(f, map.personal.as_deref()));
        if !map.by_local.contains_key(&local) && !map.local_of.contains_key(&f.name) {
            map.insert(&local, f.clone());
        }
    }
    map.trash = listed
        .iter()
        .find(|f| f.role == Some(FolderRole::Trash) && f.selectable)
        .map(|f| (f.name.clone(), map.local_name(&f.name).map(str::to_owned)));
    Ok((map, targets))
}

fn record_state(
    work: &mut Work<'_>,
    id: FolderId,
    f: &Folder,
    server_name: Option<String>,
) -> Result<(), EngineError> {
    work.store.set_folder_state(
        id,
        &FolderState {
            server_name,
            delimiter: f.delimiter.map(|d| d.to_string()),
            role: f.role.map(|r| convert::role(r).to_owned()),
            ..FolderState::default()
        },
    )?;
    Ok(())
}

/// INBOX is case-insensitive on the wire; every other name is exact.
fn wire_key(wire: &str) -> String {
    if wire.eq_ignore_ascii_case("INBOX") {
        "INBOX".to_owned()
    } else {
        wire.to_owned()
    }
}

/// True when no component of the server name holds a literal `/` (its derived local name
/// then has exactly the server's hierarchy).
fn faithful(f: &Folder) -> bool {
    match f.delimiter {
        Some('/') | None => true,
        Some(d) => !f.display_name.split(d).any(|c| c.contains('/')),
    }
}

/// The derived local name with every literal `/` inside a component (and every `%`, so the
/// escape cannot be forged) percent-escaped: `Lists/rust` with delimiter `.` becomes
/// `Lists%2Frust`.
pub(super) fn escaped_name(f: &Folder) -> String {
    let d = match f.delimiter {
        Some(d) if d != '/' => d,
        _ => return convert::store_name(f),
    };
    if f.name.eq_ignore_ascii_case("INBOX") {
        return "INBOX".to_owned();
    }
    f.display_name
        .split(d)
        .map(|c| c.replace('%', "%25").replace('/', "%2F"))
        .collect::<Vec<_>>()
        .join("/")
}

/// `f` as the sync names it inside the personal namespace: with `personal` = `INBOX.`
/// (Cyrus, Courier), `INBOX.Archive` is `Archive`, `INBOX.Work.Proj` `Work.Proj`, as other
/// clients show them. INBOX itself, and a folder whose short name would be INBOX, keep their
/// full names. (The IDLE watcher finds its folder's wire name by this.)
pub(crate) fn personal_form(f: &Folder, personal: Option<&str>) -> Folder {
    personal
        .and_then(|p| without_prefix(f, p))
        .filter(|inner| !inner.display_name.eq_ignore_ascii_case("INBOX"))
        .unwrap_or_else(|| f.clone())
}

/// The first local name for `f` no other folder holds: derived, escaped, then numbered. On a
/// server that keeps every folder under a personal prefix (`INBOX.` on Courier and Cyrus) the
/// name without it comes first: `INBOX.Archive` is `Archive` here, the folder a move to
/// "Archive" and the Sent copy look for (issue 15); `INBOX/Archive` only when that is taken.
fn free_name(f: &Folder, personal: Option<&str>, taken: &HashSet<String>) -> Option<String> {
    let mut candidates = Vec::new();
    if let Some(inner) = personal.and_then(|p| without_prefix(f, p)) {
        candidates.push(convert::store_name(&inner));
        candidates.push(escaped_name(&inner));
    }
    let escaped = escaped_name(f);
    candidates.push(convert::store_name(f));
    candidates.push(escaped.clone());
    candidates.extend((2..100).map(|n| format!("{escaped} ({n})")));
    // Only INBOX itself is "INBOX" here, whatever the case.
    let inbox_ok = |c: &String| !c.eq_ignore_ascii_case("INBOX") || is_inbox(f);
    candidates
        .into_iter()
        .find(|c| !taken.contains(c) && inbox_ok(c))
}

/// `f` as if it were not under `prefix` (`INBOX.Sent` -> `Sent`); None when it is not under it.
fn without_prefix(f: &Folder, prefix: &str) -> Option<Folder> {
    if !super::create::under(&f.name, prefix) || !super::create::under(&f.display_name, prefix) {
        return None;
    }
    Some(Folder {
        name: f.name[prefix.len()..].to_owned(),
        display_name: f.display_name[prefix.len()..].to_owned(),
        ..f.clone()
    })
}

fn is_inbox(f: &Folder) -> bool {
    f.name.eq_ignore_ascii_case("INBOX")
}

/// [`map_folders`] for work outside a sync (the live connection, folder changes): binds the
/// listed server folders to local folders; its warnings (a folder that cannot be a local
/// directory) go to the log.
pub(super) fn map_listed(
    store: &mut crate::store::Store,
    account: &crate::config::Account,
    listed: &[Folder],
) -> Result<ServerFolders, EngineError> {
    let mut summary = crate::engine::sync::SyncSummary::new(account);
    let mut work = Work {
        store,
        account,
        progress: &crate::engine::progress::NoProgress,
        summary: &mut summary,
        fetch_all: false,
    };
    let (folders, _) = map_folders(&mut work, listed)?;
    for w in &summary.warnings {
        tracing::warn!("{}: {w}", account.name);
    }
    Ok(folders)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(name: &str, delimiter: char) -> Folder {
        Folder {
            name: name.into(),
            display_name: name.into(),
            delimiter: Some(delimiter),
            attributes: vec![],
            role: None,
            selectable: true,
        }
    }

    #[test]
    fn a_literal_slash_is_escaped_and_cannot_be_forged() {
        assert_eq!(escaped_name(&folder("Lists/rust", '.')), "Lists%2Frust");
        assert_eq!(escaped_name(&folder("Lists.rust", '.')), "Lists/rust");
        assert_eq!(escaped_name(&folder("a%2Fb", '.')), "a%252Fb");
        assert_eq!(escaped_name(&folder("Lists/rust", '/')), "Lists/rust");
        assert!(faithful(&folder("Lists.rust", '.')));
        assert!(!faithful(&folder("Lists/rust", '.')));
    }

    #[test]
    fn folders_under_the_personal_prefix_are_named_without_it() {
        let named = |name: &str, personal: Option<&str>| {
            convert::store_name(&personal_form(&folder(name, '.'), personal))
        };
        assert_eq!(named("INBOX.Archive", Some("INBOX.")), "Archive");
        assert_eq!(named("inbox.Work.Proj", Some("INBOX.")), "Work/Proj");
        assert_eq!(named("INBOX", Some("INBOX.")), "INBOX");
        assert_eq!(named("INBOX.INBOX", Some("INBOX.")), "INBOX/INBOX");
        assert_eq!(named("INBOX.Archive", None), "INBOX/Archive");
        let mut cafe = folder("INBOX.Caf&AOk-", '.');
        cafe.display_name = "INBOX.Café".into();
        let short = personal_form(&cafe, Some("INBOX."));
        assert_eq!(
            (short.name.as_str(), short.display_name.as_str()),
            ("Caf&AOk-", "Café")
        );
    }

    #[test]
    fn free_names_never_repeat() {
        let mut taken = HashSet::new();
        let mut seen = Vec::new();
        for name in ["Lists.rust", "Lists/rust", "Lists%2Frust"] {
            let f = folder(name, '.');
            let local = free_name(&f, None, &taken).unwrap();
            taken.insert(local.clone());
            seen.push(local);
        }
        assert_eq!(seen, ["Lists/rust", "Lists%2Frust", "Lists%252Frust"]);
        let again = free_name(&folder("Lists/rust", '.'), None, &taken).unwrap();
        assert_eq!(again, "Lists%2Frust (2)");
    }

    #[test]
    fn under_a_personal_prefix_the_name_without_it_comes_first() {
        let mut taken = HashSet::new();
        let sent = free_name(&folder("INBOX.Sent", '.'), Some("INBOX."), &taken).unwrap();
        assert_eq!(sent, "Sent");
        let nested = free_name(&folder("INBOX.Lists.rust", '.'), Some("INBOX."), &taken);
        assert_eq!(nested.as_deref(), Some("Lists/rust"));
        taken.insert("Archive".to_owned());
        let archive = free_name(&folder("INBOX.Archive", '.'), Some("INBOX."), &taken);
        assert_eq!(
            archive.as_deref(),
            Some("INBOX/Archive"),
            "when Archive is taken"
        );
        taken.insert("INBOX".to_owned());
        let odd = free_name(&folder("INBOX.INBOX", '.'), Some("INBOX."), &taken);
        assert_eq!(odd.as_deref(), Some("INBOX/INBOX"), "never a second INBOX");
        let fresh = HashSet::new();
        let odd = free_name(&folder("INBOX.inbox", '.'), Some("INBOX."), &fresh);
        assert_eq!(
            odd.as_deref(),
            Some("INBOX/inbox"),
            "not even before INBOX is bound"
        );
    }
}

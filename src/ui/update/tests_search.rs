//! `update()` and the server search: a submitted search asks the servers too, their answer
//! reloads the list it belongs to (the backend adds the hits to its pages) and says what was
//! found or what could not be searched.

use crossterm::event::KeyCode;

use super::*;
use crate::ui::fixtures::*;
use crate::ui::protocol::{SearchScope, ServerSearch};
use crate::ui::types::*;

fn all(query: &str) -> ListSource {
    ListSource::Search {
        scope: SearchScope::AllAccounts,
        query: query.into(),
    }
}

#[test]
fn a_submitted_search_asks_the_servers_but_typing_a_filter_does_not() {
    let (mut m, fake) = started(10);
    let typed = fake.keys(&mut m, "/lunch");
    assert!(
        !typed.iter().any(|c| matches!(c, Command::SearchServer(_))),
        "{typed:?}"
    );
    let submitted = fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    let folder = ListSource::Search {
        scope: SearchScope::Folder(FolderRef::new("work", "INBOX")),
        query: "lunch".into(),
    };
    assert_eq!(submitted, vec![Command::SearchServer(folder)]);

    fake.keys(&mut m, "Ssmörgåsbord");
    let submitted = fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    assert_eq!(submitted, vec![Command::SearchServer(all("smörgåsbord"))]);
}

#[test]
fn server_hits_reload_their_list_and_say_how_many() {
    let (mut m, fake) = started(10);
    fake.keys(&mut m, "Ssmörgåsbord");
    fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    let before = m.list.as_ref().unwrap().generation;

    // An answer for another list (the user searched again since) changes nothing.
    let stale = update(
        &mut m,
        Msg::Backend(Event::ServerSearched {
            source: all("other"),
            result: Ok(ServerSearch {
                added: 5,
                unsearched: 0,
            }),
        }),
    );
    assert!(stale.is_empty());
    assert_eq!(m.list.as_ref().unwrap().generation, before);

    let cmds = update(
        &mut m,
        Msg::Backend(Event::ServerSearched {
            source: all("smörgåsbord"),
            result: Ok(ServerSearch {
                added: 199,
                unsearched: 0,
            }),
        }),
    );
    let generation = m.list.as_ref().unwrap().generation;
    assert!(generation > before);
    assert!(
        cmds.iter().any(|c| matches!(c, Command::LoadPage(r)
            if r.source == all("smörgåsbord") && r.generation == generation)),
        "{cmds:?}"
    );
    let status = m.status.as_ref().unwrap();
    assert_eq!(status.text, "199 messages more found on the server");
}

#[test]
fn what_no_server_searched_is_said_and_nothing_reloads() {
    let (mut m, fake) = started(10);
    fake.keys(&mut m, "Slunch");
    fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    let cmds = update(
        &mut m,
        Msg::Backend(Event::ServerSearched {
            source: all("lunch"),
            result: Ok(ServerSearch {
                added: 0,
                unsearched: 3400,
            }),
        }),
    );
    assert!(cmds.is_empty());
    let status = m.status.as_ref().unwrap();
    assert!(
        status
            .text
            .starts_with("3400 messages' bodies are not downloaded and not searched"),
        "{}",
        status.text
    );
    let e = BackendError::new(crate::error::ErrorKind::Network, "work: cannot connect");
    update(
        &mut m,
        Msg::Backend(Event::ServerSearched {
            source: all("lunch"),
            result: Err(e),
        }),
    );
    assert!(m.status.as_ref().unwrap().error);
}

#[test]
fn server_hits_fill_a_search_the_local_index_found_nothing_for() {
    let (mut m, fake) = started(10);
    fake.keys(&mut m, "Ssmörgåsbord");
    let cmds = update(&mut m, Msg::Key(key(KeyCode::Enter)));
    let Some(Command::LoadPage(req)) = cmds.first().cloned() else {
        panic!("{cmds:?}")
    };
    update(
        &mut m,
        Msg::Backend(Event::Page {
            request: req.clone(),
            result: Ok(crate::ui::protocol::Page {
                offset: 0,
                total: 0,
                rows: Vec::new(),
            }),
        }),
    );
    assert_eq!(m.list.as_ref().unwrap().total, Some(0));
    let cmds = update(
        &mut m,
        Msg::Backend(Event::ServerSearched {
            source: all("smörgåsbord"),
            result: Ok(ServerSearch {
                added: 12,
                unsearched: 0,
            }),
        }),
    );
    assert!(
        cmds.iter().any(|c| matches!(c, Command::LoadPage(r)
            if r.source == all("smörgåsbord") && r.generation > req.generation)),
        "{cmds:?}"
    );
}

//! Key bindings: the actions, their vim-like defaults, the `[keys]` overrides from the config,
//! key-spec parsing ("j", "C-d", "S-Tab", "Enter") and the lookup `update` uses.
//!
//! Pure data: no terminal access. The `?` help overlay is generated from [`Keymap::bindings`],
//! so it always shows the keys actually in force.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Which key table an action belongs to: reading mail, or the compose screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    Normal,
    Compose,
}

macro_rules! actions {
    ($($variant:ident, $name:literal, $mode:ident, $keys:literal, $help:literal;)*) => {
        /// Everything a key can be bound to.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action { $($variant),* }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant),*];
            /// The name used in the config's `[keys]` table.
            pub fn name(self) -> &'static str { match self { $(Action::$variant => $name),* } }
            pub fn mode(self) -> Mode { match self { $(Action::$variant => Mode::$mode),* } }
            /// Default keys, space separated.
            pub fn default_keys(self) -> &'static str { match self { $(Action::$variant => $keys),* } }
            /// One line for the help overlay.
            pub fn help(self) -> &'static str { match self { $(Action::$variant => $help),* } }
        }
    };
}

actions! {
    Down, "down", Normal, "j Down", "next message / folder, scroll down";
    Up, "up", Normal, "k Up", "previous message / folder, scroll up";
    Top, "top", Normal, "g Home", "first";
    Bottom, "bottom", Normal, "G End", "last";
    PageDown, "page_down", Normal, "C-f PageDown", "one page down";
    PageUp, "page_up", Normal, "C-b PageUp", "one page up";
    HalfPageDown, "half_page_down", Normal, "C-d", "half a page down";
    HalfPageUp, "half_page_up", Normal, "C-u", "half a page up";
    Open, "open", Normal, "Enter", "open the folder / message";
    Back, "back", Normal, "Esc", "close the message, clear the filter, leave the search";
    Quit, "quit", Normal, "q", "close the message; quit from the list";
    NextPane, "next_pane", Normal, "Tab", "next pane";
    PrevPane, "prev_pane", Normal, "S-Tab", "previous pane";
    Search, "search", Normal, "/", "filter the folder live; in a message: find text";
    SearchNext, "search_next", Normal, "n", "next match";
    SearchPrev, "search_prev", Normal, "N", "previous match";
    SearchAll, "search_all", Normal, "S", "search all accounts";
    Compose, "compose", Normal, "c", "write a new message";
    Reply, "reply", Normal, "r", "reply to the sender";
    ReplyAll, "reply_all", Normal, "R", "reply to all";
    Forward, "forward", Normal, "f", "forward";
    ForwardAttachment, "forward_attachment", Normal, "A", "forward as an attachment (message/rfc822)";
    ListReply, "list_reply", Normal, "L", "reply to the mailing list (List-Post)";
    EditDraft, "edit_draft", Normal, "e", "edit the draft in the composer";
    Delete, "delete", Normal, "d", "delete (to Trash)";
    Move, "move", Normal, "m", "move to a folder";
    Flag, "flag", Normal, "s", "toggle the flagged (starred) mark";
    ToggleUnread, "toggle_unread", Normal, "u", "toggle read / unread";
    Undo, "undo", Normal, "z", "undo the last delete, move or flag change";
    Tag, "tag", Normal, "T", "tag / untag the message; d m s u then act on all tagged";
    TagThread, "tag_thread", Normal, "C-t", "tag the whole thread (untag it when all are tagged)";
    ToggleThread, "toggle_thread", Normal, "Space", "collapse / expand the thread";
    ToggleThreads, "toggle_threads", Normal, "t", "threaded / flat list";
    SortNext, "sort_next", Normal, "o", "sort by date, sender, subject, size";
    SortReverse, "sort_reverse", Normal, "O", "reverse the sort (▼ newest / largest / Z-A first)";
    ToggleReader, "toggle_reader", Normal, "Z", "read messages full-screen / beside the list";
    ToggleFolderPane, "toggle_folder_pane", Normal, "B", "hide / show the folder pane";
    AttachmentNext, "attachment_next", Normal, "]", "select the next attachment";
    AttachmentPrev, "attachment_prev", Normal, "[", "select the previous attachment";
    SaveAttachment, "save_attachment", Normal, "w", "save the selected attachment to a path";
    OpenAttachment, "open_attachment", Normal, "v", "open the selected attachment (mailcap, else xdg-open)";
    Pipe, "pipe", Normal, "|", "pipe the message to a command (!cmd: in the terminal)";
    ToggleHeaders, "toggle_headers", Normal, "h", "every header of the message / the usual ones";
    Raw, "raw", Normal, "H", "the message's raw bytes (Esc or H returns)";
    SaveMessage, "save_message", Normal, "W", "save the message to an mbox file, or as .eml in a dir/";
    Sync, "sync", Normal, "$", "sync all accounts now";
    OutboxRetry, "outbox_retry", Normal, "F", "in the Outbox: send the message now (d drops it)";
    Command, "command", Normal, ":", "command line";
    Help, "help", Normal, "?", "this help";
    Redraw, "redraw", Normal, "C-l", "redraw the screen";
    Suspend, "suspend", Normal, "C-z", "suspend to the shell";
    ComposeSend, "compose_send", Compose, "C-x", "send the message";
    ComposeSave, "compose_save", Compose, "C-s", "save as draft";
    ComposeEditor, "compose_editor", Compose, "C-e", "edit in $VISUAL / $EDITOR";
    ComposeAttach, "compose_attach", Compose, "C-a", "attach a file";
    ComposeDetach, "compose_detach", Compose, "C-r", "remove the selected attachment";
    ComposeNextAttachment, "compose_next_attachment", Compose, "C-o", "select the next attachment";
    ComposeNextIdentity, "compose_next_identity", Compose, "C-g", "send from the next identity (From)";
    ComposeNextField, "compose_next_field", Compose, "Tab", "next field (accepts a completion)";
    ComposePrevField, "compose_prev_field", Compose, "S-Tab", "previous field";
    ComposeCancel, "compose_cancel", Compose, "Esc", "close the editor (asks first)";
    ComposeToggleSign, "compose_sign", Compose, "A-s", "OpenPGP: sign the message on/off";
    ComposeToggleEncrypt, "compose_encrypt", Compose, "A-e", "OpenPGP: encrypt the message on/off";
}

impl Action {
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.name() == name)
    }
}

/// One key with its modifiers, normalised so that a typed `G` (Shift+g) equals the spec "G".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: KeyCodeOrd,
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
}

/// The key codes a binding can name (an ordered mirror of the useful part of crossterm's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCodeOrd {
    Char(char),
    F(u8),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Insert,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
}

const NAMED: &[(&str, KeyCodeOrd)] = &[
    ("Enter", KeyCodeOrd::Enter),
    ("Esc", KeyCodeOrd::Esc),
    ("Tab", KeyCodeOrd::Tab),
    ("Backspace", KeyCodeOrd::Backspace),
    ("Delete", KeyCodeOrd::Delete),
    ("Del", KeyCodeOrd::Delete),
    ("Insert", KeyCodeOrd::Insert),
    ("Up", KeyCodeOrd::Up),
    ("Down", KeyCodeOrd::Down),
    ("Left", KeyCodeOrd::Left),
    ("Right", KeyCodeOrd::Right),
    ("Home", KeyCodeOrd::Home),
    ("End", KeyCodeOrd::End),
    ("PageUp", KeyCodeOrd::PageUp),
    ("PageDown", KeyCodeOrd::PageDown),
    ("Space", KeyCodeOrd::Char(' ')),
];

impl Key {
    fn new(code: KeyCodeOrd, ctrl: bool, alt: bool, shift: bool) -> Key {
        Key {
            code,
            ctrl,
            alt,
            shift,
        }
        .normalised()
    }

    /// Shift is part of a character itself ("G"), and Shift+Tab is BackTab.
    fn normalised(mut self) -> Key {
        match self.code {
            KeyCodeOrd::Char(c) => {
                if self.shift && c.is_ascii_lowercase() {
                    self.code = KeyCodeOrd::Char(c.to_ascii_uppercase());
                }
                self.shift = false;
            }
            KeyCodeOrd::Tab if self.shift => {
                self.code = KeyCodeOrd::BackTab;
                self.shift = false;
            }
            KeyCodeOrd::BackTab => self.shift = false,
            _ => {}
        }
        self
    }

    /// The key a terminal event stands for, if it is one a binding can name.
    pub fn from_event(ev: &KeyEvent) -> Option<Key> {
        let code = match ev.code {
            KeyCode::Char(c) => KeyCodeOrd::Char(c),
            KeyCode::F(n) => KeyCodeOrd::F(n),
            KeyCode::Enter => KeyCodeOrd::Enter,
            KeyCode::Esc => KeyCodeOrd::Esc,
            KeyCode::Tab => KeyCodeOrd::Tab,
            KeyCode::BackTab => KeyCodeOrd::BackTab,
            KeyCode::Backspace => KeyCodeOrd::Backspace,
            KeyCode::Delete => KeyCodeOrd::Delete,
            KeyCode::Insert => KeyCodeOrd::Insert,
            KeyCode::Up => KeyCodeOrd::Up,
            KeyCode::Down => KeyCodeOrd::Down,
            KeyCode::Left => KeyCodeOrd::Left,
            KeyCode::Right => KeyCodeOrd::Right,
            KeyCode::Home => KeyCodeOrd::Home,
            KeyCode::End => KeyCodeOrd::End,
            KeyCode::PageUp => KeyCodeOrd::PageUp,
            KeyCode::PageDown => KeyCodeOrd::PageDown,
            _ => return None,
        };
        let m = ev.modifiers;
        Some(Key::new(
            code,
            m.contains(KeyModifiers::CONTROL),
            m.contains(KeyModifiers::ALT),
            m.contains(KeyModifiers::SHIFT),
        ))
    }

    /// Parse a key spec: optional `C-`, `A-`/`M-`, `S-` prefixes, then one character or a name
    /// (`Enter`, `Esc`, `Tab`, `Space`, `Backspace`, `Delete`, arrows, `Home`, `End`, `PageUp`,
    /// `PageDown`, `Insert`, `F1`..`F12`).
    pub fn parse(spec: &str) -> Result<Key, String> {
        let (mut ctrl, mut alt, mut shift) = (false, false, false);
        let mut rest = spec;
        loop {
            if rest.chars().count() > 2 || (rest.len() == 2 && rest.ends_with('-')) {
                if let Some(r) = rest.strip_prefix("C-") {
                    ctrl = true;
                    rest = r;
                    continue;
                }
                if let Some(r) = rest.strip_prefix("A-").or_else(|| rest.strip_prefix("M-")) {
                    alt = true;
                    rest = r;
                    continue;
                }
                if let Some(r) = rest.strip_prefix("S-") {
                    shift = true;
                    rest = r;
                    continue;
                }
            }
            break;
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (None, _) => return Err("empty key".to_string()),
            (Some(c), None) if !c.is_control() => KeyCodeOrd::Char(c),
            _ => {
                if let Some((_, code)) = NAMED.iter().find(|(n, _)| n.eq_ignore_ascii_case(rest)) {
                    *code
                } else if let Some(n) = rest
                    .strip_prefix(['F', 'f'])
                    .and_then(|n| n.parse::<u8>().ok())
                    .filter(|n| (1..=24).contains(n))
                {
                    KeyCodeOrd::F(n)
                } else {
                    return Err(format!(
                        "unknown key name {rest:?} (use one character, C-/A-/S- prefixes, or Enter, \
                         Esc, Tab, Space, Backspace, Delete, Insert, Up, Down, Left, Right, Home, \
                         End, PageUp, PageDown, F1-F24)"
                    ));
                }
            }
        };
        Ok(Key::new(code, ctrl, alt, shift))
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("C-")?;
        }
        if self.alt {
            f.write_str("A-")?;
        }
        if self.shift {
            f.write_str("S-")?;
        }
        match self.code {
            KeyCodeOrd::Char(' ') => f.write_str("Space"),
            KeyCodeOrd::Char(c) => write!(f, "{c}"),
            KeyCodeOrd::F(n) => write!(f, "F{n}"),
            KeyCodeOrd::BackTab => f.write_str("S-Tab"),
            other => {
                let name = NAMED
                    .iter()
                    .find(|(_, c)| *c == other)
                    .map_or("?", |(n, _)| n);
                f.write_str(name)
            }
        }
    }
}

/// A problem in the config's `[keys]` table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeymapError {
    #[error("[keys]: unknown action {name:?} (known actions: {known})")]
    UnknownAction { name: String, known: String },
    #[error("[keys]: cannot parse key {spec:?} for {action}: {reason}")]
    BadKey {
        action: String,
        spec: String,
        reason: String,
    },
    #[error("[keys]: {key} is bound to both {first} and {second}")]
    Conflict {
        key: String,
        first: String,
        second: String,
    },
}

impl KeymapError {
    pub fn kind(&self) -> crate::error::ErrorKind {
        crate::error::ErrorKind::Config
    }
}

/// The keys in force: per mode, key -> action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    map: HashMap<(Mode, Key), Action>,
}

impl Default for Keymap {
    fn default() -> Self {
        let mut map = HashMap::new();
        for &action in Action::ALL {
            for spec in action.default_keys().split_whitespace() {
                if let Ok(key) = Key::parse(spec) {
                    map.insert((action.mode(), key), action);
                }
            }
        }
        Keymap { map }
    }
}

impl Keymap {
    /// The defaults with the config's `[keys]` table applied: `action = "key [key...]"`. An
    /// action named there loses its default keys; a key taken from another action's defaults
    /// moves to the named one. Two named actions claiming one key is an error.
    pub fn from_config(keys: &BTreeMap<String, String>) -> Result<Keymap, KeymapError> {
        let mut km = Keymap::default();
        let mut claimed: HashMap<(Mode, Key), Action> = HashMap::new();
        for (name, specs) in keys {
            let action = Action::from_name(name).ok_or_else(|| KeymapError::UnknownAction {
                name: name.clone(),
                known: Action::ALL
                    .iter()
                    .map(|a| a.name())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
            km.map.retain(|_, a| *a != action);
            let parsed: Vec<Key> = specs
                .split_whitespace()
                .map(|spec| {
                    Key::parse(spec).map_err(|reason| KeymapError::BadKey {
                        action: name.clone(),
                        spec: spec.to_string(),
                        reason,
                    })
                })
                .collect::<Result<_, _>>()?;
            if parsed.is_empty() {
                return Err(KeymapError::BadKey {
                    action: name.clone(),
                    spec: specs.clone(),
                    reason: "no key given".to_string(),
                });
            }
            for key in parsed {
                if let Some(first) = claimed.insert((action.mode(), key), action)
                    && first != action
                {
                    return Err(KeymapError::Conflict {
                        key: key.to_string(),
                        first: first.name().to_string(),
                        second: name.clone(),
                    });
                }
            }
        }
        for ((mode, key), action) in claimed {
            km.map.insert((mode, key), action);
        }
        Ok(km)
    }

    /// The action bound to a key event in a mode.
    pub fn action(&self, mode: Mode, ev: &KeyEvent) -> Option<Action> {
        Key::from_event(ev).and_then(|k| self.map.get(&(mode, k)).copied())
    }

    /// Every action of a mode with its keys (sorted), in declaration order; for the help overlay.
    pub fn bindings(&self, mode: Mode) -> Vec<(Action, Vec<Key>)> {
        Action::ALL
            .iter()
            .filter(|a| a.mode() == mode)
            .map(|&a| {
                let mut keys: Vec<Key> = self
                    .map
                    .iter()
                    .filter(|(_, b)| **b == a)
                    .map(|((_, k), _)| *k)
                    .collect();
                keys.sort();
                (a, keys)
            })
            .collect()
    }

    /// The keys of one action joined for display ("j/Down"), or "" when unbound.
    pub fn keys_for(&self, action: Action) -> String {
        let mut keys: Vec<Key> = self
            .map
            .iter()
            .filter(|(_, b)| **b == action)
            .map(|((_, k), _)| *k)
            .collect();
        keys.sort();
        keys.iter()
            .map(Key::to_string)
            .collect::<Vec<_>>()
            .join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, m)
    }

    #[test]
    fn parses_specs() {
        assert_eq!(Key::parse("C-d").unwrap().to_string(), "C-d");
        assert_eq!(Key::parse("S-Tab").unwrap().code, KeyCodeOrd::BackTab);
        assert_eq!(Key::parse("enter").unwrap().code, KeyCodeOrd::Enter);
        assert_eq!(Key::parse("-").unwrap().code, KeyCodeOrd::Char('-'));
        assert_eq!(
            Key::parse("C--").unwrap(),
            Key::new(KeyCodeOrd::Char('-'), true, false, false)
        );
        assert_eq!(Key::parse("S-g").unwrap(), Key::parse("G").unwrap());
        assert_eq!(Key::parse("F5").unwrap().code, KeyCodeOrd::F(5));
        assert!(Key::parse("Hyper").is_err());
        assert!(Key::parse("").is_err());
    }

    #[test]
    fn defaults_resolve_typed_keys() {
        let km = Keymap::default();
        assert_eq!(
            km.action(Mode::Normal, &ev(KeyCode::Char('j'), KeyModifiers::NONE)),
            Some(Action::Down)
        );
        assert_eq!(
            km.action(Mode::Normal, &ev(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
        assert_eq!(
            km.action(Mode::Normal, &ev(KeyCode::BackTab, KeyModifiers::SHIFT)),
            Some(Action::PrevPane)
        );
        assert_eq!(
            km.action(Mode::Normal, &ev(KeyCode::Char('d'), KeyModifiers::CONTROL)),
            Some(Action::HalfPageDown)
        );
        assert_eq!(
            km.action(
                Mode::Compose,
                &ev(KeyCode::Char('x'), KeyModifiers::CONTROL)
            ),
            Some(Action::ComposeSend)
        );
        assert_eq!(
            km.action(Mode::Compose, &ev(KeyCode::Char('j'), KeyModifiers::NONE)),
            None
        );
    }

    #[test]
    fn no_default_key_is_bound_twice() {
        let mut seen = HashMap::new();
        for &a in Action::ALL {
            for spec in a.default_keys().split_whitespace() {
                let k = Key::parse(spec).unwrap();
                assert_eq!(seen.insert((a.mode(), k), a), None, "{spec} bound twice");
            }
        }
    }

    #[test]
    fn overrides_replace_and_steal() {
        let keys = BTreeMap::from([
            ("down".to_string(), "J".to_string()),
            ("delete".to_string(), "x Delete".to_string()),
            ("top".to_string(), "d".to_string()),
        ]);
        let km = Keymap::from_config(&keys).unwrap();
        let n = |c| km.action(Mode::Normal, &ev(KeyCode::Char(c), KeyModifiers::NONE));
        assert_eq!(n('j'), None);
        assert_eq!(
            km.action(Mode::Normal, &ev(KeyCode::Char('J'), KeyModifiers::SHIFT)),
            Some(Action::Down)
        );
        assert_eq!(n('x'), Some(Action::Delete));
        assert_eq!(n('d'), Some(Action::Top));
        assert_eq!(n('g'), None);
        assert_eq!(km.keys_for(Action::Delete), "x/Delete");
    }

    #[test]
    fn config_errors_are_clear() {
        let bad = |k: &str, v: &str| {
            Keymap::from_config(&BTreeMap::from([(k.to_string(), v.to_string())]))
                .unwrap_err()
                .to_string()
        };
        assert!(
            bad("jump", "j")
                .starts_with("[keys]: unknown action \"jump\" (known actions: down, up")
        );
        assert_eq!(
            bad("down", "C-Hyper"),
            "[keys]: cannot parse key \"C-Hyper\" for down: unknown key name \"Hyper\" (use one \
             character, C-/A-/S- prefixes, or Enter, Esc, Tab, Space, Backspace, Delete, Insert, \
             Up, Down, Left, Right, Home, End, PageUp, PageDown, F1-F24)"
        );
        let two = BTreeMap::from([
            ("down".to_string(), "x".to_string()),
            ("up".to_string(), "x".to_string()),
        ]);
        assert_eq!(
            Keymap::from_config(&two).unwrap_err().to_string(),
            "[keys]: x is bound to both down and up"
        );
    }
}

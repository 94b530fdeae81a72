//! A one-line text input (the command line, prompts, the search field, compose header fields).
//! Pure state; the cursor counts characters, not bytes.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineInput {
    text: String,
    /// Cursor position in characters, 0..=len.
    cursor: usize,
}

/// What a key did to the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// The text changed.
    Changed,
    /// Only the cursor moved.
    Moved,
    /// Not an editing key; the caller decides.
    Ignored,
}

impl LineInput {
    pub fn new(text: impl Into<String>) -> Self {
        let text = text.into();
        let cursor = text.chars().count();
        LineInput { text, cursor }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// The part of the text to show in `width` columns so the cursor stays visible, and the
    /// cursor's column within it. Counts characters (wide characters may shift it a little).
    pub fn visible(&self, width: usize) -> (String, usize) {
        let width = width.max(1);
        let start = (self.cursor + 1).saturating_sub(width);
        let shown: String = self.text.chars().skip(start).take(width).collect();
        (shown, self.cursor - start)
    }

    pub fn set(&mut self, text: impl Into<String>) {
        *self = LineInput::new(text);
    }

    fn byte_at(&self, chars: usize) -> usize {
        self.text
            .char_indices()
            .nth(chars)
            .map_or(self.text.len(), |(i, _)| i)
    }

    pub fn insert(&mut self, c: char) {
        let at = self.byte_at(self.cursor);
        self.text.insert(at, c);
        self.cursor += 1;
    }

    /// The text from the last separator (`,` or `;`) before the cursor to the cursor, trimmed:
    /// the address being typed, for completion.
    pub fn current_token(&self) -> &str {
        let end = self.byte_at(self.cursor);
        let start = self.text[..end].rfind([',', ';']).map_or(0, |i| i + 1);
        self.text[start..end].trim_start()
    }

    /// Replace the token [`Self::current_token`] returns by `with`.
    pub fn replace_current_token(&mut self, with: &str) {
        let end = self.byte_at(self.cursor);
        let start = self.text[..end].rfind([',', ';']).map_or(0, |i| i + 1);
        let lead = if start == 0 { "" } else { " " };
        let new = format!("{}{lead}{with}", &self.text[..start]);
        let rest = self.text[end..].to_string();
        self.cursor = new.chars().count();
        self.text = new + &rest;
    }

    /// Apply an editing key: characters, Backspace, Delete, Left/Right, Home/End, C-a, C-e,
    /// C-u (delete to start), C-k (delete to end), C-w (delete word).
    pub fn handle(&mut self, key: &KeyEvent) -> Edit {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let len = self.text.chars().count();
        match key.code {
            KeyCode::Char('a') if ctrl => self.cursor = 0,
            KeyCode::Char('e') if ctrl => self.cursor = len,
            KeyCode::Char('u') if ctrl => {
                let at = self.byte_at(self.cursor);
                self.text.drain(..at);
                self.cursor = 0;
                return Edit::Changed;
            }
            KeyCode::Char('k') if ctrl => {
                let at = self.byte_at(self.cursor);
                self.text.truncate(at);
                return Edit::Changed;
            }
            KeyCode::Char('w') if ctrl => {
                let chars: Vec<char> = self.text.chars().collect();
                let mut start = self.cursor;
                while start > 0 && chars[start - 1] == ' ' {
                    start -= 1;
                }
                while start > 0 && chars[start - 1] != ' ' {
                    start -= 1;
                }
                let (a, b) = (self.byte_at(start), self.byte_at(self.cursor));
                self.text.drain(a..b);
                self.cursor = start;
                return Edit::Changed;
            }
            KeyCode::Char(c) if !ctrl && !key.modifiers.contains(KeyModifiers::ALT) => {
                self.insert(c);
                return Edit::Changed;
            }
            KeyCode::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                let at = self.byte_at(self.cursor);
                self.text.remove(at);
                return Edit::Changed;
            }
            KeyCode::Delete if self.cursor < len => {
                let at = self.byte_at(self.cursor);
                self.text.remove(at);
                return Edit::Changed;
            }
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(len),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = len,
            KeyCode::Backspace | KeyCode::Delete => return Edit::Moved,
            _ => return Edit::Ignored,
        }
        Edit::Moved
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn edits_utf8() {
        let mut i = LineInput::new("héllo");
        i.handle(&k(KeyCode::Left));
        i.handle(&k(KeyCode::Backspace));
        i.handle(&k(KeyCode::Char('ł')));
        assert_eq!(i.text(), "hélło");
        i.handle(&KeyEvent::new(KeyCode::Char('w'), KeyModifiers::CONTROL));
        assert_eq!(i.text(), "o");
        assert_eq!(i.handle(&k(KeyCode::Enter)), Edit::Ignored);
    }

    #[test]
    fn scrolls_to_keep_the_cursor_visible() {
        let mut i = LineInput::new("abcdefghij");
        assert_eq!(i.visible(4), ("hij".to_string(), 3));
        i.handle(&k(KeyCode::Home));
        assert_eq!(i.visible(4), ("abcd".to_string(), 0));
    }

    #[test]
    fn completes_the_current_address() {
        let mut i = LineInput::new("a@x.test, bo");
        assert_eq!(i.current_token(), "bo");
        i.replace_current_token("Bob <bob@y.test>");
        assert_eq!(i.text(), "a@x.test, Bob <bob@y.test>");
    }
}

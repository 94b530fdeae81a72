//! The smallest XML reader that reads a Thunderbird autoconfig file: elements, attributes, text
//! and the five predefined entities plus character references.
//!
//! Why our own: an autoconfig file is a few kilobytes of flat elements, and a full XML crate
//! would bring entity expansion we must not do on a stranger's file anyway. What must hold:
//! a document type declaration (where entity bombs live) is refused, nesting is capped at
//! [`MAX_DEPTH`] and elements at [`MAX_ELEMENTS`], and the input is whatever the server sent,
//! so nothing here panics on it.

/// Deeper nesting than any autoconfig file has.
pub const MAX_DEPTH: usize = 32;
/// More elements than any autoconfig file has.
pub const MAX_ELEMENTS: usize = 10_000;

/// One element: its name (without namespace prefix handling), attributes, text and children.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    /// The element's own text (outside its children), trimmed.
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Children named `name`, in document order.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The trimmed text of the first child named `name`.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.children
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.text.as_str())
    }
}

/// Why a document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    #[error("it is not well-formed XML ({what} at byte {at})")]
    Malformed { what: &'static str, at: usize },
    #[error("it declares a document type (refused: entity expansion)")]
    Doctype,
    #[error("it nests deeper than {MAX_DEPTH} elements")]
    TooDeep,
    #[error("it has more than {MAX_ELEMENTS} elements")]
    TooManyElements,
}

/// Parses a whole document and returns its root element.
pub fn parse(text: &str) -> Result<Element, XmlError> {
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        pos: 0,
        elements: 0,
    };
    p.misc()?;
    if p.s.get(p.pos) != Some(&b'<') {
        return Err(p.err("no root element"));
    }
    let root = p.element(0)?;
    p.misc()?;
    if p.pos != p.s.len() {
        return Err(p.err("content after the root element"));
    }
    Ok(root)
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    pos: usize,
    elements: usize,
}

impl Parser<'_> {
    fn err(&self, what: &'static str) -> XmlError {
        XmlError::Malformed { what, at: self.pos }
    }

    fn starts(&self, prefix: &str) -> bool {
        self.s[self.pos..].starts_with(prefix.as_bytes())
    }

    fn skip_past(&mut self, end: &str, what: &'static str) -> Result<(), XmlError> {
        match self.text[self.pos..].find(end) {
            Some(i) => {
                self.pos += i + end.len();
                Ok(())
            }
            None => Err(self.err(what)),
        }
    }

    fn skip_space(&mut self) {
        while self
            .s
            .get(self.pos)
            .is_some_and(|b| b.is_ascii_whitespace())
        {
            self.pos += 1;
        }
    }

    /// Whitespace, comments and processing instructions between elements.
    fn misc(&mut self) -> Result<(), XmlError> {
        loop {
            self.skip_space();
            if self.starts("<?") {
                self.skip_past("?>", "an unterminated processing instruction")?;
            } else if self.starts("<!--") {
                self.skip_past("-->", "an unterminated comment")?;
            } else if self.starts("<!DOCTYPE") || self.starts("<!doctype") {
                return Err(XmlError::Doctype);
            } else {
                return Ok(());
            }
        }
    }

    fn name(&mut self) -> Result<String, XmlError> {
        let start = self.pos;
        while self.s.get(self.pos).is_some_and(|&b| {
            b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':') || b >= 0x80
        }) {
            self.pos += 1;
        }
        if start == self.pos {
            return Err(self.err("a missing name"));
        }
        Ok(self.text[start..self.pos].to_owned())
    }

    fn element(&mut self, depth: usize) -> Result<Element, XmlError> {
        if depth >= MAX_DEPTH {
            return Err(XmlError::TooDeep);
        }
        self.elements += 1;
        if self.elements > MAX_ELEMENTS {
            return Err(XmlError::TooManyElements);
        }
        self.pos += 1; // '<'
        let mut element = Element {
            name: self.name()?,
            ..Element::default()
        };
        loop {
            self.skip_space();
            match self.s.get(self.pos) {
                Some(b'/') if self.s.get(self.pos + 1) == Some(&b'>') => {
                    self.pos += 2;
                    return Ok(element);
                }
                Some(b'>') => {
                    self.pos += 1;
                    break;
                }
                Some(_) => {
                    let name = self.name()?;
                    self.skip_space();
                    if self.s.get(self.pos) != Some(&b'=') {
                        return Err(self.err("an attribute without a value"));
                    }
                    self.pos += 1;
                    self.skip_space();
                    let quote = match self.s.get(self.pos) {
                        Some(&q @ (b'"' | b'\'')) => q,
                        _ => return Err(self.err("an unquoted attribute value")),
                    };
                    self.pos += 1;
                    let start = self.pos;
                    while self.s.get(self.pos).is_some_and(|&b| b != quote) {
                        self.pos += 1;
                    }
                    if self.pos >= self.s.len() {
                        return Err(self.err("an unterminated attribute value"));
                    }
                    let value = unescape(&self.text[start..self.pos])
                        .ok_or_else(|| self.err("an unknown entity"))?;
                    self.pos += 1;
                    element.attributes.push((name, value));
                }
                None => return Err(self.err("an unterminated start tag")),
            }
        }
        let mut text = String::new();
        loop {
            let start = self.pos;
            while self.s.get(self.pos).is_some_and(|&b| b != b'<') {
                self.pos += 1;
            }
            text.push_str(
                &unescape(&self.text[start..self.pos])
                    .ok_or_else(|| self.err("an unknown entity"))?,
            );
            if self.pos >= self.s.len() {
                return Err(self.err("an unclosed element"));
            }
            if self.starts("</") {
                self.pos += 2;
                let name = self.name()?;
                if name != element.name {
                    return Err(self.err("a mismatched end tag"));
                }
                self.skip_space();
                if self.s.get(self.pos) != Some(&b'>') {
                    return Err(self.err("an unterminated end tag"));
                }
                self.pos += 1;
                element.text = text.trim().to_owned();
                return Ok(element);
            } else if self.starts("<!--") {
                self.skip_past("-->", "an unterminated comment")?;
            } else if self.starts("<![CDATA[") {
                let start = self.pos + 9;
                self.skip_past("]]>", "an unterminated CDATA section")?;
                text.push_str(&self.text[start..self.pos - 3]);
            } else if self.starts("<?") {
                self.skip_past("?>", "an unterminated processing instruction")?;
            } else if self.starts("<!") {
                return Err(XmlError::Doctype);
            } else {
                let child = self.element(depth + 1)?;
                element.children.push(child);
            }
        }
    }
}

/// Replaces the predefined entities and character references; None for any other entity.
fn unescape(raw: &str) -> Option<String> {
    if !raw.contains('&') {
        return Some(raw.to_owned());
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let end = rest[i..].find(';')? + i;
        let entity = &rest[i + 1..end];
        let c = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = if let Some(hex) = entity.strip_prefix("#x") {
                    u32::from_str_radix(hex, 16).ok()?
                } else {
                    entity.strip_prefix('#')?.parse().ok()?
                };
                char::from_u32(code)?
            }
        };
        out.push(c);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_attributes_text_and_entities() {
        let doc = r#"<?xml version="1.0"?>
<!-- c --><a x='1' y="a&amp;b"><b>  hi &lt;there&gt; &#65;&#x42; </b><c/><![CDATA[<raw>]]></a>
"#;
        let root = parse(doc).expect("parses");
        assert_eq!(root.name, "a");
        assert_eq!(root.attribute("y"), Some("a&b"));
        assert_eq!(root.child_text("b"), Some("hi <there> AB"));
        assert_eq!(root.children.len(), 2);
        assert_eq!(root.text, "<raw>");
    }

    #[test]
    fn hostile_documents_are_refused() {
        let bomb = r#"<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>"#;
        assert_eq!(parse(bomb), Err(XmlError::Doctype));
        let deep = "<a>".repeat(100) + &"</a>".repeat(100);
        assert_eq!(parse(&deep), Err(XmlError::TooDeep));
        let wide = format!("<a>{}</a>", "<b/>".repeat(MAX_ELEMENTS + 1));
        assert_eq!(parse(&wide), Err(XmlError::TooManyElements));
        for bad in [
            "",
            "<a>",
            "<a></b>",
            "<a x=1/>",
            "<a>&foo;</a>",
            "<a/>junk",
            "<a x='",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} accepted");
        }
        // Every prefix of a good document is refused or parsed, never a panic.
        let good = "<a x='1'><b>t&amp;</b><!-- c --></a>";
        for cut in 0..good.len() {
            let _ = parse(&good[..cut]);
        }
    }
}

//! HTML as mail text: how an HTML-only message reads in the reader, in `postie read` and in the
//! quote of a reply or forward (they all go through [`crate::mail::body::body_text`], which
//! calls [`render`]).
//!
//! The shape is what a neomutt user gets from w3m/lynx dumps: paragraphs separated by a blank
//! line, headings as `# Heading`, list items one per line (`* item`, `1. item`), `> ` before
//! blockquotes, tables laid out in columns, and links kept as numbered references: the link text
//! followed by `[1]`, with a `[1]: https://…` list at the end. No URL is lost.
//!
//! Pure and total like the rest of [`crate::mail`]; the caller bounds the input.

use html2text::render::{PlainDecorator, TextDecorator};

/// [`PlainDecorator`] with links written `text [1]` instead of `[text][1]`, so the text reads
/// as prose and the reference number stands apart, and no markdown-like `*emphasis*` marks.
#[derive(Clone, Debug)]
struct LinkRefs(PlainDecorator);

/// Renders `html` as text wrapped at `width` columns, links as numbered references.
pub(crate) fn render(html: &str, width: usize) -> Result<String, html2text::Error> {
    html2text::config::with_decorator(LinkRefs(PlainDecorator::new()))
        .link_footnotes(true)
        .string_from_read(html.as_bytes(), width)
}

impl TextDecorator for LinkRefs {
    type Annotation = ();

    fn decorate_link_start(&mut self, _url: &str) -> (String, ()) {
        (String::new(), ())
    }
    // The renderer writes the reference (`[1]`) right after this.
    fn decorate_link_end(&mut self) -> String {
        " ".to_owned()
    }
    fn decorate_em_start(&self) -> (String, ()) {
        (String::new(), ())
    }
    fn decorate_em_end(&self) -> String {
        String::new()
    }
    fn decorate_strong_start(&self) -> (String, ()) {
        (String::new(), ())
    }
    fn decorate_strong_end(&self) -> String {
        String::new()
    }
    fn decorate_strikeout_start(&self) -> (String, ()) {
        (String::new(), ())
    }
    fn decorate_strikeout_end(&self) -> String {
        String::new()
    }
    fn decorate_code_start(&self) -> (String, ()) {
        (String::new(), ())
    }
    fn decorate_code_end(&self) -> String {
        String::new()
    }
    fn decorate_preformat_first(&self) {}
    fn decorate_preformat_cont(&self) {}
    fn decorate_image(&mut self, src: &str, title: &str) -> (String, ()) {
        self.0.decorate_image(src, title)
    }
    fn header_prefix(&self, level: usize) -> String {
        self.0.header_prefix(level)
    }
    fn quote_prefix(&self) -> String {
        self.0.quote_prefix()
    }
    fn unordered_item_prefix(&self) -> String {
        self.0.unordered_item_prefix()
    }
    fn ordered_item_prefix(&self, i: i64) -> String {
        self.0.ordered_item_prefix(i)
    }
    fn make_subblock_decorator(&self) -> Self {
        self.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_become_numbered_references() {
        let html = "<p>See <a href=\"https://a.test/x\">the page</a> and \
<a href=\"mailto:b@x.test\">write</a>.</p>";
        let text = render(html, 76).expect("renders");
        assert_eq!(
            text,
            "See the page [1] and write [2].\n\n[1]: https://a.test/x\n[2]: mailto:b@x.test\n"
        );
    }

    #[test]
    fn headings_paragraphs_and_lists_keep_their_lines() {
        let html = "<h1>Big Heading</h1><p>First <b>bold</b> paragraph.</p>\
<ul><li>item one</li><li>item two</li></ul><ol><li>first</li><li>second</li></ol>";
        let text = render(html, 76).expect("renders");
        assert_eq!(
            text,
            "# Big Heading\n\nFirst bold paragraph.\n* item one\n* item two\n1. first\n2. second\n"
        );
    }
}

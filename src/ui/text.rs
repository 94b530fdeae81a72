//! Text helpers shared by `update` and `view`: wrapping the message body to the pane's width
//! (so scrolling and find count the same lines that are drawn) and finding URLs.

/// How many terminal columns `s` takes, as ratatui draws it (wide CJK characters count two,
/// combining marks none).
pub fn columns(s: &str) -> usize {
    ratatui::text::Span::raw(s).width()
}

/// How many terminal columns one character takes.
pub fn char_columns(c: char) -> usize {
    let mut buf = [0u8; 4];
    columns(c.encode_utf8(&mut buf))
}

/// Split `text` into display lines no wider than `width` terminal columns, breaking at spaces
/// where possible (a wide character counts two: CJK text wraps where it reaches the edge, not
/// after `width` characters). Tabs become spaces; a `\r` before `\n` is dropped.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(8);
    let mut out = Vec::new();
    for raw in text.split('\n') {
        let line = raw.strip_suffix('\r').unwrap_or(raw).replace('\t', "    ");
        if columns(&line) <= width {
            out.push(line);
            continue;
        }
        let chars: Vec<(char, usize)> = line.chars().map(|c| (c, char_columns(c))).collect();
        let mut start = 0;
        while start < chars.len() {
            // The longest run from `start` that fits, and the last space in it that is not
            // too near its beginning (a break there would leave a stub of a line).
            let (mut end, mut used, mut space) = (start, 0, None);
            while end < chars.len() && (end == start || used + chars[end].1 <= width) {
                if chars[end].0 == ' ' && used > width / 3 {
                    space = Some(end);
                }
                used += chars[end].1;
                end += 1;
            }
            if end == chars.len() {
                out.push(chars[start..].iter().map(|(c, _)| c).collect());
                break;
            }
            let cut = space.map_or(end, |p| p + 1);
            out.push(
                chars[start..cut]
                    .iter()
                    .map(|(c, _)| c)
                    .collect::<String>()
                    .trim_end()
                    .to_string(),
            );
            start = cut;
        }
    }
    if text.ends_with('\n') {
        out.pop();
    }
    out
}

/// Byte ranges of the URLs (http, https, mailto, ftp) in a line.
pub fn find_urls(line: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(start) = ["https://", "http://", "mailto:", "ftp://"]
        .iter()
        .filter_map(|p| line[from..].find(p).map(|i| from + i))
        .min()
    {
        let rest = &line[start..];
        let mut end = start
            + rest
                .find(|c: char| c.is_whitespace() || "<>\"'`".contains(c))
                .unwrap_or(rest.len());
        // Trailing punctuation is usually the sentence's, not the URL's.
        while end > start && line[..end].ends_with(['.', ',', ';', ':', '!', '?', ')', ']']) {
            end -= 1;
        }
        if end > start {
            out.push((start, end));
        }
        from = end.max(start + 1);
    }
    out
}

/// Indices of the lines containing `needle`, ignoring case.
pub fn find_lines(lines: &[String], needle: &str) -> Vec<usize> {
    if needle.is_empty() {
        return Vec::new();
    }
    let n = needle.to_lowercase();
    lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.to_lowercase().contains(&n))
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_spaces() {
        assert_eq!(
            wrap("aaaa bbbb cccc\nx\n", 10),
            vec!["aaaa bbbb", "cccc", "x"]
        );
        assert_eq!(wrap("abcdefghijkl", 8), vec!["abcdefgh", "ijkl"]);
    }

    /// The reader gets a CRLF-stored message's text as it was parsed: every line ends in CR.
    /// No drawn line may keep it (a CR in a terminal cell moves the cursor).
    #[test]
    fn wide_characters_wrap_by_columns() {
        // Eleven CJK characters are 22 columns: at width 8, four per line (not eight).
        let lines = wrap("日本語の文章を折り返す", 8);
        assert_eq!(lines, vec!["日本語の", "文章を折", "り返す"]);
        assert!(lines.iter().all(|l| columns(l) <= 8), "{lines:?}");
        // A combining accent takes no column: "é" as e + U+0301 is one column.
        let accented = "e\u{301}".repeat(10);
        assert_eq!(wrap(&accented, 10), vec![accented.clone()]);
    }

    #[test]
    fn crlf_lines_lose_their_cr() {
        let body = "first line\r\nsecond, long enough to wrap here\r\n\r\nlast\r\n";
        let lines = wrap(body, 20);
        assert_eq!(
            lines,
            vec![
                "first line",
                "second, long enough",
                "to wrap here",
                "",
                "last"
            ]
        );
        assert!(lines.iter().all(|l| !l.contains('\r')), "{lines:?}");
    }

    #[test]
    fn finds_urls() {
        let l = "see https://x.test/a?b=1, or (http://y.test). mailto:a@b.test";
        let got: Vec<&str> = find_urls(l).into_iter().map(|(a, b)| &l[a..b]).collect();
        assert_eq!(
            got,
            vec!["https://x.test/a?b=1", "http://y.test", "mailto:a@b.test"]
        );
    }
}

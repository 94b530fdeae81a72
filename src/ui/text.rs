//! Text helpers shared by `update` and `view`: wrapping the message body to the pane's width
//! (so scrolling and find count the same lines that are drawn) and finding URLs.

/// Split `text` into display lines no wider than `width` characters, breaking at spaces where
/// possible. Tabs become spaces; a `\r` before `\n` is dropped.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(8);
    let mut out = Vec::new();
    for raw in text.split('\n') {
        let line = raw.strip_suffix('\r').unwrap_or(raw).replace('\t', "    ");
        let chars: Vec<char> = line.chars().collect();
        if chars.len() <= width {
            out.push(line);
            continue;
        }
        let mut start = 0;
        while chars.len() - start > width {
            let window = &chars[start..start + width];
            let cut = window
                .iter()
                .rposition(|c| *c == ' ')
                .filter(|p| *p > width / 3)
                .map_or(width, |p| p + 1);
            out.push(
                chars[start..start + cut]
                    .iter()
                    .collect::<String>()
                    .trim_end()
                    .to_string(),
            );
            start += cut;
        }
        out.push(chars[start..].iter().collect());
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

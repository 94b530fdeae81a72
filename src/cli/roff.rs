//! The markdown of docs/ as man-page roff, so `postie-config(5)` and the extra sections of
//! `postie(1)` are generated from the same text as the reference in the repository.
//!
//! Only what docs/ uses is understood: headings, paragraphs, `- ` lists, fenced code, tables,
//! and inline `code`, **bold** and [links](target). What must hold: every line of output is
//! safe roff (no line starts with `.` or `'` unless it is a request we wrote, backslashes are
//! escaped), whatever the markdown says.

/// Renders markdown as roff. `skip_title`: drop the first `# ` heading (the page's `.TH` and
/// NAME say it already).
pub fn from_markdown(markdown: &str, skip_title: bool) -> String {
    let mut out = String::new();
    let mut lines = markdown.lines().peekable();
    let mut title_skipped = !skip_title;
    let mut table_header: Option<Vec<String>> = None;
    while let Some(line) = lines.next() {
        let trimmed = line.trim_end();
        if let Some(fence) = trimmed.strip_prefix("```") {
            let _ = fence;
            out.push_str(".PP\n.RS 4\n.nf\n");
            for code in lines.by_ref() {
                if code.trim_end().starts_with("```") {
                    break;
                }
                out.push_str(&escape_line(code));
                out.push('\n');
            }
            out.push_str(".fi\n.RE\n");
            continue;
        }
        if trimmed.starts_with('|') {
            let cells = table_cells(trimmed);
            if cells
                .iter()
                .all(|c| c.chars().all(|ch| ch == '-' || ch == ':'))
            {
                continue;
            }
            match &table_header {
                None => table_header = Some(cells),
                Some(header) => out.push_str(&table_row(header, &cells)),
            }
            continue;
        }
        table_header = None;
        if trimmed.is_empty() {
            continue;
        }
        if let Some(h) = trimmed.strip_prefix("# ") {
            if !title_skipped {
                title_skipped = true;
                continue;
            }
            out.push_str(&format!(".SH {}\n", escape_line(&inline(h).to_uppercase())));
            continue;
        }
        if let Some(h) = trimmed
            .strip_prefix("## ")
            .or_else(|| trimmed.strip_prefix("### "))
        {
            out.push_str(&format!(".SS {}\n", escape_line(&inline(h))));
            continue;
        }
        // A paragraph or a list item, with its continuation lines.
        let (start, text) = match trimmed.strip_prefix("- ") {
            Some(item) => (".IP \\(bu 2\n", item.to_string()),
            None => (".PP\n", trimmed.to_string()),
        };
        let mut text = text;
        while let Some(next) = lines.peek() {
            let next = next.trim();
            if next.is_empty()
                || next.starts_with("- ")
                || next.starts_with('#')
                || next.starts_with('|')
                || next.starts_with("```")
            {
                break;
            }
            text.push(' ');
            text.push_str(next);
            lines.next();
        }
        out.push_str(start);
        out.push_str(&escape_line(&inline(&text)));
        out.push('\n');
    }
    out
}

/// A table row as a tagged paragraph: the first cell is the tag; a two-column table's second
/// cell is the text, wider tables name each further cell by its header.
fn table_row(header: &[String], cells: &[String]) -> String {
    // The tag is bold as a whole: inline markers inside it would nest.
    let tag = cells
        .first()
        .map(|c| inline(c).replace(['\u{1}', '\u{2}'], ""))
        .unwrap_or_default();
    let body = if cells.len() <= 2 {
        cells.get(1).map(|c| inline(c)).unwrap_or_default()
    } else {
        let mut parts = Vec::new();
        for (i, cell) in cells.iter().enumerate().skip(1) {
            let name = header.get(i).map(String::as_str).unwrap_or("");
            parts.push(format!("{}: {}", inline(name), inline(cell)));
        }
        parts.join("; ")
    };
    format!(
        ".TP\n\\fB{}\\fR\n{}\n",
        escape_line(&tag).trim_start_matches("\\&"),
        escape_line(&body)
    )
}

/// The cells of `| a | b \| c |` (an escaped `\|` stays in its cell).
fn table_cells(row: &str) -> Vec<String> {
    let inner = row.trim().trim_start_matches('|').trim_end_matches('|');
    let mut cells = vec![String::new()];
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                chars.next();
                if let Some(cell) = cells.last_mut() {
                    cell.push('|');
                }
            }
            '|' => cells.push(String::new()),
            c => {
                if let Some(cell) = cells.last_mut() {
                    cell.push(c);
                }
            }
        }
    }
    cells.into_iter().map(|c| c.trim().to_string()).collect()
}

/// Inline markdown to plain text with markers: `code` and **bold** become \x01text\x02 (bold),
/// links keep their text. The markers become font escapes in [`escape_line`].
fn inline(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("**")
            && let Some(end) = after.find("**")
        {
            out.push('\u{1}');
            out.push_str(&after[..end]);
            out.push('\u{2}');
            rest = &after[end + 2..];
            continue;
        }
        if let Some(after) = rest.strip_prefix('`')
            && let Some(end) = after.find('`')
        {
            out.push('\u{1}');
            out.push_str(&after[..end]);
            out.push('\u{2}');
            rest = &after[end + 1..];
            continue;
        }
        if let Some(after) = rest.strip_prefix('[')
            && let Some(close) = after.find("](")
            && let Some(end) = after[close..].find(')')
        {
            out.push_str(&after[..close]);
            rest = &after[close + end + 1..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Escapes one output line: backslashes, a leading `.` or `'`, and the bold markers.
fn escape_line(line: &str) -> String {
    let escaped = line
        .replace('\\', "\\e")
        .replace('\u{1}', "\\fB")
        .replace('\u{2}', "\\fR");
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

#[cfg(test)]
mod tests {
    use super::from_markdown;

    #[test]
    fn headings_paragraphs_lists_code_and_tables() {
        let md = "# Title\n\nSome `code` and [a link](x.md)\ncontinued.\n\n## Part\n\n- one\n- two\n\n```toml\n.dot = \"\\\\\"\n```\n\n| key | type | meaning |\n|---|---|---|\n| `a` | string | b \\| c |\n";
        let roff = from_markdown(md, true);
        assert!(!roff.contains("Title"), "{roff}");
        assert!(
            roff.contains(".PP\nSome \\fBcode\\fR and a link continued.\n"),
            "{roff}"
        );
        assert!(roff.contains(".SS Part\n"), "{roff}");
        assert!(roff.contains(".IP \\(bu 2\none\n"), "{roff}");
        assert!(roff.contains(".nf\n\\&.dot = \"\\e\\e\"\n.fi"), "{roff}");
        assert!(
            roff.contains(".TP\n\\fBa\\fR\ntype: string; meaning: b | c\n"),
            "{roff}"
        );
        for line in roff.lines() {
            let request = [
                ".PP", ".RS", ".RE", ".nf", ".fi", ".IP", ".TP", ".SS", ".SH",
            ]
            .iter()
            .any(|r| line.starts_with(r));
            assert!(
                request || !line.starts_with(['.', '\'']),
                "unsafe line {line:?}"
            );
        }
    }
}

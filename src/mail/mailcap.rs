//! RFC 1524 mailcap: which program shows a MIME type, and the shell text that runs it.
//!
//! Pure: the caller reads the files (see [`search_path`] for which, in which order) and runs
//! the `test=` commands; this module parses, matches and expands.
//!
//! What must hold: nothing from a message reaches a shell unquoted. `%s` is always a file name
//! postie made (never the attachment's own name; `nametemplate` only lends it an extension);
//! `%t` and `%{param}` values come from the message, so they are cut down to characters a
//! shell treats literally (`[A-Za-z0-9._+/-]`), and every substituted value that is not plain
//! is single-quoted. Parsing is total: a malformed line is skipped, never an error.

use std::path::PathBuf;

/// One mailcap entry (one logical line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `type/subtype` as written, lowercased (`text/*` and a bare `text` match every subtype).
    pub mime_type: String,
    /// The view command, still with its `%` escapes.
    pub view: String,
    /// `needsterminal`: the program talks to the user through the terminal.
    pub needs_terminal: bool,
    /// `copiousoutput`: the program writes text meant to be read in a pager.
    pub copious_output: bool,
    /// `test=`: a command that must exit 0 for the entry to apply.
    pub test: Option<String>,
    /// `nametemplate=` (e.g. `%s.pdf`): shapes the temp file's name.
    pub name_template: Option<String>,
}

/// What to hand a command: the file it reads and the part's type and parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject<'a> {
    /// The temp file postie wrote (becomes `%s`).
    pub file: &'a str,
    /// The part's `type/subtype` (becomes `%t`).
    pub mime_type: &'a str,
    /// The part's Content-Type parameters (`%{charset}`), names lowercased.
    pub params: &'a [(String, String)],
}

/// A command ready for `sh -c`, and whether it reads the data on stdin (it has no `%s`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expanded {
    pub shell: String,
    pub stdin: bool,
}

/// The mailcap files to read, in order: `$MAILCAPS` (a colon list) when set, else
/// `~/.mailcap` then `/etc/mailcap` (RFC 1524 lists more system paths; these two are the ones
/// systems use), then `extra` (the config's, if any).
pub fn search_path(
    mailcaps: Option<&str>,
    home: Option<&std::path::Path>,
    extra: &[PathBuf],
) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = match mailcaps.filter(|s| !s.trim().is_empty()) {
        Some(list) => list
            .split(':')
            .filter(|p| !p.is_empty())
            .map(|p| match (p.strip_prefix("~/"), home) {
                (Some(rest), Some(h)) => h.join(rest),
                _ => PathBuf::from(p),
            })
            .collect(),
        None => {
            let mut v = Vec::new();
            if let Some(h) = home {
                v.push(h.join(".mailcap"));
            }
            v.push(PathBuf::from("/etc/mailcap"));
            v
        }
    };
    out.extend(extra.iter().cloned());
    out
}

/// Parses a mailcap file: `#` comments, blank lines, `\` at the end of a line continues it.
pub fn parse(text: &str) -> Vec<Entry> {
    let mut entries = Vec::new();
    let mut logical = String::new();
    for line in text.lines() {
        if logical.is_empty() && line.trim_start().starts_with('#') {
            continue;
        }
        match line.strip_suffix('\\') {
            // An escaped backslash at the end is a backslash, not a continuation.
            Some(head) if !head.ends_with('\\') => {
                logical.push_str(head);
                continue;
            }
            _ => logical.push_str(line),
        }
        if let Some(e) = parse_entry(&logical) {
            entries.push(e);
        }
        logical.clear();
    }
    if let Some(e) = parse_entry(&logical) {
        entries.push(e);
    }
    entries
}

/// Splits at `;` not preceded by a backslash; `\;` becomes `;` in the field.
fn fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&';') => {
                chars.next();
                field.push(';');
            }
            '\\' => {
                field.push('\\');
                if let Some(n) = chars.next() {
                    field.push(n);
                }
            }
            ';' => out.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    out.push(field);
    out.into_iter().map(|f| f.trim().to_owned()).collect()
}

fn parse_entry(line: &str) -> Option<Entry> {
    if line.trim().is_empty() || line.trim_start().starts_with('#') {
        return None;
    }
    let mut parts = fields(line).into_iter();
    let mime_type = parts.next()?.to_ascii_lowercase();
    let view = parts.next()?;
    if mime_type.is_empty() || mime_type.contains(char::is_whitespace) {
        return None;
    }
    let mut entry = Entry {
        mime_type,
        view,
        needs_terminal: false,
        copious_output: false,
        test: None,
        name_template: None,
    };
    for field in parts {
        let (name, value) = match field.split_once('=') {
            Some((n, v)) => (n.trim().to_ascii_lowercase(), Some(v.trim().to_owned())),
            None => (field.to_ascii_lowercase(), None),
        };
        match (name.as_str(), value) {
            ("needsterminal", None) => entry.needs_terminal = true,
            ("copiousoutput", None) => entry.copious_output = true,
            ("test", Some(v)) => entry.test = Some(v),
            ("nametemplate", Some(v)) => entry.name_template = Some(v),
            // compose=, print=, edit=, description=, x-*: not ours to use.
            _ => {}
        }
    }
    Some(entry)
}

/// Whether `pattern` (`text/html`, `text/*`, `text`) covers `mime_type`.
pub fn type_matches(pattern: &str, mime_type: &str) -> bool {
    let mime_type = mime_type.to_ascii_lowercase();
    let (major, _) = mime_type.split_once('/').unwrap_or((&mime_type, ""));
    match pattern.split_once('/') {
        Some((p_major, "*")) => p_major == major,
        Some(_) => pattern == mime_type,
        None => pattern == major,
    }
}

/// The entries for `mime_type`, in file order; `copious_only` keeps only `copiousoutput` ones
/// (what showing a part inline needs). The caller takes the first whose `test` passes.
pub fn candidates<'a>(
    entries: &'a [Entry],
    mime_type: &'a str,
    copious_only: bool,
) -> impl Iterator<Item = &'a Entry> + 'a {
    entries
        .iter()
        .filter(move |e| type_matches(&e.mime_type, mime_type))
        .filter(move |e| !copious_only || e.copious_output)
}

/// The extension the temp file should have: from `nametemplate` (`%s.pdf` -> `pdf`), else
/// from the attachment's name, reduced to at most 10 ASCII letters and digits; `None` if
/// neither gives one.
pub fn extension(entry: Option<&Entry>, attachment_name: &str) -> Option<String> {
    let from_template = entry
        .and_then(|e| e.name_template.as_deref())
        .and_then(|t| t.rsplit_once("%s").map(|(_, after)| after.to_owned()))
        .and_then(|after| after.rsplit_once('.').map(|(_, ext)| ext.to_owned()));
    let from_name = || {
        attachment_name
            .rsplit_once('.')
            .map(|(_, ext)| ext.to_owned())
    };
    let ext = from_template.or_else(from_name)?;
    let clean: String = ext
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(10)
        .collect();
    (!clean.is_empty()).then_some(clean)
}

/// A value cut down to the characters a shell reads literally.
fn literal(value: &str) -> String {
    value
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "._+/-".contains(*c))
        .collect()
}

/// `value` as one shell word: as is when it is plain, else single-quoted.
pub fn shell_quote(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._+/-=:,@%".contains(c));
    if plain {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

/// Expands `%s`, `%t`, `%{name}` and `%%` in `command` (a view or test command).
pub fn expand(command: &str, subject: &Subject<'_>) -> Expanded {
    let mut shell = String::with_capacity(command.len() + subject.file.len());
    let mut stdin = true;
    let mut chars = command.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            // `\%` is a literal percent sign; other escapes pass through for the shell.
            match chars.next() {
                Some('%') => shell.push('%'),
                Some(n) => {
                    shell.push('\\');
                    shell.push(n);
                }
                None => shell.push('\\'),
            }
            continue;
        }
        if c != '%' {
            shell.push(c);
            continue;
        }
        match chars.next() {
            Some('s') => {
                stdin = false;
                shell.push_str(&shell_quote(subject.file));
            }
            Some('t') => shell.push_str(&shell_quote(&literal(subject.mime_type))),
            Some('{') => {
                let name: String = chars.by_ref().take_while(|&c| c != '}').collect();
                let value = subject
                    .params
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name.trim()))
                    .map(|(_, v)| literal(v))
                    .unwrap_or_default();
                shell.push_str(&shell_quote(&value));
            }
            Some('%') => shell.push('%'),
            // %n, %F (multipart counts and files) and unknown escapes: left as written.
            Some(other) => {
                shell.push('%');
                shell.push(other);
            }
            None => shell.push('%'),
        }
    }
    Expanded { shell, stdin }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
# a comment; with = signs
text/html; w3m -dump -T text/html -I %{charset} %s; \\
    copiousoutput; nametemplate=%s.html

text/*; less %s; needsterminal
application/pdf; zathura %s; test=test -n \"$DISPLAY\"
application/pdf; pdftotext %s -; copiousoutput
image; feh -- %s
broken line without a command
audio/x-thing; echo a\\;b %t
";

    fn subject<'a>(params: &'a [(String, String)]) -> Subject<'a> {
        Subject {
            file: "/run/postie-1/3-0.html",
            mime_type: "text/html",
            params,
        }
    }

    #[test]
    fn parses_comments_continuations_and_flags() {
        let entries = parse(FILE);
        assert_eq!(entries.len(), 6, "{entries:#?}");
        let html = &entries[0];
        assert_eq!(html.mime_type, "text/html");
        assert_eq!(html.view, "w3m -dump -T text/html -I %{charset} %s");
        assert!(html.copious_output && !html.needs_terminal);
        assert_eq!(html.name_template.as_deref(), Some("%s.html"));
        assert!(entries[1].needs_terminal);
        assert_eq!(entries[2].test.as_deref(), Some("test -n \"$DISPLAY\""));
        assert_eq!(entries[5].view, "echo a;b %t", "\\; is a literal semicolon");
    }

    #[test]
    fn wildcards_and_order() {
        let entries = parse(FILE);
        let views = |t: &str, copious: bool| {
            candidates(&entries, t, copious)
                .map(|e| e.view.split(' ').next().unwrap_or("").to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(views("text/html", false), ["w3m", "less"]);
        assert_eq!(views("TEXT/PLAIN", false), ["less"]);
        assert_eq!(views("application/pdf", false), ["zathura", "pdftotext"]);
        assert_eq!(views("application/pdf", true), ["pdftotext"]);
        assert_eq!(views("image/png", false), ["feh"]);
        assert!(views("video/mp4", false).is_empty());
        assert!(!type_matches("text/html", "text/htmlx"));
        assert!(!type_matches("text", "textual/plain"));
    }

    #[test]
    fn expands_file_type_params_and_percent() {
        let params = vec![("charset".to_owned(), "utf-8".to_owned())];
        let e = expand("w3m -I %{charset} -T %t %s; echo 100%%", &subject(&params));
        assert_eq!(
            e.shell,
            "w3m -I utf-8 -T text/html /run/postie-1/3-0.html; echo 100%"
        );
        assert!(!e.stdin);
        let e = expand("cat -v \\%s", &subject(&params));
        assert_eq!(e.shell, "cat -v %s");
        assert!(e.stdin, "no %s: the data goes on stdin");
        let e = expand("x %{missing} %n", &subject(&params));
        assert_eq!(e.shell, "x '' %n");
    }

    #[test]
    fn hostile_values_never_reach_the_shell_unquoted() {
        let params = vec![(
            "charset".to_owned(),
            "utf-8'; rm -rf ~ #$(id)`x`".to_owned(),
        )];
        let s = Subject {
            file: "/tmp/dir with 'quote'/f.pdf",
            mime_type: "text/html; $(reboot)",
            params: &params,
        };
        let e = expand("view %{charset} %t %s", &s);
        assert_eq!(
            e.shell,
            r"view utf-8rm-rfidx text/htmlreboot '/tmp/dir with '\''quote'\''/f.pdf'"
        );
        // Whatever was left is one word each: sh sees exactly four words.
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "set -- {}; echo $#",
                e.shell.trim_start_matches("view ")
            ))
            .output()
            .expect("sh runs");
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "3");
    }

    #[test]
    fn extension_comes_from_the_template_else_a_cleaned_name() {
        let entries = parse(FILE);
        assert_eq!(
            extension(Some(&entries[0]), "evil.pdf").as_deref(),
            Some("html")
        );
        assert_eq!(extension(None, "report.PDF").as_deref(), Some("PDF"));
        assert_eq!(
            extension(None, "x.p$(df)';").as_deref(),
            Some("pdf"),
            "only letters and digits survive"
        );
        assert_eq!(extension(None, "README"), None);
        assert_eq!(extension(Some(&entries[1]), ""), None);
    }

    #[test]
    fn search_path_order() {
        let home = std::path::Path::new("/home/u");
        assert_eq!(
            search_path(None, Some(home), &[]),
            [
                PathBuf::from("/home/u/.mailcap"),
                PathBuf::from("/etc/mailcap")
            ]
        );
        assert_eq!(
            search_path(Some("~/a::/b"), Some(home), &[PathBuf::from("/c")]),
            [
                PathBuf::from("/home/u/a"),
                PathBuf::from("/b"),
                PathBuf::from("/c")
            ]
        );
    }

    #[test]
    fn total_over_junk() {
        assert!(parse("").is_empty());
        assert!(parse("\\").is_empty());
        assert!(parse(";;;\n;\n%\n").is_empty());
        let e = expand("%", &subject(&[]));
        assert_eq!(e.shell, "%");
        let e = expand("%{unterminated", &subject(&[]));
        assert_eq!(e.shell, "''");
    }
}

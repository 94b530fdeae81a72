//! The reference in docs/ and the README, checked against the code, so neither can drift:
//! every config key the parser accepts is in docs/config.md (and nothing else is), every action
//! and `:` command is in docs/keys.md with its default keys, every exit code, environment
//! variable, search field, command and option is documented, and every relative link in the
//! README and docs/ points at a file (and heading) that exists.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use postie::cli::{Cli, EX_CANTCREAT, exit_code};
use postie::error::ErrorKind;
use postie::ui::keymap::Action;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The rows of every markdown table in `text`, as cells (`\|` unescaped, header and
/// separator rows dropped).
fn table_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut in_table = false;
    for line in text.lines() {
        let line = line.trim();
        if !line.starts_with('|') {
            in_table = false;
            continue;
        }
        let cells: Vec<String> = line
            .replace("\\|", "\u{0}")
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().replace('\u{0}', "|"))
            .collect();
        if !in_table {
            in_table = true; // the header
            continue;
        }
        if cells.iter().all(|c| c.chars().all(|ch| ch == '-')) {
            continue;
        }
        rows.push(cells);
    }
    rows
}

fn unquote(cell: &str) -> &str {
    cell.trim().trim_matches('`')
}

#[test]
fn config_md_lists_exactly_the_keys_the_parser_accepts() {
    let text = read("docs/config.md");
    let mut documented: BTreeSet<(String, String)> = BTreeSet::new();
    for row in table_rows(&text) {
        if row.len() != 6 {
            continue; // not the key table
        }
        let key = unquote(&row[0]).to_string();
        for table in row[1].split(',') {
            documented.insert((table.trim().to_string(), key.clone()));
        }
        assert!(
            !row[2].is_empty() && !row[3].is_empty(),
            "type and default: {row:?}"
        );
        assert!(
            row[4].contains(&key),
            "the example of {key} uses it: {row:?}"
        );
    }
    let accepted: BTreeSet<(String, String)> = postie::config::accepted_keys()
        .into_iter()
        .flat_map(|(table, keys)| {
            keys.into_iter()
                .map(move |k| (table.to_string(), k.to_string()))
        })
        .collect();
    let missing: Vec<_> = accepted.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&accepted).collect();
    assert!(
        missing.is_empty(),
        "accepted but not in docs/config.md: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "in docs/config.md but not accepted: {extra:?}"
    );
}

#[test]
fn keys_md_lists_every_action_with_its_default_keys_and_every_command() {
    let text = read("docs/keys.md");
    let rows = table_rows(&text);
    let actions: BTreeMap<String, String> = rows
        .iter()
        .filter(|r| r.len() == 3)
        .map(|r| {
            let keys = r[0]
                .split_whitespace()
                .map(unquote)
                .collect::<Vec<_>>()
                .join(" ");
            (unquote(&r[1]).to_string(), keys)
        })
        .collect();
    for action in Action::ALL {
        assert_eq!(
            actions.get(action.name()).map(String::as_str),
            Some(action.default_keys()),
            "docs/keys.md: {}",
            action.name()
        );
    }
    assert_eq!(
        actions.len(),
        Action::ALL.len(),
        "no action that does not exist"
    );
    let commands: BTreeSet<String> = rows
        .iter()
        .filter(|r| r.len() == 2 && r[0].starts_with("`:"))
        .map(|r| unquote(&r[0]).trim_start_matches(':').to_string())
        .collect();
    let code: BTreeSet<String> = postie::ui::update::COMMANDS
        .iter()
        .map(|(c, _)| c.to_string())
        .collect();
    assert_eq!(commands, code, "docs/keys.md's `:` commands");
}

fn every_kind() -> Vec<ErrorKind> {
    // A new kind breaks this match, so it cannot be left out of the docs.
    let all = [
        ErrorKind::Usage,
        ErrorKind::Data,
        ErrorKind::Network,
        ErrorKind::Tls,
        ErrorKind::Internal,
        ErrorKind::Io,
        ErrorKind::Temporary,
        ErrorKind::Protocol,
        ErrorKind::Auth,
        ErrorKind::Config,
    ];
    for kind in all {
        match kind {
            ErrorKind::Usage
            | ErrorKind::Data
            | ErrorKind::Network
            | ErrorKind::Tls
            | ErrorKind::Internal
            | ErrorKind::Io
            | ErrorKind::Temporary
            | ErrorKind::Protocol
            | ErrorKind::Auth
            | ErrorKind::Config => {}
        }
    }
    all.to_vec()
}

#[test]
fn exit_codes_md_lists_exactly_the_codes_postie_exits_with() {
    let text = read("docs/exit-codes.md");
    let documented: BTreeSet<u8> = table_rows(&text)
        .iter()
        .map(|r| r[0].parse().expect("a code"))
        .collect();
    let mut code: BTreeSet<u8> = every_kind().into_iter().map(exit_code).collect();
    code.insert(0);
    code.insert(EX_CANTCREAT);
    assert_eq!(documented, code);
}

fn sources(dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("src").flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs")
            && !path.to_string_lossy().contains("test")
        {
            out.push(std::fs::read_to_string(&path).expect("source"));
        }
    }
}

#[test]
fn environment_md_lists_every_variable_postie_reads() {
    let mut texts = Vec::new();
    sources(&root().join("src"), &mut texts);
    let mut read_vars = BTreeSet::new();
    for text in &texts {
        for pat in ["var(\"", "var_os(\""] {
            for (i, _) in text.match_indices(pat) {
                let rest = &text[i + pat.len()..];
                if let Some(end) = rest.find('"') {
                    read_vars.insert(rest[..end].to_string());
                }
            }
        }
    }
    assert!(read_vars.contains("POSTIE_CONFIG"), "{read_vars:?}");
    let doc = read("docs/environment.md");
    let documented: BTreeSet<String> = table_rows(&doc)
        .iter()
        .flat_map(|r| {
            r[0].split(',')
                .map(|v| unquote(v).to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    let missing: Vec<_> = read_vars.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "read but not in docs/environment.md: {missing:?}"
    );
}

#[test]
fn search_md_documents_every_field_and_each_field_it_shows_works() {
    use postie::store::index::search::{FIELDS, FILTERS, Filter, Query};
    let doc = read("docs/search.md");
    for (field, _) in FIELDS {
        assert!(
            doc.contains(&format!("`{field}:")),
            "docs/search.md: {field}:"
        );
    }
    for filter in FILTERS {
        assert!(
            doc.contains(&format!("`{filter}")),
            "docs/search.md: {filter}"
        );
    }
    for row in table_rows(&doc) {
        let example = unquote(&row[0]);
        let query = Query::parse(example).unwrap_or_else(|e| panic!("{example}: {e}"));
        assert!(!query.clauses.is_empty(), "{example} parses to a query");
        if let Some((key, _)) = example.trim_start_matches('-').split_once(':') {
            let clause = &query.clauses[0];
            assert!(
                !matches!(&clause.filter, Filter::Text(t) if t.column.is_none()),
                "{key}: is a field or a filter, not a plain word"
            );
        }
    }
}

#[test]
fn commands_md_names_every_command_and_option() {
    let doc = read("docs/commands.md");
    let mut missing = Vec::new();
    fn walk(cmd: &clap::Command, path: &str, doc: &str, missing: &mut Vec<String>) {
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let path = format!("{path} {}", sub.get_name());
            if !doc.contains(&format!("`{path}")) {
                missing.push(path.clone());
            }
            for arg in sub.get_arguments() {
                if let Some(long) = arg.get_long()
                    && !arg.is_global_set()
                    && !["help", "version"].contains(&long)
                    && !doc.contains(&format!("--{long}"))
                {
                    missing.push(format!("{path} --{long}"));
                }
            }
            walk(sub, &path, doc, missing);
        }
    }
    let cli = Cli::command();
    for arg in cli.get_arguments() {
        if let Some(long) = arg.get_long()
            && !doc.contains(&format!("--{long}"))
        {
            missing.push(format!("postie --{long}"));
        }
    }
    walk(&cli, "postie", &doc, &mut missing);
    assert!(missing.is_empty(), "not in docs/commands.md: {missing:?}");
}

#[test]
fn themes_md_lists_every_style_of_the_default_theme() {
    let doc = read("docs/themes.md");
    let default = read("themes/default.toml");
    let styles: BTreeSet<String> = default
        .lines()
        .filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim().to_string()))
        .filter(|k| !k.starts_with('#'))
        .collect();
    let documented: BTreeSet<String> = table_rows(&doc)
        .iter()
        .map(|r| unquote(&r[0]).to_string())
        .collect();
    assert_eq!(styles, documented);
}

/// GitHub's anchor for a heading.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(markdown: &str) -> BTreeSet<String> {
    markdown
        .lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| slug(l.trim_start_matches('#')))
        .collect()
}

#[test]
fn readme_and_docs_link_only_to_what_exists() {
    let mut files = vec![root().join("README.md")];
    for entry in std::fs::read_dir(root().join("docs"))
        .expect("docs/")
        .flatten()
    {
        files.push(entry.path());
    }
    let mut broken = Vec::new();
    let mut checked = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).expect("markdown");
        let dir = file.parent().expect("dir");
        for (i, _) in text.match_indices("](") {
            let rest = &text[i + 2..];
            let Some(end) = rest.find(')') else { continue };
            let target = &rest[..end];
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            checked += 1;
            let (path, anchor) = target.split_once('#').unwrap_or((target, ""));
            let resolved = if path.is_empty() {
                file.clone()
            } else {
                dir.join(path)
            };
            if !resolved.exists() {
                broken.push(format!("{}: {target}", file.display()));
                continue;
            }
            if !anchor.is_empty() {
                let linked = std::fs::read_to_string(&resolved).unwrap_or_default();
                if !anchors(&linked).contains(anchor) {
                    broken.push(format!("{}: {target} (no such heading)", file.display()));
                }
            }
        }
    }
    assert!(checked > 10, "the links were found ({checked})");
    assert!(broken.is_empty(), "broken links: {broken:#?}");
}

#[test]
fn readme_points_at_the_docs_not_at_files_outside_the_repo() {
    let readme = read("README.md");
    assert!(
        !readme.contains("SPEC"),
        "the SPEC is not in the repository"
    );
    for target in [
        "docs/README.md",
        "docs/config.md",
        "BENCHMARKS.md",
        "RELIABILITY.md",
        "CHANGELOG.md",
        "LICENSE-MIT",
        "LICENSE-APACHE",
    ] {
        assert!(
            readme.contains(&format!("]({target}")),
            "README links {target}"
        );
    }
    assert!(readme.contains("cargo install --locked --path ."));
    let cargo = read("Cargo.toml");
    let rust = cargo
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .expect("rust-version")
        .trim_matches('"');
    assert!(
        readme.contains(&format!("Rust {rust}")),
        "README names Rust {rust}"
    );
}

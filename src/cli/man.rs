//! `postie man`: the man pages (roff), generated from the clap definition (the commands and
//! options) and from docs/ (the config file, exit codes, environment, store, search syntax),
//! so the pages and the reference in the repository cannot say different things.
//!
//! Pages: `postie(1)`, one `postie-COMMAND(1)` per command and subcommand (the pages the
//! command lists name), and `postie-config(5)`. What must hold: every page another page names
//! is one [`all_pages`] renders (a test checks).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::CommandFactory;

use super::{Cli, CliError, Context, roff};

const CONFIG_MD: &str = include_str!("../../docs/config.md");
const THEMES_MD: &str = include_str!("../../docs/themes.md");
const KEYS_MD: &str = include_str!("../../docs/keys.md");
const SEARCH_MD: &str = include_str!("../../docs/search.md");
const EXIT_CODES_MD: &str = include_str!("../../docs/exit-codes.md");
const ENVIRONMENT_MD: &str = include_str!("../../docs/environment.md");
const STORE_MD: &str = include_str!("../../docs/store.md");

/// Print a man page (roff) to standard output, or write them all to a directory.
#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// The command whose page to print (`postie man sync`, `postie man outbox flush`);
    /// without one, postie(1).
    #[arg(value_name = "COMMAND")]
    pub command: Vec<String>,
    /// Print postie-config(5), the config file's page, instead.
    #[arg(long, conflicts_with = "command")]
    pub config_file: bool,
    /// Write every page to DIR/man1/ and DIR/man5/ (e.g. ~/.local/share/man) and list them.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["command", "config_file"])]
    pub out_dir: Option<PathBuf>,
}

/// One rendered page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// `postie-sync.1`.
    pub file_name: String,
    pub roff: Vec<u8>,
}

pub fn run(_ctx: &Context, args: ManArgs) -> Result<ExitCode, CliError> {
    if let Some(dir) = &args.out_dir {
        let mut listing = String::new();
        for page in all_pages()? {
            let path = write_page(dir, &page).map_err(CliError::Stdout)?;
            listing.push_str(&format!("{}\n", path.display()));
        }
        super::write_stdout(listing.as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    let page = if args.config_file {
        config_page()
    } else {
        let wanted = std::iter::once("postie".to_string())
            .chain(args.command.iter().cloned())
            .collect::<Vec<_>>()
            .join("-");
        all_pages()?
            .into_iter()
            .find(|p| p.file_name == format!("{wanted}.1"))
            .ok_or_else(|| {
                CliError::Usage(format!(
                    "no man page for `postie {}`: see `postie --help` for the commands",
                    args.command.join(" ")
                ))
            })?
    };
    super::write_stdout(&page.roff)?;
    Ok(ExitCode::SUCCESS)
}

fn write_page(dir: &Path, page: &Page) -> std::io::Result<PathBuf> {
    let section = page.file_name.rsplit('.').next().unwrap_or("1");
    let sub = dir.join(format!("man{section}"));
    std::fs::create_dir_all(&sub)?;
    let path = sub.join(&page.file_name);
    std::fs::write(&path, &page.roff)?;
    Ok(path)
}

/// Every page: postie(1), postie-COMMAND(1) for each command and subcommand, postie-config(5).
pub fn all_pages() -> Result<Vec<Page>, CliError> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut pages = Vec::new();
    command_pages(&cmd, true, &mut pages)?;
    pages.push(config_page());
    Ok(pages)
}

fn command_pages(cmd: &clap::Command, top: bool, pages: &mut Vec<Page>) -> Result<(), CliError> {
    let man = clap_mangen::Man::new(cmd.clone());
    let mut roff = Vec::new();
    man.render(&mut roff).map_err(CliError::Stdout)?;
    let name = cmd.get_display_name().unwrap_or(cmd.get_name()).to_string();
    let extra = if top {
        [
            ("KEYS", KEYS_MD),
            ("EXIT STATUS", EXIT_CODES_MD),
            ("ENVIRONMENT", ENVIRONMENT_MD),
            ("FILES", STORE_MD),
        ]
        .iter()
        .map(|(title, md)| format!(".SH \"{title}\"\n{}", roff::from_markdown(md, true)))
        .collect::<String>()
    } else if name == "postie-search" {
        format!(
            ".SH \"SEARCH SYNTAX\"\n{}",
            roff::from_markdown(SEARCH_MD, true)
        )
    } else {
        String::new()
    };
    roff.extend_from_slice(extra.as_bytes());
    roff.extend_from_slice(see_also(cmd, top).as_bytes());
    pages.push(Page {
        file_name: man.get_filename(),
        roff,
    });
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        command_pages(sub, false, pages)?;
    }
    Ok(())
}

fn see_also(cmd: &clap::Command, top: bool) -> String {
    let mut refs = Vec::new();
    if !top {
        refs.push("\\fBpostie\\fR(1)".to_string());
    }
    refs.push("\\fBpostie-config\\fR(5)".to_string());
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = sub.get_display_name().unwrap_or(sub.get_name());
        refs.push(format!("\\fB{name}\\fR(1)"));
    }
    format!(".SH \"SEE ALSO\"\n{}\n", refs.join(", "))
}

/// postie-config(5): docs/config.md and docs/themes.md.
fn config_page() -> Page {
    let version = env!("CARGO_PKG_VERSION");
    let mut roff = format!(
        ".TH postie-config 5 \"\" \"postie {version}\" \"File Formats\"\n\
         .SH NAME\npostie\\-config \\- the postie config file\n"
    );
    roff.push_str(".SH DESCRIPTION\n");
    roff.push_str(&roff::from_markdown(CONFIG_MD, true));
    roff.push_str(".SH THEMES\n");
    roff.push_str(&roff::from_markdown(THEMES_MD, true));
    roff.push_str(".SH \"SEE ALSO\"\n\\fBpostie\\fR(1), \\fBpostie-config-check\\fR(1)\n");
    Page {
        file_name: "postie-config.5".to_string(),
        roff: roff.into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::all_pages;

    #[test]
    fn every_page_a_page_names_is_generated() {
        let pages = all_pages().expect("pages render");
        let names: Vec<String> = pages
            .iter()
            .map(|p| {
                let (name, section) = p.file_name.rsplit_once('.').expect("NAME.SECTION");
                format!("{name}({section})")
            })
            .collect();
        assert!(names.contains(&"postie(1)".to_string()));
        assert!(names.contains(&"postie-sync(1)".to_string()));
        assert!(names.contains(&"postie-config-check(1)".to_string()));
        assert!(names.contains(&"postie-config(5)".to_string()));
        for page in &pages {
            let text = String::from_utf8_lossy(&page.roff)
                .replace("\\fB", "")
                .replace("\\fR", "");
            let text = text.replace("\\-", "-");
            for word in text.split(|c: char| c.is_whitespace() || c == ',') {
                // `postie-COMMAND(1)` is a pattern, not a page.
                let pattern = word.chars().any(|c| c.is_ascii_uppercase());
                if word.starts_with("postie")
                    && !pattern
                    && (word.ends_with("(1)") || word.ends_with("(5)"))
                {
                    assert!(
                        names.iter().any(|n| n == word),
                        "{} names {word}, which is not generated",
                        page.file_name
                    );
                }
            }
        }
    }

    #[test]
    fn the_top_page_has_exit_status_environment_and_files() {
        let pages = all_pages().expect("pages render");
        let top = String::from_utf8_lossy(&pages[0].roff).to_string();
        assert!(
            top.starts_with(".ie") || top.contains(".TH postie 1"),
            "{top}"
        );
        for section in ["EXIT STATUS", "ENVIRONMENT", "FILES", "KEYS", "SEE ALSO"] {
            assert!(top.contains(&format!(".SH \"{section}\"")), "{section}");
        }
        assert!(top.contains("EX_CONFIG"));
        assert!(top.contains("POSTIE_DATA_DIR"));
    }
}

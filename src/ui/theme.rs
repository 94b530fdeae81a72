//! Themes: named styles for every part of the screen, read from TOML.
//!
//! The shipped themes (themes/*.toml) are embedded with `include_str!`, so the binary needs no
//! data files; a user's `<config dir>/postie/themes/NAME.toml` takes precedence over a shipped
//! one of the same name. Every style a theme leaves out comes from the default (dark) theme.
//! Colours: a name ("red", "reset"), a 256-colour index (0-255) or truecolour "#rrggbb".
//! The only IO is reading the user's file; the rest is pure.

mod check;
pub use check::{ThemeProblem, check as check_file};

use std::path::{Path, PathBuf};

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

const SHIPPED: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

/// A problem loading a theme.
#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error(
        "cannot find theme {name:?} (looked in {searched} and the shipped themes: default, light, high-contrast)"
    )]
    NotFound { name: String, searched: String },
    #[error("cannot read theme file {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot parse theme {name:?}")]
    Parse {
        name: String,
        #[source]
        source: Box<toml::de::Error>,
    },
    #[error("theme name {0:?} must not contain a path separator")]
    BadName(String),
}

impl ThemeError {
    pub fn kind(&self) -> crate::error::ErrorKind {
        match self {
            ThemeError::Read { .. } => crate::error::ErrorKind::Io,
            _ => crate::error::ErrorKind::Config,
        }
    }
}

macro_rules! theme_styles {
    ($($field:ident: $doc:literal,)*) => {
        /// Every style the UI draws with.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct Theme { $(#[doc = $doc] pub $field: Style,)* }

        #[derive(Debug, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct ThemeFile { $($field: Option<StyleSpec>,)* }

        /// The style names a theme file may set.
        const STYLE_NAMES: &[&str] = &[$(stringify!($field)),*];

        impl ThemeFile {
            fn over(self, base: &Theme) -> Theme {
                Theme { $($field: self.$field.map_or(base.$field, |s| s.to_style()),)* }
            }
            fn into_theme_unstyled(self) -> Theme {
                Theme { $($field: self.$field.map_or(Style::new(), |s| s.to_style()),)* }
            }
        }

        impl Theme {
            /// Replace every truecolour value by its nearest xterm-256 colour.
            pub fn downgrade_to_256(mut self) -> Theme {
                $(self.$field = downgrade(self.$field);)*
                self
            }
        }
    };
}

theme_styles! {
    base: "The background and default text of the whole screen.",
    border: "Pane borders.",
    border_focused: "The border of the focused pane.",
    title: "Pane titles.",
    account: "Account headings in the folder pane.",
    folder: "A folder name.",
    folder_unread: "A folder with unread mail, and its count.",
    selected: "The row under the cursor in the focused pane.",
    selected_unfocused: "The row under the cursor in another pane.",
    row: "A read message in the list.",
    row_unread: "An unread message (bold in every shipped theme).",
    row_flagged: "A flagged message.",
    row_deleted: "A message marked deleted.",
    row_tagged: "The `*` mark of a tagged message (the mark shows without colour too).",
    date: "The date column.",
    tree: "Thread tree lines.",
    header_name: "Header names in the message view.",
    header_value: "Header values.",
    body: "Message text.",
    quote: "Quoted lines (\"> \").",
    url: "URLs in the text.",
    search_match: "Search matches in the text.",
    attachment: "Attachment lines.",
    status: "The status line.",
    status_online: "An online account.",
    status_offline: "An offline account.",
    status_error: "Errors in the status line.",
    prompt: "The command line and prompts.",
    help: "The help overlay.",
    help_key: "Keys in the help overlay.",
    popup: "Completion popups.",
    field_label: "Compose header labels.",
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StyleSpec {
    fg: Option<ColorSpec>,
    bg: Option<ColorSpec>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    dim: bool,
    #[serde(default)]
    italic: bool,
    #[serde(default)]
    underline: bool,
    #[serde(default)]
    reversed: bool,
}

impl StyleSpec {
    fn to_style(&self) -> Style {
        let mut s = Style::new();
        if let Some(c) = self.fg {
            s = s.fg(c.0);
        }
        if let Some(c) = self.bg {
            s = s.bg(c.0);
        }
        for (on, m) in [
            (self.bold, Modifier::BOLD),
            (self.dim, Modifier::DIM),
            (self.italic, Modifier::ITALIC),
            (self.underline, Modifier::UNDERLINED),
            (self.reversed, Modifier::REVERSED),
        ] {
            if on {
                s = s.add_modifier(m);
            }
        }
        s
    }
}

#[derive(Debug, Clone, Copy)]
struct ColorSpec(Color);

impl<'de> Deserialize<'de> for ColorSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Index(i64),
            Text(String),
        }
        let raw = Raw::deserialize(d)?;
        let parsed = match &raw {
            Raw::Index(i) => u8::try_from(*i).ok().map(Color::Indexed),
            Raw::Text(s) => parse_color(s),
        };
        parsed.map(ColorSpec).ok_or_else(|| {
            let shown = match raw {
                Raw::Index(i) => i.to_string(),
                Raw::Text(s) => format!("{s:?}"),
            };
            serde::de::Error::custom(format!(
                "invalid colour {shown}: use \"#rrggbb\", a number 0-255 or a name (black, red, \
                 green, yellow, blue, magenta, cyan, gray, darkgray, lightred, lightgreen, \
                 lightyellow, lightblue, lightmagenta, lightcyan, white, reset)"
            ))
        })
    }
}

fn parse_color(s: &str) -> Option<Color> {
    if let Some(hex) = s.strip_prefix('#') {
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let v = u32::from_str_radix(hex, 16).ok()?;
        return Some(Color::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8));
    }
    if let Ok(i) = s.parse::<u8>() {
        return Some(Color::Indexed(i));
    }
    Some(
        match s.to_ascii_lowercase().replace(['-', '_', ' '], "").as_str() {
            "reset" | "default" => Color::Reset,
            "black" => Color::Black,
            "red" => Color::Red,
            "green" => Color::Green,
            "yellow" => Color::Yellow,
            "blue" => Color::Blue,
            "magenta" => Color::Magenta,
            "cyan" => Color::Cyan,
            "gray" | "grey" => Color::Gray,
            "darkgray" | "darkgrey" => Color::DarkGray,
            "lightred" => Color::LightRed,
            "lightgreen" => Color::LightGreen,
            "lightyellow" => Color::LightYellow,
            "lightblue" => Color::LightBlue,
            "lightmagenta" => Color::LightMagenta,
            "lightcyan" => Color::LightCyan,
            "white" => Color::White,
            _ => return None,
        },
    )
}

fn downgrade(mut s: Style) -> Style {
    if let Some(Color::Rgb(r, g, b)) = s.fg {
        s.fg = Some(Color::Indexed(nearest_256(r, g, b)));
    }
    if let Some(Color::Rgb(r, g, b)) = s.bg {
        s.bg = Some(Color::Indexed(nearest_256(r, g, b)));
    }
    s
}

/// The nearest colour of the xterm 6x6x6 cube or grey ramp.
fn nearest_256(r: u8, g: u8, b: u8) -> u8 {
    const LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];
    let idx = |v: u8| {
        LEVELS
            .iter()
            .enumerate()
            .min_by_key(|(_, l)| (**l as i32 - v as i32).abs())
            .map_or(0, |(i, _)| i)
    };
    let (ri, gi, bi) = (idx(r), idx(g), idx(b));
    let cube = (LEVELS[ri], LEVELS[gi], LEVELS[bi]);
    let dist = |c: (u8, u8, u8)| {
        let d = |a: u8, b: u8| (a as i32 - b as i32).pow(2);
        d(c.0, r) + d(c.1, g) + d(c.2, b)
    };
    let avg = (r as u32 + g as u32 + b as u32) / 3;
    let grey_i = ((avg.saturating_sub(8)) / 10).min(23) as u8;
    let grey_v = 8 + 10 * grey_i;
    if dist((grey_v, grey_v, grey_v)) < dist(cube) {
        232 + grey_i
    } else {
        16 + 36 * ri as u8 + 6 * gi as u8 + bi as u8
    }
}

impl Default for Theme {
    /// The shipped dark theme (a test checks that it parses).
    fn default() -> Self {
        parse_file("default", SHIPPED[0].1).map_or_else(
            |_| ThemeFile::default().into_theme_unstyled(),
            ThemeFile::into_theme_unstyled,
        )
    }
}

fn parse_file(name: &str, text: &str) -> Result<ThemeFile, ThemeError> {
    toml::from_str(text).map_err(|e| ThemeError::Parse {
        name: name.to_string(),
        source: Box::new(e),
    })
}

/// Parse a theme's TOML text; styles it leaves out come from the default theme.
pub fn parse(name: &str, text: &str) -> Result<Theme, ThemeError> {
    Ok(parse_file(name, text)?.over(&Theme::default()))
}

/// Load the theme `name`: `<user_theme_dir>/<name>.toml` if it exists, else a shipped theme.
pub fn load(name: &str, user_theme_dir: Option<&Path>) -> Result<Theme, ThemeError> {
    if name.contains(['/', '\\']) || name.is_empty() || name.starts_with('.') {
        return Err(ThemeError::BadName(name.to_string()));
    }
    if let Some(dir) = user_theme_dir {
        let path = dir.join(format!("{name}.toml"));
        match std::fs::read_to_string(&path) {
            Ok(text) => return parse(name, &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(ThemeError::Read { path, source }),
        }
    }
    match SHIPPED.iter().find(|(n, _)| *n == name) {
        Some((_, text)) => parse(name, text),
        None => Err(ThemeError::NotFound {
            name: name.to_string(),
            searched: user_theme_dir.map_or_else(
                || "no user theme dir".to_string(),
                |d| d.display().to_string(),
            ),
        }),
    }
}

/// Whether the terminal says it shows 24-bit colour (`COLORTERM=truecolor|24bit`).
pub fn truecolor_from_env(colorterm: Option<&str>) -> bool {
    matches!(colorterm, Some("truecolor" | "24bit"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error;

    #[test]
    fn shipped_themes_parse_completely() {
        for (name, text) in SHIPPED {
            let file: ThemeFile = toml::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            // Every style is given explicitly, so no shipped theme silently inherits dark colours.
            let unstyled = file.into_theme_unstyled();
            assert_eq!(
                unstyled,
                load(name, None).unwrap(),
                "{name} leaves styles out"
            );
            assert!(
                unstyled.row_unread.add_modifier.contains(Modifier::BOLD),
                "{name}: unread not bold"
            );
        }
    }

    #[test]
    fn colours_in_all_notations() {
        let t = parse("t", "url = { fg = \"#ff8000\", bg = 236, underline = true }\nquote = { fg = \"light-blue\" }").unwrap();
        assert_eq!(t.url.fg, Some(Color::Rgb(255, 128, 0)));
        assert_eq!(t.url.bg, Some(Color::Indexed(236)));
        assert!(t.url.add_modifier.contains(Modifier::UNDERLINED));
        assert_eq!(t.quote.fg, Some(Color::LightBlue));
        assert_eq!(t.body, Theme::default().body);
    }

    #[test]
    fn clear_errors() {
        let e = parse("mine", "url = { fg = \"#ff80\" }").unwrap_err();
        assert_eq!(e.to_string(), "cannot parse theme \"mine\"");
        let src = e.source().unwrap().to_string();
        assert!(src.contains("line 1"), "{src}");
        assert!(src.contains("invalid colour \"#ff80\""), "{src}");
        let e = parse("mine", "urls = { fg = 1 }").unwrap_err();
        assert!(
            e.source()
                .unwrap()
                .to_string()
                .contains("unknown field `urls`")
        );
        let e = parse("mine", "url = { fg = 300 }").unwrap_err();
        assert!(
            e.source()
                .unwrap()
                .to_string()
                .contains("invalid colour 300")
        );
        let e = load("nope", Some(Path::new("/nonexistent"))).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("cannot find theme \"nope\" (looked in /nonexistent")
        );
        assert!(matches!(load("../x", None), Err(ThemeError::BadName(_))));
    }

    #[test]
    fn user_theme_wins_over_shipped() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("light.toml"), "body = { fg = \"#010203\" }").unwrap();
        let t = load("light", Some(dir.path())).unwrap();
        assert_eq!(t.body.fg, Some(Color::Rgb(1, 2, 3)));
        assert_eq!(
            load("high-contrast", Some(dir.path())).unwrap(),
            load("high-contrast", None).unwrap()
        );
    }

    #[test]
    fn downgrades_truecolour() {
        assert_eq!(nearest_256(255, 0, 0), 196);
        assert_eq!(nearest_256(128, 128, 128), 244);
        let t = parse("t", "url = { fg = \"#000000\" }")
            .unwrap()
            .downgrade_to_256();
        assert_eq!(t.url.fg, Some(Color::Indexed(16)));
    }
}

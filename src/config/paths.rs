//! Where things are: the config file lookup, the data dir, and `~` expansion.
//!
//! All environment reads happen in [`Env::from_process`], so the rules themselves are plain
//! functions of an [`Env`] and are tested without touching the process environment.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::ConfigError;

/// The parts of the environment the config depends on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Env {
    /// The home directory, for `~` expansion.
    pub home: Option<PathBuf>,
    /// `$POSTIE_CONFIG`.
    pub postie_config: Option<PathBuf>,
    /// `$POSTIE_DATA_DIR`.
    pub postie_data_dir: Option<PathBuf>,
    /// The platform config dir (`$XDG_CONFIG_HOME`, else e.g. `~/.config`), without `postie`.
    pub config_home: Option<PathBuf>,
    /// The platform data dir (`$XDG_DATA_HOME`, else e.g. `~/.local/share`), without `postie`.
    pub data_home: Option<PathBuf>,
}

impl Env {
    /// Reads the process environment. `$XDG_CONFIG_HOME`/`$XDG_DATA_HOME` win on every platform
    /// when set to an absolute path (the `directories` crate honours them on Linux only, and
    /// users who set them on macOS mean it); otherwise the `directories` crate decides.
    pub fn from_process() -> Env {
        let base = directories::BaseDirs::new();
        let home = non_empty(std::env::var_os("HOME"))
            .map(PathBuf::from)
            .or_else(|| base.as_ref().map(|b| b.home_dir().to_path_buf()));
        let config_home = absolute_var("XDG_CONFIG_HOME")
            .or_else(|| base.as_ref().map(|b| b.config_dir().to_path_buf()));
        let data_home = absolute_var("XDG_DATA_HOME")
            .or_else(|| base.as_ref().map(|b| b.data_dir().to_path_buf()));
        Env {
            home,
            postie_config: non_empty(std::env::var_os("POSTIE_CONFIG")).map(PathBuf::from),
            postie_data_dir: non_empty(std::env::var_os("POSTIE_DATA_DIR")).map(PathBuf::from),
            config_home,
            data_home,
        }
    }

    /// The config file: `explicit` (`--config`), else `$POSTIE_CONFIG`, else
    /// `<config_home>/postie/config.toml`. `~` is expanded in all three.
    pub fn config_path(&self, explicit: Option<&Path>) -> Result<PathBuf, ConfigError> {
        if let Some(path) = explicit.or(self.postie_config.as_deref()) {
            return Ok(self.expand_tilde(path));
        }
        match &self.config_home {
            Some(dir) => Ok(dir.join("postie").join("config.toml")),
            None => Err(ConfigError::NoConfigDir),
        }
    }

    /// The local store's root when the config has no `data_dir`: `$POSTIE_DATA_DIR`, else
    /// `<data_home>/postie`.
    pub fn default_data_dir(&self) -> Option<PathBuf> {
        match &self.postie_data_dir {
            Some(dir) => Some(self.expand_tilde(dir)),
            None => self.data_home.as_ref().map(|d| d.join("postie")),
        }
    }

    /// `~` and `~/rest` become the home directory (`~user` is left alone: that is the shell's
    /// business, and a literal directory named `~user` is possible).
    pub fn expand_tilde(&self, path: &Path) -> PathBuf {
        let Some(home) = &self.home else {
            return path.to_path_buf();
        };
        match path.strip_prefix("~") {
            Ok(rest) if rest.as_os_str().is_empty() => home.clone(),
            Ok(rest) => home.join(rest),
            Err(_) => path.to_path_buf(),
        }
    }
}

fn non_empty(value: Option<OsString>) -> Option<OsString> {
    value.filter(|v| !v.is_empty())
}

fn absolute_var(name: &str) -> Option<PathBuf> {
    non_empty(std::env::var_os(name))
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Env {
        Env {
            home: Some(PathBuf::from("/home/a")),
            config_home: Some(PathBuf::from("/xdg/config")),
            data_home: Some(PathBuf::from("/xdg/data")),
            ..Env::default()
        }
    }

    #[test]
    fn lookup_order_is_flag_then_env_then_xdg() {
        let mut e = env();
        assert_eq!(
            e.config_path(None).expect("path"),
            PathBuf::from("/xdg/config/postie/config.toml")
        );
        e.postie_config = Some(PathBuf::from("/env/c.toml"));
        assert_eq!(
            e.config_path(None).expect("path"),
            PathBuf::from("/env/c.toml")
        );
        assert_eq!(
            e.config_path(Some(Path::new("~/flag.toml"))).expect("path"),
            PathBuf::from("/home/a/flag.toml")
        );
    }

    #[test]
    fn no_config_dir_is_an_error() {
        let e = Env::default();
        assert!(matches!(e.config_path(None), Err(ConfigError::NoConfigDir)));
    }

    #[test]
    fn data_dir_falls_back_to_env_then_platform() {
        let mut e = env();
        assert_eq!(
            e.default_data_dir(),
            Some(PathBuf::from("/xdg/data/postie"))
        );
        e.postie_data_dir = Some(PathBuf::from("~/mail"));
        assert_eq!(e.default_data_dir(), Some(PathBuf::from("/home/a/mail")));
    }

    #[test]
    fn tilde_expansion() {
        let e = env();
        assert_eq!(e.expand_tilde(Path::new("~")), PathBuf::from("/home/a"));
        assert_eq!(
            e.expand_tilde(Path::new("~/Maildir")),
            PathBuf::from("/home/a/Maildir")
        );
        assert_eq!(e.expand_tilde(Path::new("~bob/x")), PathBuf::from("~bob/x"));
        assert_eq!(e.expand_tilde(Path::new("/abs")), PathBuf::from("/abs"));
    }
}

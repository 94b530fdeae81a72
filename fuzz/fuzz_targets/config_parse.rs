//! Config parsing (`config::Config::parse`): any text gives a config or FILE:LINE problems,
//! never a panic.
#![no_main]

use std::path::{Path, PathBuf};

use libfuzzer_sys::fuzz_target;
use postie::config::{Config, Env};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let env = Env {
        home: Some(PathBuf::from("/home/fuzz")),
        postie_config: None,
        postie_data_dir: None,
        config_home: Some(PathBuf::from("/home/fuzz/.config")),
        data_home: Some(PathBuf::from("/home/fuzz/.local/share")),
    };
    let path = Path::new("/home/fuzz/.config/postie/config.toml");
    match Config::parse(text, path, &env) {
        Ok(config) => {
            let _ = config.default_account();
            for account in &config.accounts {
                let _ = (account.incoming_server(), account.outgoing_server());
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});

//! `postie login ACCOUNT` for a server with a built-in OAuth2 client: the browser login
//! (authorization code + PKCE, loopback redirect) or, with `--device`, the device grant; the
//! grant goes to the keyring (see [`crate::oauth2`]).
//!
//! What must hold: what is printed (URL, user code) goes to stderr and holds no secret; the
//! browser is started only when there is a display and `--no-browser` is not given, with the
//! URL as its only argument (no token is ever in it).

use std::process::{Command, Stdio};

use crate::config::Server;
use crate::oauth2::{BrowserLogin, DeviceLogin, LOGIN_TIMEOUT};

use super::CliError;
use super::login::LoginArgs;

/// Runs the chosen flow for `account`'s `server` (`role`: "incoming" or "outgoing").
pub fn login(account: &str, role: &str, server: &Server, args: &LoginArgs) -> Result<(), CliError> {
    eprintln!(
        "postie: account {account:?} {role}: OAuth2 login as {} for {}",
        server.user, server.host
    );
    if args.device {
        let login = DeviceLogin::start(account, server)?;
        let auth = login.authorization();
        eprintln!(
            "postie: on any device, open {} and enter the code {}",
            auth.verification_uri, auth.user_code
        );
        if let Some(complete) = &auth.verification_uri_complete {
            eprintln!("postie: (or open {complete})");
        }
        eprintln!(
            "postie: waiting for the approval (the code is good for {} minutes)...",
            auth.expires_in.div_ceil(60)
        );
        login.finish()?;
    } else {
        let login = BrowserLogin::start(account, server)?;
        eprintln!("postie: open this URL in a browser to log in:");
        eprintln!("{}", login.url);
        if !args.no_browser && has_display() {
            open_browser(&login.url);
        }
        eprintln!(
            "postie: waiting for the browser (up to {} minutes; on a machine without a browser, use --device)...",
            LOGIN_TIMEOUT.as_secs() / 60
        );
        login.finish(LOGIN_TIMEOUT)?;
    }
    eprintln!("postie: account {account:?} {role}: logged in; the grant is in the system keyring");
    Ok(())
}

fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

/// `xdg-open URL`, detached; a failure only means the user opens the printed URL.
fn open_browser(url: &str) {
    let started = Command::new("xdg-open")
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    match started {
        // Reaped on a thread of its own, so no zombie is left while the login waits.
        Ok(mut child) => {
            std::thread::spawn(move || child.wait());
        }
        Err(e) => tracing::debug!("cannot start xdg-open: {e}"),
    }
}

//! The first-run form end to end: `postie` with no config in a tmux pane, an address typed,
//! the settings found through a local autoconfig server shown, the name accepted, the config
//! written, and the mail screen opened on it.

mod support;
#[path = "support/tui.rs"]
mod tui;

use support::fake_dns::FakeDns;
use support::fake_http::FakeHttp;
use tui::Tui;

#[test]
fn first_run_form_finds_the_settings_writes_the_config_and_opens_the_mail_screen() {
    let dns = FakeDns::start();
    let http = FakeHttp::start();
    http.serve(
        "/mail/config-v1.1.xml",
        r#"<clientConfig version="1.1"><emailProvider id="first.test">
<incomingServer type="imap"><hostname>imap.first.test</hostname><port>993</port>
<socketType>SSL</socketType><username>%EMAILADDRESS%</username>
<authentication>password-cleartext</authentication></incomingServer>
<outgoingServer type="smtp"><hostname>smtp.first.test</hostname><port>465</port>
<socketType>SSL</socketType><username>%EMAILADDRESS%</username>
<authentication>password-cleartext</authentication></outgoingServer>
</emailProvider></clientConfig>"#,
    );
    let tui = Tui::start(
        &[],
        &[
            ("POSTIE_DNS_SERVER", dns.addr.to_string()),
            ("POSTIE_AUTOCONFIG_BASE", http.base()),
        ],
    );
    tui.wait_for("Email address:");
    tui.type_text("ann@first.test");
    tui.keys(&["Enter"]);
    let s = tui.wait_for("from autoconfig.first.test");
    assert!(s.contains("imap.first.test:993 TLS"), "{s}");
    let config = tui.path("config/postie/config.toml");
    assert!(!config.exists(), "nothing written before the user confirms");
    tui.keys(&["Enter"]);
    tui.wait_for("Account name: first");
    tui.keys(&["BSpace", "BSpace", "BSpace", "BSpace", "BSpace"]);
    tui.type_text("work");
    tui.keys(&["Enter"]);
    let s = tui.wait_for("postie login work");
    assert!(s.contains("Wrote account \"work\""), "{s}");
    let doc: toml::Table = std::fs::read_to_string(&config)
        .expect("config written")
        .parse()
        .expect("valid TOML");
    assert_eq!(
        doc["accounts"]["work"]["incoming"]["host"].as_str(),
        Some("imap.first.test")
    );
    // Enter opens the mail screen on the new config.
    tui.keys(&["Enter"]);
    tui.wait_until("the mail screen", |s| {
        !s.contains("first run") && s.contains("work")
    });
    assert_eq!(tui.quit(), 0);
}

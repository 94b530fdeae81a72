//! The built-in table of large providers: the first place discovery looks, since it needs no
//! network for their own domains, and it knows what no autoconfig file says (which of them
//! need OAuth2, where an app password is made).
//!
//! A domain matches by name ([`by_domain`]); a domain hosted by one of them (Google Workspace,
//! Microsoft 365, Fastmail) matches by its MX hosts ([`by_mx`]). What must hold: every entry
//! offers implicit TLS or STARTTLS (never plain), and its note says what else is needed.

use super::Security;

/// How the login name is formed from the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginForm {
    /// The whole address.
    Email,
    /// The part before the `@`.
    LocalPart,
}

/// What the provider accepts besides (or instead of) the account password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderAuth {
    /// OAuth2 with the built-in client preset `oauth2_provider` ("google", "microsoft").
    OAuth2 { preset: &'static str },
    /// A password: an app password where the note says so.
    Password,
}

/// One server of a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProviderServer {
    pub host: &'static str,
    pub port: u16,
    pub security: Security,
    pub login: LoginForm,
}

/// One provider of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Provider {
    /// Its name, shown as the source (`from the built-in table (Gmail)`).
    pub name: &'static str,
    /// Domains matched exactly.
    pub domains: &'static [&'static str],
    /// First labels matched with any short country suffix (`hotmail` matches hotmail.co.uk).
    pub domain_stems: &'static [&'static str],
    /// MX host suffixes of domains it hosts (`.mail.protection.outlook.com`).
    pub mx_suffixes: &'static [&'static str],
    pub imap: ProviderServer,
    pub smtp: ProviderServer,
    pub auth: ProviderAuth,
    /// What else is needed, one or two sentences, shown after the account is written.
    pub note: &'static str,
    /// Written into the account's server tables as `ca_file` (commented: the user sets it).
    pub own_certificate: bool,
}

const fn server(host: &'static str, port: u16, security: Security) -> ProviderServer {
    ProviderServer {
        host,
        port,
        security,
        login: LoginForm::Email,
    }
}

const GOOGLE_NOTE: &str = "Gmail needs OAuth2: set oauth2_client_id to the id of a \"Desktop app\" \
     OAuth client you create at console.cloud.google.com (Gmail API scope \
     https://mail.google.com/), then run `postie login NAME`; or, with 2-Step Verification on, \
     make an app password at myaccount.google.com/apppasswords and use auth = \"password\"";

const MICROSOFT_NOTE: &str = "Microsoft allows only OAuth2 for IMAP, POP3 and SMTP: set \
     oauth2_client_id to a public client registered in Microsoft Entra (portal.azure.com, \
     delegated IMAP.AccessAsUser.All and SMTP.Send) or one your administrator gives you, then \
     run `postie login NAME`";

/// The table. Order matters only for MX matches (first wins).
pub const PROVIDERS: &[Provider] = &[
    Provider {
        name: "Gmail",
        domains: &["gmail.com", "googlemail.com"],
        domain_stems: &[],
        mx_suffixes: &[".google.com", ".googlemail.com"],
        imap: server("imap.gmail.com", 993, Security::Implicit),
        smtp: server("smtp.gmail.com", 465, Security::Implicit),
        auth: ProviderAuth::OAuth2 { preset: "google" },
        note: GOOGLE_NOTE,
        own_certificate: false,
    },
    Provider {
        name: "Outlook.com",
        domains: &["outlook.com", "hotmail.com", "live.com", "msn.com"],
        domain_stems: &["outlook", "hotmail", "live"],
        mx_suffixes: &[],
        imap: server("outlook.office365.com", 993, Security::Implicit),
        smtp: server("smtp-mail.outlook.com", 587, Security::StartTls),
        auth: ProviderAuth::OAuth2 {
            preset: "microsoft",
        },
        note: MICROSOFT_NOTE,
        own_certificate: false,
    },
    Provider {
        name: "Microsoft 365",
        domains: &[],
        domain_stems: &[],
        mx_suffixes: &[".mail.protection.outlook.com"],
        imap: server("outlook.office365.com", 993, Security::Implicit),
        smtp: server("smtp.office365.com", 587, Security::StartTls),
        auth: ProviderAuth::OAuth2 {
            preset: "microsoft",
        },
        note: MICROSOFT_NOTE,
        own_certificate: false,
    },
    Provider {
        name: "Yahoo",
        domains: &["yahoo.com", "ymail.com", "rocketmail.com"],
        domain_stems: &["yahoo"],
        mx_suffixes: &[],
        imap: server("imap.mail.yahoo.com", 993, Security::Implicit),
        smtp: server("smtp.mail.yahoo.com", 465, Security::Implicit),
        auth: ProviderAuth::Password,
        note: "Yahoo needs an app password: make one at login.yahoo.com/account/security \
               (\"Generate app password\"), then store it with `postie login NAME`",
        own_certificate: false,
    },
    Provider {
        name: "iCloud",
        domains: &["icloud.com", "me.com", "mac.com"],
        domain_stems: &[],
        mx_suffixes: &[],
        imap: ProviderServer {
            host: "imap.mail.me.com",
            port: 993,
            security: Security::Implicit,
            login: LoginForm::LocalPart,
        },
        smtp: server("smtp.mail.me.com", 587, Security::StartTls),
        auth: ProviderAuth::Password,
        note: "iCloud needs an app-specific password: make one at account.apple.com \
               (Sign-In and Security), then store it with `postie login NAME`",
        own_certificate: false,
    },
    Provider {
        name: "Fastmail",
        domains: &[
            "fastmail.com",
            "fastmail.fm",
            "fastmail.net",
            "fastmail.org",
        ],
        domain_stems: &[],
        mx_suffixes: &[".messagingengine.com"],
        imap: server("imap.fastmail.com", 993, Security::Implicit),
        smtp: server("smtp.fastmail.com", 465, Security::Implicit),
        auth: ProviderAuth::Password,
        note: "Fastmail needs an app password: make one in Settings > Privacy & Security > \
               Manage app passwords (IMAP and SMTP), then store it with `postie login NAME`",
        own_certificate: false,
    },
    Provider {
        name: "GMX",
        domains: &["gmx.net", "gmx.de", "gmx.at", "gmx.ch"],
        domain_stems: &[],
        mx_suffixes: &[".gmx.net"],
        imap: server("imap.gmx.net", 993, Security::Implicit),
        smtp: server("mail.gmx.net", 465, Security::Implicit),
        auth: ProviderAuth::Password,
        note: "GMX: turn on \"POP3/IMAP access\" in the web mail settings first, then store \
               your password with `postie login NAME`",
        own_certificate: false,
    },
    Provider {
        name: "GMX (international)",
        domains: &["gmx.com", "gmx.us", "gmx.co.uk", "gmx.fr"],
        domain_stems: &[],
        mx_suffixes: &[],
        imap: server("imap.gmx.com", 993, Security::Implicit),
        smtp: server("mail.gmx.com", 465, Security::Implicit),
        auth: ProviderAuth::Password,
        note: "GMX: turn on \"POP3/IMAP access\" in the web mail settings first, then store \
               your password with `postie login NAME`",
        own_certificate: false,
    },
    Provider {
        name: "Posteo",
        domains: &[
            "posteo.de",
            "posteo.net",
            "posteo.org",
            "posteo.eu",
            "posteo.at",
            "posteo.ch",
        ],
        domain_stems: &[],
        mx_suffixes: &[],
        imap: server("posteo.de", 993, Security::Implicit),
        smtp: server("posteo.de", 465, Security::Implicit),
        auth: ProviderAuth::Password,
        note: "Posteo takes your account password: store it with `postie login NAME`",
        own_certificate: false,
    },
    Provider {
        name: "mailbox.org",
        domains: &["mailbox.org"],
        domain_stems: &[],
        mx_suffixes: &[".mailbox.org"],
        imap: server("imap.mailbox.org", 993, Security::Implicit),
        smtp: server("smtp.mailbox.org", 465, Security::Implicit),
        auth: ProviderAuth::Password,
        note: "mailbox.org takes your account password (or an app password where you made \
               one): store it with `postie login NAME`",
        own_certificate: false,
    },
    Provider {
        name: "Proton Mail Bridge",
        domains: &["proton.me", "protonmail.com", "protonmail.ch", "pm.me"],
        domain_stems: &[],
        mx_suffixes: &[],
        imap: server("127.0.0.1", 1143, Security::StartTls),
        smtp: server("127.0.0.1", 1025, Security::StartTls),
        auth: ProviderAuth::Password,
        note: "Proton works through Proton Mail Bridge running on this machine: use the \
               password Bridge shows for the account (`postie login NAME`), and since Bridge \
               has its own certificate, export it (Bridge settings > Export TLS certificates) \
               and set ca_file to it in both server tables",
        own_certificate: true,
    },
];

/// The provider whose own domain `domain` is (lowercase).
pub fn by_domain(domain: &str) -> Option<&'static Provider> {
    let domain = domain.to_ascii_lowercase();
    PROVIDERS.iter().find(|p| {
        p.domains.contains(&domain.as_str())
            || domain.split_once('.').is_some_and(|(stem, suffix)| {
                p.domain_stems.contains(&stem) && is_country_suffix(suffix)
            })
    })
}

/// `com`, `de`, `co.uk`, `com.br`: one or two short labels, as after `hotmail.`.
fn is_country_suffix(suffix: &str) -> bool {
    let labels: Vec<&str> = suffix.split('.').collect();
    labels.len() <= 2
        && labels
            .iter()
            .all(|l| (2..=3).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_alphabetic()))
}

/// The provider hosting a domain whose MX hosts are `mx_hosts`.
pub fn by_mx(mx_hosts: &[String]) -> Option<&'static Provider> {
    PROVIDERS.iter().find(|p| {
        mx_hosts.iter().any(|mx| {
            let mx = format!(".{}", mx.trim_end_matches('.').to_ascii_lowercase());
            p.mx_suffixes.iter().any(|suffix| mx.ends_with(suffix))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_domains_and_country_variants() {
        assert_eq!(by_domain("gmail.com").map(|p| p.name), Some("Gmail"));
        assert_eq!(by_domain("GoogleMail.com").map(|p| p.name), Some("Gmail"));
        assert_eq!(
            by_domain("hotmail.co.uk").map(|p| p.name),
            Some("Outlook.com")
        );
        assert_eq!(by_domain("live.fr").map(|p| p.name), Some("Outlook.com"));
        assert_eq!(by_domain("me.com").map(|p| p.name), Some("iCloud"));
        assert_eq!(by_domain("live.example.org"), None);
        assert_eq!(by_domain("example.org"), None);
    }

    #[test]
    fn hosted_domains_by_mx() {
        let m365 = ["example-org.mail.protection.outlook.com.".to_owned()];
        assert_eq!(by_mx(&m365).map(|p| p.name), Some("Microsoft 365"));
        let workspace = ["aspmx.l.google.com".to_owned()];
        assert_eq!(by_mx(&workspace).map(|p| p.name), Some("Gmail"));
        assert_eq!(by_mx(&["notgoogle.com".to_owned()]), None);
        assert_eq!(by_mx(&["mx.example.org".to_owned()]), None);
    }

    #[test]
    fn every_note_says_what_else_is_needed() {
        for p in PROVIDERS {
            assert!(p.note.contains("postie login NAME"), "{}", p.name);
            match p.auth {
                ProviderAuth::OAuth2 { .. } => assert!(p.note.contains("OAuth2"), "{}", p.name),
                ProviderAuth::Password => assert!(p.note.contains("password"), "{}", p.name),
            }
        }
    }
}

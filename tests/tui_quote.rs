//! Replies and forwards in the TUI, end to end (issue #14 item 2): the real binary in tmux,
//! sending through the harness Postfix to a second user's Dovecot INBOX, the delivered bytes
//! read back. A reply to an HTML-only message quotes the text the reader shows (`> ` lines,
//! the link kept as a numbered reference) with the reply written below the quote; after the
//! send the list has the focus, so `j` then `A` forwards the next message, delivered with
//! the original as a `message/rfc822` part byte for byte.
//!
//! tmux is required: if it is missing these tests fail saying so, they never skip.

mod support;
#[path = "support/tui.rs"]
mod tui;

use mail_parser::{MessageParser, MimeHeaders as _, PartType};
use tui::{Tui, WAIT};

#[test]
fn reply_to_html_quotes_the_reader_text_and_forward_as_attachment_keeps_the_original() {
    let s = support::servers();
    let me = support::new_user("quoteme");
    let them = support::new_user("quotethem");
    let tmp = tempfile::tempdir().expect("tempdir");
    let md = tmp.path().join("Mail");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(md.join(sub)).expect("mkdir");
    }
    let html = format!(
        "From: Them <{them}>\r\nTo: {me}\r\nSubject: HTML news\r\n\
         Date: Tue, 4 Mar 2025 10:00:00 +0000\r\nMessage-ID: <h1@{d}>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
         <html><body><h1>Big Heading</h1><p>First <b>bold</b> paragraph with a \
         <a href=\"https://x.test/doc\">link text</a>.</p>\
         <ul><li>item one</li><li>item two</li></ul></body></html>\r\n",
        them = them.email,
        me = me.email,
        d = s.domain
    );
    let plain = format!(
        "From: Them <{them}>\r\nTo: {me}\r\nSubject: Forward me\r\n\
         Date: Mon, 3 Mar 2025 10:00:00 +0000\r\nMessage-ID: <f1@{d}>\r\n\r\n\
         The original, byte for byte.\r\n",
        them = them.email,
        me = me.email,
        d = s.domain
    );
    std::fs::write(md.join("new/1.1.host"), &html).expect("write message");
    std::fs::write(md.join("new/2.1.host"), &plain).expect("write message");
    let pw = tmp.path().join("pw");
    std::fs::write(&pw, format!("{}\n", me.password)).expect("write pw");
    let config = tmp.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {data:?}\n[accounts.me]\nemail = {email:?}\n\
             [accounts.me.incoming]\nprotocol = \"maildir\"\npath = {md:?}\n\
             [accounts.me.outgoing]\nhost = {host:?}\nport = {port}\ntls = \"implicit\"\n\
             ca_file = {ca:?}\nuser = {login:?}\npassword_command = {cmd:?}\n",
            data = tmp.path().join("data").display().to_string(),
            email = me.email,
            md = md.display().to_string(),
            host = s.host,
            port = s.ports.submissions,
            ca = s.ca_file.display().to_string(),
            login = me.login,
            cmd = format!("cat {}", pw.display()),
        ),
    )
    .expect("write config");
    let tui = Tui::start(&["--config", &config.display().to_string()], &[]);
    tui.wait_for("HTML news");
    tui.wait_for("Forward me");
    // Newest first: the cursor is on the HTML message.
    tui.keys(&["Enter"]);
    tui.wait_for("link text [1]");
    tui.keys(&["r"]);
    tui.wait_for("Subject: Re: HTML news");
    tui.type_text("REPLYTEXT");
    tui.keys(&["C-x"]);
    tui.wait_for("Message sent");
    // The list has the focus: j moves to the next message, A forwards that one.
    tui.keys(&["j"]);
    tui.keys(&["A"]);
    tui.wait_for("Fwd: Forward me");
    tui.type_text(&them.email);
    tui.keys(&["C-x"]);
    tui.wait_until("the forward to be sent", |screen| {
        screen.contains("Message sent") && !screen.contains("Forward me.eml")
    });
    assert_eq!(tui.quit(), 0, "stderr: {}", tui.stderr());
    tui.assert_restored();

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let files = rt.block_on(them.wait_for_messages("INBOX", 2, WAIT));
    let delivered: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(f).expect("read delivered"))
        .collect();
    let find = |subject: &str| {
        delivered
            .iter()
            .find(|b| String::from_utf8_lossy(b).contains(subject))
            .unwrap_or_else(|| panic!("no delivered message with {subject}"))
    };
    let reply = String::from_utf8_lossy(find("Subject: Re: HTML news")).replace("\r\n", "\n");
    let quote = "> # Big Heading\n>\n> First bold paragraph with a link text [1].\n\
                 > * item one\n> * item two\n>\n> [1]: https://x.test/doc\n\nREPLYTEXT";
    assert!(reply.contains(quote), "{reply}");
    assert!(reply.contains("In-Reply-To: <h1@"), "{reply}");

    let fwd = find("Subject: Fwd: Forward me");
    let msg = MessageParser::default().parse(fwd).expect("parses");
    let parts: Vec<&[u8]> = msg
        .parts
        .iter()
        .filter(|p| matches!(p.body, PartType::Message(_)))
        .map(|p| {
            assert_eq!(
                p.content_type().map(|c| (c.ctype(), c.subtype())),
                Some(("message", Some("rfc822")))
            );
            &fwd[p.offset_body as usize..p.offset_end as usize]
        })
        .collect();
    assert_eq!(parts.len(), 1, "{}", String::from_utf8_lossy(fwd));
    // Dovecot keeps its Maildir files with LF line ends (the whole message, not only the
    // part), so the original's CRLFs are compared as LFs.
    let lf = |b: &[u8]| String::from_utf8_lossy(b).replace("\r\n", "\n");
    assert_eq!(lf(parts[0]).trim_end(), lf(plain.as_bytes()).trim_end());
}

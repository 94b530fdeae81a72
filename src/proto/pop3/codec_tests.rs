use super::*;

const BIG: usize = usize::MAX;

fn body(buf: &[u8]) -> Vec<u8> {
    let (status, data, used) = parse_reply(buf, true, MAX_STATUS_LINE, BIG).unwrap();
    assert!(status.is_ok());
    assert_eq!(used, buf.len(), "the whole reply is used");
    data
}

#[test]
fn status_lines() {
    let s = parse_status_line(b"+OK 2 messages (320 octets)\r\n").unwrap();
    assert_eq!(s.kind, StatusKind::Ok);
    assert_eq!(s.text, "2 messages (320 octets)");
    assert_eq!(s.code, None);
    let s = parse_status_line(b"+OK\r\n").unwrap();
    assert!(s.is_ok() && s.text.is_empty());
    let s = parse_status_line(b"-ERR no such message\n").unwrap();
    assert_eq!(
        (s.kind, s.text.as_str()),
        (StatusKind::Err, "no such message")
    );
    // Lower case tolerated, as many servers and clients do.
    assert!(parse_status_line(b"+ok fine\r\n").unwrap().is_ok());
    let s = parse_status_line(b"+ \r\n").unwrap();
    assert_eq!((s.kind, s.text.as_str()), (StatusKind::Continue, ""));
    let s = parse_status_line(b"+ UGxhaW4=\r\n").unwrap();
    assert_eq!(
        (s.kind, s.text.as_str()),
        (StatusKind::Continue, "UGxhaW4=")
    );
    assert!(parse_status_line(b"+").unwrap().kind == StatusKind::Continue);
}

#[test]
fn invalid_status_lines() {
    for line in [
        &b"OK\r\n"[..],
        b"+OKAY\r\n",
        b"-ERRx\r\n",
        b"\r\n",
        b"* OK imap\r\n",
        b"",
    ] {
        assert!(
            matches!(parse_status_line(line), Err(CodecError::Invalid(_))),
            "{:?}",
            String::from_utf8_lossy(line)
        );
    }
}

#[test]
fn response_codes_map_to_error_kinds() {
    let cases = [
        (
            &b"-ERR [IN-USE] mailbox locked\r\n"[..],
            ResponseCode::InUse,
            Some(ErrorKind::Temporary),
        ),
        (
            b"-ERR [AUTH] bad password\r\n",
            ResponseCode::Auth,
            Some(ErrorKind::Auth),
        ),
        (
            b"-ERR [SYS/TEMP] try later\r\n",
            ResponseCode::SysTemp,
            Some(ErrorKind::Temporary),
        ),
        (
            b"-ERR [SYS/PERM] broken\r\n",
            ResponseCode::SysPerm,
            Some(ErrorKind::Protocol),
        ),
        (
            b"-ERR [LOGIN-DELAY] wait\r\n",
            ResponseCode::LoginDelay,
            Some(ErrorKind::Temporary),
        ),
        (
            b"-ERR [sys/temp/disk] later\r\n",
            ResponseCode::SysTemp,
            Some(ErrorKind::Temporary),
        ),
        (
            b"-ERR [XYZ] what\r\n",
            ResponseCode::Other("XYZ".to_owned()),
            None,
        ),
    ];
    for (line, code, kind) in cases {
        let s = parse_status_line(line).unwrap();
        assert_eq!(s.kind, StatusKind::Err);
        assert_eq!(s.code.as_ref(), Some(&code));
        assert_eq!(code.error_kind(), kind);
        assert!(
            !s.text.starts_with('['),
            "code removed from text: {}",
            s.text
        );
    }
    let s = parse_status_line(b"-ERR [IN-USE]\r\n").unwrap();
    assert_eq!((s.code, s.text.as_str()), (Some(ResponseCode::InUse), ""));
    // An unterminated bracket is just text.
    let s = parse_status_line(b"-ERR [IN-USE mailbox\r\n").unwrap();
    assert_eq!(s.code, None);
}

#[test]
fn greeting_and_apop_timestamp() {
    let s =
        parse_status_line(b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n").unwrap();
    let g = Greeting::from_status(&s);
    assert_eq!(
        g.apop_timestamp.as_deref(),
        Some("<1896.697170952@dbc.mtview.ca.us>")
    );
    assert!(g.text.starts_with("POP3 server ready"));
    let g = Greeting::from_status(&parse_status_line(b"+OK Dovecot ready.\r\n").unwrap());
    assert_eq!(g.apop_timestamp, None);
    assert_eq!(apop_timestamp("ready <no-at-sign>"), None);
    assert_eq!(apop_timestamp("ready <a b@c>"), None);
    assert_eq!(apop_timestamp("ready <>"), None);
    assert_eq!(apop_timestamp("ready <x@y"), None);
}

#[test]
fn check_line_bounds() {
    assert_eq!(check_line(b"+OK\r\nrest", 100), Ok(5));
    assert_eq!(check_line(b"+OK", 100), Err(CodecError::Incomplete));
    assert_eq!(check_line(b"", 100), Err(CodecError::Incomplete));
    assert_eq!(check_line(b"123456789\n", 10), Ok(10));
    assert_eq!(
        check_line(b"1234567890\n", 10),
        Err(CodecError::LineTooLong { limit: 10 })
    );
    // An overlong line is refused before its end arrives: memory stays bounded.
    assert_eq!(
        check_line(&[b'a'; 10], 10),
        Err(CodecError::LineTooLong { limit: 10 })
    );
    assert_eq!(check_line(&[b'a'; 9], 10), Err(CodecError::Incomplete));
}

#[test]
fn multiline_plain_body_keeps_crlf_and_final_line_end() {
    assert_eq!(
        body(b"+OK\r\nSubject: x\r\n\r\nhello\r\n.\r\n"),
        b"Subject: x\r\n\r\nhello\r\n"
    );
    assert_eq!(body(b"+OK 0 octets\r\n.\r\n"), b"");
}

#[test]
fn multiline_dot_unstuffing() {
    assert_eq!(
        body(b"+OK\r\n..\r\n.\r\n"),
        b".\r\n",
        "a stuffed lone dot is data"
    );
    assert_eq!(body(b"+OK\r\n...\r\n.\r\n"), b"..\r\n");
    assert_eq!(body(b"+OK\r\n..hidden\r\n.\r\n"), b".hidden\r\n");
    assert_eq!(body(b"+OK\r\na\r\n..\r\nb\r\n.\r\n"), b"a\r\n.\r\nb\r\n");
    // A dot that is not at a line start is untouched.
    assert_eq!(body(b"+OK\r\na.b\r\n a\r\n.\r\n"), b"a.b\r\n a\r\n");
    // Unstuffed even when the server did not need to stuff (".x" where "..x" was meant).
    assert_eq!(body(b"+OK\r\n.x\r\n.\r\n"), b"x\r\n");
}

#[test]
fn lone_dot_ends_the_body_and_the_rest_is_the_next_reply() {
    let buf = b"+OK\r\nfirst\r\n.\r\n+OK\r\nsecond\r\n.\r\n";
    let (_, data, used) = parse_reply(buf, true, MAX_STATUS_LINE, BIG).unwrap();
    assert_eq!(data, b"first\r\n");
    let (_, data, used2) = parse_reply(&buf[used..], true, MAX_STATUS_LINE, BIG).unwrap();
    assert_eq!(data, b"second\r\n");
    assert_eq!(used + used2, buf.len());
    // ". " or ".\t" are data lines (unstuffed), not the terminator.
    assert_eq!(body(b"+OK\r\n. \r\n.\r\n"), b" \r\n");
}

#[test]
fn bare_lf_is_tolerated_and_kept() {
    assert_eq!(
        body(b"+OK\nline one\nline two\r\n..dot\n.\n"),
        b"line one\nline two\r\n.dot\n"
    );
    assert_eq!(body(b"+OK\r\nx\r\n.\n"), b"x\r\n");
}

#[test]
fn eight_bit_and_nul_bytes_survive() {
    let data = b"Subject: \xe9t\xe9\r\n\r\n\x00\xff\xfe\x80 body\r\n";
    let mut wire = b"+OK\r\n".to_vec();
    wire.extend_from_slice(data);
    wire.extend_from_slice(b".\r\n");
    assert_eq!(body(&wire), data);
}

#[test]
fn err_reply_has_no_body_even_when_multiline() {
    let buf = b"-ERR no such message\r\n+OK\r\n";
    let (status, data, used) = parse_reply(buf, true, MAX_STATUS_LINE, BIG).unwrap();
    assert_eq!(status.kind, StatusKind::Err);
    assert!(data.is_empty());
    assert_eq!(used, 22);
}

#[test]
fn single_line_reply_ignores_what_follows() {
    let (status, data, used) = parse_reply(b"+OK 1 2\r\nxx", false, MAX_STATUS_LINE, BIG).unwrap();
    assert_eq!((status.text.as_str(), data.len(), used), ("1 2", 0, 9));
}

#[test]
fn a_reply_split_at_every_byte_position_is_incomplete_until_whole() {
    let wire: &[u8] = b"+OK 42 octets\r\nFrom: a\r\n..stuffed\r\n\r\n..\r\nend\xff\r\n.\r\n";
    let expected: &[u8] = b"From: a\r\n.stuffed\r\n\r\n.\r\nend\xff\r\n";
    for cut in 0..wire.len() {
        assert_eq!(
            check_reply(&wire[..cut], true, MAX_STATUS_LINE),
            Err(CodecError::Incomplete),
            "prefix of {cut} bytes"
        );
    }
    assert_eq!(check_reply(wire, true, MAX_STATUS_LINE), Ok(wire.len()));
    // Incremental decoding with the body fed in two pieces, split at every position.
    let status_len = check_line(wire, MAX_STATUS_LINE).unwrap();
    let rest = &wire[status_len..];
    for cut in 0..=rest.len() {
        let mut decoder = MultilineDecoder::new(MAX_STATUS_LINE, BIG);
        let mut pending = rest[..cut].to_vec();
        let used = decoder.decode(&pending).unwrap();
        pending.drain(..used);
        assert!(!decoder.is_done() || cut == rest.len());
        pending.extend_from_slice(&rest[cut..]);
        let used = decoder.decode(&pending).unwrap();
        assert_eq!(used, pending.len(), "cut at {cut}");
        assert!(decoder.is_done());
        assert_eq!(decoder.into_data(), expected, "cut at {cut}");
    }
}

#[test]
fn byte_by_byte_decoding() {
    let wire: &[u8] = b"a\r\n..\r\n\r\nb\n.\r\nNEXT";
    let mut decoder = MultilineDecoder::new(100, BIG);
    let mut pending = Vec::new();
    let mut fed = 0;
    while !decoder.is_done() {
        pending.push(wire[fed]);
        fed += 1;
        let used = decoder.decode(&pending).unwrap();
        pending.drain(..used);
    }
    assert_eq!(&wire[fed..], b"NEXT");
    assert_eq!(decoder.into_data(), b"a\r\n.\r\n\r\nb\n");
}

#[test]
fn overlong_lines_are_bounded() {
    let mut decoder = MultilineDecoder::new(16, BIG);
    assert_eq!(decoder.decode(b"short\r\n"), Ok(7));
    // Incomplete and already past the bound: refused without waiting for the line end.
    assert_eq!(
        decoder.decode(&[b'x'; 16]),
        Err(CodecError::LineTooLong { limit: 16 })
    );
    let mut decoder = MultilineDecoder::new(16, BIG);
    assert_eq!(
        decoder.decode(b"0123456789abcdefg\r\n"),
        Err(CodecError::LineTooLong { limit: 16 })
    );
    let long_status = [&[b'+'; 1][..], b"OK ", &[b'a'; MAX_STATUS_LINE]].concat();
    assert!(matches!(
        check_reply(&long_status, false, MAX_STATUS_LINE),
        Err(CodecError::LineTooLong { .. })
    ));
}

#[test]
fn total_size_is_bounded() {
    let mut decoder = MultilineDecoder::new(100, 10);
    assert_eq!(decoder.decode(b"12345678\r\n"), Ok(10));
    assert!(matches!(
        decoder.decode(b"x\r\n"),
        Err(CodecError::Invalid(_))
    ));
}

#[test]
fn body_lines_split_listing() {
    let lines: Vec<&[u8]> = body_lines(b"1 2\r\n\r\n3 4\n5 6").collect();
    assert_eq!(lines, vec![&b"1 2"[..], b"3 4", b"5 6"]);
}

/// A tiny deterministic generator, so the randomized tests replay identically.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> usize {
        (self.next() % n) as usize
    }
}

/// What a server sends for `message` (which ends with a line end): dots stuffed, `.` added.
fn stuff(message: &[u8]) -> Vec<u8> {
    let mut wire = b"+OK message follows\r\n".to_vec();
    for line in message.split_inclusive(|&b| b == b'\n') {
        if line.first() == Some(&b'.') {
            wire.push(b'.');
        }
        wire.extend_from_slice(line);
    }
    wire.extend_from_slice(b".\r\n");
    wire
}

fn random_message(rng: &mut XorShift) -> Vec<u8> {
    let mut message = Vec::new();
    for _ in 0..rng.below(30) {
        if rng.below(4) == 0 {
            message.push(b'.');
        }
        for _ in 0..rng.below(20) {
            // Any byte but LF; dots, CRs, NULs and 8-bit bytes often.
            let b = [b'.', b'\r', 0, 0xff, b'a', b' '][rng.below(6)];
            let b = if rng.below(2) == 0 {
                b
            } else {
                rng.next() as u8
            };
            message.push(if b == b'\n' { b'x' } else { b });
        }
        message.extend_from_slice(if rng.below(8) == 0 { b"\n" } else { b"\r\n" });
    }
    message
}

#[test]
fn randomized_round_trip_with_random_splits() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for _ in 0..2000 {
        let message = random_message(&mut rng);
        let wire = stuff(&message);
        let (_, data, used) = parse_reply(&wire, true, MAX_STATUS_LINE, BIG).unwrap();
        assert_eq!((data.as_slice(), used), (message.as_slice(), wire.len()));
        // The same bytes arriving in random pieces decode to the same message.
        let status_len = check_line(&wire, MAX_STATUS_LINE).unwrap();
        let mut decoder = MultilineDecoder::new(MAX_STATUS_LINE, BIG);
        let mut pending = Vec::new();
        let mut fed = status_len;
        while !decoder.is_done() {
            let take = (1 + rng.below(40)).min(wire.len() - fed);
            pending.extend_from_slice(&wire[fed..fed + take]);
            fed += take;
            let used = decoder.decode(&pending).unwrap();
            pending.drain(..used);
        }
        assert!(pending.is_empty() && fed == wire.len());
        assert_eq!(decoder.into_data(), message);
    }
}

#[test]
fn random_garbage_never_panics() {
    let mut rng = XorShift(42);
    for _ in 0..5000 {
        let len = rng.below(64);
        let buf: Vec<u8> = (0..len)
            .map(|_| [b'+', b'-', b'.', b'\r', b'\n', b'O', b'K', b' '][rng.below(8)])
            .collect();
        let _ = check_reply(&buf, true, 16);
        let _ = parse_reply(&buf, rng.below(2) == 0, 16, 32);
        let mut decoder = MultilineDecoder::new(8, 24);
        if let Ok(used) = decoder.decode(&buf) {
            assert!(used <= buf.len());
        }
    }
}

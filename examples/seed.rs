//! `cargo run --example seed`: the test harness's mailbox seeding, for scripts (scripts/bench).
//!
//! The seeding code lives in tests/support (seed.rs, seed/corpus.rs) and is included here with
//! `#[path]`, so the benchmark seeds exactly the corpus the integration tests use, and the
//! postie binary never depends on test code (an example is built only on request, with the
//! dev-dependencies). Nothing of postie's own library is used.
//!
//! ```text
//! seed user PREFIX COUNT OUT      new user on the running harness servers ($POSTIE_TEST_SERVERS),
//!                                 COUNT messages in its INBOX; writes OUT as shell assignments
//!                                 (LOGIN, EMAIL, MAILDIR, PASSWORD_FILE). The password itself
//!                                 is only in the 0600 PASSWORD_FILE, never printed.
//! seed maildir DIR COUNT          COUNT messages into a plain Maildir DIR (created), no servers
//! seed maildir-small DIR COUNT    COUNT small messages (~400 bytes: headers, threads, two body
//!                                 lines) into DIR, streamed: the 1,000,000-message set of
//!                                 `scripts/bench --huge` (about 4.5 GB of disk with 4 KB blocks)
//! ```

#[path = "../tests/support/mod.rs"]
#[allow(dead_code, unused_imports, clippy::all)]
mod support;

use std::fs::{self, File};
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant, UNIX_EPOCH};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["user", prefix, count, out] => {
            count_arg(count).and_then(|n| seed_user(prefix, n, Path::new(out)))
        }
        ["maildir", dir, count] => count_arg(count).and_then(|n| seed_maildir(Path::new(dir), n)),
        ["maildir-small", dir, count] => {
            count_arg(count).and_then(|n| seed_maildir_small(Path::new(dir), n))
        }
        _ => Err(
            "usage: seed user PREFIX COUNT OUT | seed maildir DIR COUNT | seed maildir-small DIR COUNT"
                .to_string(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("seed: {e}");
            ExitCode::from(1)
        }
    }
}

fn count_arg(s: &str) -> Result<usize, String> {
    s.parse().map_err(|e| format!("bad count {s:?}: {e}"))
}

/// A fresh harness user with `n` messages in INBOX (the harness panics with a clear message when
/// the servers are missing; that ends this process with status 101).
fn seed_user(prefix: &str, n: usize, out: &Path) -> Result<(), String> {
    let started = Instant::now();
    let user = support::new_user(prefix);
    let seeded = support::seed(&user, "INBOX", n);
    let password_file = user.password_file();
    let bytes: usize = seeded.iter().map(|s| s.bytes().len()).sum();
    let text = format!(
        "LOGIN='{}'\nEMAIL='{}'\nMAILDIR='{}'\nPASSWORD_FILE='{}'\nCOUNT={n}\nBYTES={bytes}\n",
        user.login,
        user.email,
        user.maildir.display(),
        password_file.display()
    );
    write_new(out, text.as_bytes())?;
    eprintln!(
        "seed: {} <- {n} messages ({:.1} MB) in {:.1} s",
        user.login,
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `n` messages of the harness corpus in a plain Maildir (flags in the names, mtime = Date), as
/// a local mail store for neomutt, notmuch and postie's maildir accounts.
fn seed_maildir(dir: &Path, n: usize) -> Result<(), String> {
    let started = Instant::now();
    for sub in ["", "cur", "new", "tmp"] {
        let d = dir.join(sub);
        fs::create_dir_all(&d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
        fs::set_permissions(&d, fs::Permissions::from_mode(0o700))
            .map_err(|e| format!("cannot chmod {}: {e}", d.display()))?;
    }
    let mut bytes = 0usize;
    for (k, message) in support::seed::generate(0xbe4c, "bench@example.test", n)
        .into_iter()
        .enumerate()
    {
        let size = message.bytes.len();
        bytes += size;
        let base = format!(
            "{}.M{k}P{}.postie-bench,S={size}",
            1_600_000_000 + k,
            std::process::id()
        );
        let dest: PathBuf = if message.recent {
            dir.join("new").join(&base)
        } else {
            dir.join("cur").join(format!("{base}:2,{}", message.flags))
        };
        let tmp = dir.join("tmp").join(&base);
        let mut file =
            File::create(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
        file.write_all(&message.bytes)
            .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
        file.set_modified(UNIX_EPOCH + Duration::from_secs(message.date.max(0) as u64))
            .map_err(|e| format!("cannot set the mtime of {}: {e}", tmp.display()))?;
        drop(file);
        fs::rename(&tmp, &dest).map_err(|e| format!("cannot rename {}: {e}", tmp.display()))?;
    }
    eprintln!(
        "seed: {} <- {n} messages ({:.1} MB) in {:.1} s",
        dir.display(),
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `n` small messages in a plain Maildir, generated one at a time (no corpus held in memory):
/// ~35% replies to one of the last 50 messages (References + In-Reply-To), ~3% with "holiday"
/// in the subject, 90% seen, one minute apart from 2020-01-01 on.
fn seed_maildir_small(dir: &Path, n: usize) -> Result<(), String> {
    const TOPICS: &[&str] = &[
        "release branch",
        "quarterly numbers",
        "build failed again",
        "lunch tomorrow",
        "server migration",
        "review this patch",
        "budget draft",
        "staging deploy",
    ];
    let started = Instant::now();
    for sub in ["", "cur", "new", "tmp"] {
        let d = dir.join(sub);
        fs::create_dir_all(&d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
    }
    let mut rng = support::seed::XorShift::new(0x5a11);
    // (message id, references, subject) of the last 50 messages: what a reply picks from.
    let mut recent: std::collections::VecDeque<(String, Vec<String>, String)> =
        std::collections::VecDeque::with_capacity(51);
    let mut bytes = 0usize;
    for k in 0..n {
        let date = 1_577_836_800 + 60 * k as i64;
        let id = format!("small.{k}.{}@bench.example.org", rng.alnum(4));
        let parent =
            (!recent.is_empty() && rng.chance(35)).then(|| rng.below(recent.len() as u64) as usize);
        let (subject, refs) = match parent.and_then(|p| recent.get(p)) {
            Some((pid, prefs, psubject)) => {
                let mut refs = prefs.clone();
                refs.push(pid.clone());
                if refs.len() > 10 {
                    refs.drain(..refs.len() - 10);
                }
                let base = psubject.strip_prefix("Re: ").unwrap_or(psubject);
                (format!("Re: {base}"), refs)
            }
            None if rng.chance(3) => (format!("holiday plans {k}"), Vec::new()),
            None => (format!("{} {k}", rng.pick(TOPICS)), Vec::new()),
        };
        let mut text = format!(
            "Message-ID: <{id}>\nDate: {}\nFrom: Sender {} <s{}@example.org>\nTo: bench@example.test\nSubject: {subject}\n",
            chrono_free_date(date),
            k % 997,
            k % 997
        );
        if let Some(last) = refs.last() {
            let list: Vec<String> = refs.iter().map(|r| format!("<{r}>")).collect();
            text.push_str(&format!(
                "In-Reply-To: <{last}>\nReferences: {}\n",
                list.join(" ")
            ));
        }
        text.push_str("\nA short message for the big-folder benchmark.\nSee you then.\n");
        recent.push_back((id, refs, subject));
        if recent.len() > 50 {
            recent.pop_front();
        }
        bytes += text.len();
        let base = format!(
            "{date}.M{k}P{}.postie-small,S={}",
            std::process::id(),
            text.len()
        );
        let seen = rng.chance(90);
        let dest = if seen {
            dir.join("cur").join(format!("{base}:2,S"))
        } else {
            dir.join("cur").join(format!("{base}:2,"))
        };
        let mut file =
            File::create(&dest).map_err(|e| format!("cannot create {}: {e}", dest.display()))?;
        file.write_all(text.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", dest.display()))?;
    }
    eprintln!(
        "seed: {} <- {n} small messages ({:.1} MB) in {:.1} s",
        dir.display(),
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// An RFC 5322 date in UTC for `secs` since the epoch (civil-from-days, no date crate).
fn chrono_free_date(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} +0000",
        WEEKDAYS[days.rem_euclid(7) as usize],
        MONTHS[(month - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn write_new(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    file.write_all(bytes)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

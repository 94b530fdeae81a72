//! Message flags and their Maildir spelling (the `:2,` info: D F P R S T).
//!
//! Pure: no IO. The store uses [`Flags::to_maildir_info`] and [`Flags::from_maildir_info`] to
//! keep the file name and the index in step; unknown info characters (Dovecot keyword letters
//! `a`..`z`, or flags of other programs) are carried through untouched so that renaming a file
//! for a flag change never loses another program's data.

use std::fmt;

/// One of the flags postie lets users set (the names of SPEC.md's `flag add|remove FLAG`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Flag {
    Seen,
    Answered,
    Flagged,
    Deleted,
    Draft,
}

impl Flag {
    /// All flags in the order the JSON output lists them.
    pub const ALL: [Flag; 5] = [
        Flag::Seen,
        Flag::Answered,
        Flag::Flagged,
        Flag::Deleted,
        Flag::Draft,
    ];

    /// The lowercase name used by the CLI and `--json`.
    pub fn name(self) -> &'static str {
        match self {
            Flag::Seen => "seen",
            Flag::Answered => "answered",
            Flag::Flagged => "flagged",
            Flag::Deleted => "deleted",
            Flag::Draft => "draft",
        }
    }

    /// Parses a CLI flag name (case-insensitive; IMAP spellings like `\Seen` are accepted too).
    pub fn parse(name: &str) -> Option<Flag> {
        let name = name.trim().trim_start_matches('\\');
        Flag::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }

    /// The Maildir info character (<https://cr.yp.to/proto/maildir.html>).
    pub fn maildir_char(self) -> char {
        match self {
            Flag::Draft => 'D',
            Flag::Flagged => 'F',
            Flag::Answered => 'R',
            Flag::Seen => 'S',
            Flag::Deleted => 'T',
        }
    }

    /// The IMAP system flag spelling.
    pub fn imap_name(self) -> &'static str {
        match self {
            Flag::Seen => "\\Seen",
            Flag::Answered => "\\Answered",
            Flag::Flagged => "\\Flagged",
            Flag::Deleted => "\\Deleted",
            Flag::Draft => "\\Draft",
        }
    }

    fn bit(self) -> u8 {
        match self {
            Flag::Seen => 1,
            Flag::Answered => 2,
            Flag::Flagged => 4,
            Flag::Deleted => 8,
            Flag::Draft => 16,
        }
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A message's flags: the five known ones plus any other Maildir info characters, kept verbatim.
///
/// `P` (passed, i.e. forwarded/bounced) has no IMAP system flag; it is kept as an "other"
/// character like the rest, so it survives round trips.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Flags {
    bits: u8,
    /// Other info characters, sorted and deduplicated (e.g. `P`, Dovecot keyword letters).
    other: String,
}

impl Flags {
    /// No flags at all.
    pub fn empty() -> Flags {
        Flags::default()
    }

    /// Flags from a list of known flags.
    pub fn from_flags(flags: &[Flag]) -> Flags {
        let mut f = Flags::default();
        for flag in flags {
            f.insert(*flag);
        }
        f
    }

    pub fn contains(&self, flag: Flag) -> bool {
        self.bits & flag.bit() != 0
    }

    pub fn insert(&mut self, flag: Flag) {
        self.bits |= flag.bit();
    }

    pub fn remove(&mut self, flag: Flag) {
        self.bits &= !flag.bit();
    }

    /// The known flags that are set, in [`Flag::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = Flag> + '_ {
        Flag::ALL.into_iter().filter(|f| self.contains(*f))
    }

    /// The names of the set flags, as `--json` prints them.
    pub fn names(&self) -> Vec<&'static str> {
        self.iter().map(Flag::name).collect()
    }

    /// Characters other than D F R S T found in the info, sorted.
    pub fn other(&self) -> &str {
        &self.other
    }

    /// These flags' known flags with `local`'s other characters: how a server's flag list
    /// (which knows nothing of Maildir-only characters like `P`) is applied to a local file.
    pub fn with_other_from(&self, local: &Flags) -> Flags {
        Flags {
            bits: self.bits,
            other: local.other.clone(),
        }
    }

    /// Whether no flag and no other character is set.
    pub fn is_empty(&self) -> bool {
        self.bits == 0 && self.other.is_empty()
    }

    /// Parses the part after `:2,` (any order, duplicates and junk tolerated). Only ASCII
    /// letters count as flags; anything else is dropped, as other Maildir readers do.
    pub fn from_maildir_info(info: &str) -> Flags {
        let mut flags = Flags::default();
        let mut other: Vec<char> = Vec::new();
        for c in info.chars() {
            match c {
                'D' => flags.insert(Flag::Draft),
                'F' => flags.insert(Flag::Flagged),
                'R' => flags.insert(Flag::Answered),
                'S' => flags.insert(Flag::Seen),
                'T' => flags.insert(Flag::Deleted),
                c if c.is_ascii_alphabetic() => other.push(c),
                _ => {}
            }
        }
        other.sort_unstable();
        other.dedup();
        flags.other = other.into_iter().collect();
        flags
    }

    /// The info characters in ASCII order, as the Maildir spec requires (`FRS`, `DPS`, `Sa`).
    pub fn to_maildir_info(&self) -> String {
        let mut chars: Vec<char> = self.iter().map(Flag::maildir_char).collect();
        chars.extend(self.other.chars());
        chars.sort_unstable();
        chars.dedup();
        chars.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maildir_info_round_trip_keeps_unknown_chars_sorted() {
        let f = Flags::from_maildir_info("aSPRzT");
        assert!(f.contains(Flag::Seen));
        assert!(f.contains(Flag::Answered));
        assert!(f.contains(Flag::Deleted));
        assert!(!f.contains(Flag::Flagged));
        assert_eq!(f.other(), "Paz");
        assert_eq!(f.to_maildir_info(), "PRSTaz");
        assert_eq!(Flags::from_maildir_info(&f.to_maildir_info()), f);
    }

    #[test]
    fn every_flag_round_trips_through_its_char_and_name() {
        for flag in Flag::ALL {
            let f = Flags::from_maildir_info(&flag.maildir_char().to_string());
            assert_eq!(f.iter().collect::<Vec<_>>(), vec![flag]);
            assert_eq!(Flag::parse(flag.name()), Some(flag));
            assert_eq!(Flag::parse(flag.imap_name()), Some(flag));
        }
        assert_eq!(Flag::parse("SEEN"), Some(Flag::Seen));
        assert_eq!(Flag::parse("bogus"), None);
    }

    #[test]
    fn junk_and_duplicates_are_tolerated() {
        let f = Flags::from_maildir_info("SS,!é F");
        assert_eq!(f.to_maildir_info(), "FS");
        assert_eq!(f.names(), vec!["seen", "flagged"]);
        let mut g = f.clone();
        g.remove(Flag::Seen);
        g.insert(Flag::Draft);
        assert_eq!(g.to_maildir_info(), "DF");
    }
}

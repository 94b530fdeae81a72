//! Maildir folders: tmp-then-rename delivery with fsync, flags in the `:2,` info.

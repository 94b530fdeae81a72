//! Passwords: from `password_command` or the system keyring; always as secrecy types.

//! What OpenPGP does to a message `postie send` sends: whether to sign and when to encrypt
//! (the flags over the account's defaults), and with which key (the sending identity's).
//!
//! What must hold: a message on standard input is passed on as it is unless a flag asks;
//! `if-all-keys` encrypts only when the keyring has a key for every recipient.

use super::{Mode, SendArgs};
use crate::config::{Account, PgpEncrypt};
use crate::pgp::{Backend, PgpError, Protection};

/// Whether to sign, and when to encrypt: the flags, else (composed messages only) the
/// account's defaults. A message on standard input is passed on as it is unless asked.
pub(super) fn pgp_wanted(args: &SendArgs, account: &Account, mode: Mode) -> (bool, PgpEncrypt) {
    let defaults = mode == Mode::Compose;
    let sign = args.sign || (defaults && !args.no_sign && account.pgp.sign);
    let encrypt = if args.encrypt {
        PgpEncrypt::Always
    } else if args.no_encrypt || !defaults {
        PgpEncrypt::Never
    } else {
        account.pgp.encrypt
    };
    (sign, encrypt)
}

/// What to do to the message: `if-all-keys` encrypts only when every recipient has a usable
/// key (asking the keyring), `always` whatever happens next (a missing key then stops it).
/// The key is the one of the identity sending (`from`, its address), see
/// [`Account::pgp_key_for`].
pub(super) fn protection(
    pgp: &dyn Backend,
    account: &Account,
    from: &str,
    sign: bool,
    encrypt: PgpEncrypt,
    recipients: &[String],
) -> Result<Protection, PgpError> {
    let encrypt = match encrypt {
        PgpEncrypt::Never => false,
        PgpEncrypt::Always => true,
        PgpEncrypt::IfAllKeys => crate::pgp::mime::missing_keys(pgp, recipients)?.is_empty(),
    };
    Ok(Protection::for_sender(
        sign,
        encrypt,
        from,
        account.pgp_key_for(from),
    ))
}

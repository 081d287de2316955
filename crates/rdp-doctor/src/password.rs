//! Where the password for `check --user` comes from: `--password-file`, else the `RDP_DOCTOR_PASSWORD`
//! environment variable, else a prompt on the terminal. Never from argv, never echoed, never printed: it
//! goes straight into a [`Password`] (zeroed on drop, `<redacted>` in Debug).

use std::path::Path;

use anyhow::{Context, bail};
use rdp_doctor_probe::session::{Credentials, Password};
use zeroize::Zeroize;

/// The environment variable read when no `--password-file` is given.
pub const ENV: &str = "RDP_DOCTOR_PASSWORD";

/// Builds the credentials for `user`.
pub fn credentials(user: &str, file: Option<&Path>) -> anyhow::Result<Credentials> {
    if user.trim().is_empty() {
        bail!("--user needs an account name");
    }
    let password = match file {
        Some(path) => from_file(path)?,
        None => match std::env::var(ENV) {
            Ok(v) => Password::new(v),
            Err(std::env::VarError::NotUnicode(_)) => bail!("{ENV} is not valid UTF-8"),
            Err(std::env::VarError::NotPresent) => prompt(user)?,
        },
    };
    Ok(Credentials { user: user.to_owned(), password })
}

/// The first line of the file (a trailing CR/LF is not part of the password).
fn from_file(path: &Path) -> anyhow::Result<Password> {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut crate::input::open(path, "--password-file")?, &mut text)
        .with_context(|| format!("reading --password-file {}", path.display()))?;
    let end = text.find(['\r', '\n']).unwrap_or(text.len());
    let mut rest = text.split_off(end);
    rest.zeroize();
    Ok(Password::new(text))
}

/// Asks on the terminal without echo (the prompt goes to the terminal, not to stdout).
fn prompt(user: &str) -> anyhow::Result<Password> {
    match rpassword::prompt_password(format!("Password for {user} (one logon attempt will be made): ")) {
        Ok(p) => Ok(Password::new(p)),
        Err(e) => bail!(
            "no password for --user: cannot prompt ({e}); use --password-file FILE or set {ENV} (never pass it \
             as an argument)"
        ),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn file_gives_its_first_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        std::fs::write(&path, "s3cret pass\r\nignored\n").unwrap();
        let c = credentials("CORP\\alice", Some(&path)).unwrap();
        assert_eq!(c.user, "CORP\\alice");
        assert!(!format!("{c:?}").contains("s3cret"));
        assert!(credentials("alice", Some(&dir.path().join("missing"))).is_err());
        assert!(credentials(" ", Some(&path)).is_err());
    }
}

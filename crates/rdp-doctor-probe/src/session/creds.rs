//! Credentials for the one authentication attempt of `check --user`.
//!
//! The password lives in a [`Password`]: its `Debug` prints `<redacted>`, it has no `Display`, and its
//! memory is zeroed when dropped (zeroize). It is only ever read to hand it to IronRDP's connector.

use zeroize::Zeroizing;

/// A password. Never printed, never serialised; zeroed on drop.
#[derive(Clone)]
pub struct Password(Zeroizing<String>);

impl Password {
    /// Takes ownership of `s` (the caller's copy is moved, not duplicated).
    pub fn new(s: String) -> Self {
        Self(Zeroizing::new(s))
    }

    /// The secret, for the connector only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// An account and its password.
#[derive(Clone)]
pub struct Credentials {
    /// As typed: `DOMAIN\user`, `user@domain.example` or `user`.
    pub user: String,
    pub password: Password,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("user", &self.user).field("password", &self.password).finish()
    }
}

impl Credentials {
    /// The account split the way the Client Info PDU carries it (MS-RDPBCGR 2.2.1.11.1.1): `DOMAIN\user`
    /// gives domain `DOMAIN` and user name `user`; a UPN (`user@domain`) stays whole with no domain.
    pub fn split_account(&self) -> (String, Option<String>) {
        match self.user.split_once('\\') {
            Some((domain, user)) => (user.to_owned(), Some(domain.to_owned()).filter(|d| !d.is_empty())),
            None => (self.user.clone(), None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_password() {
        let c = Credentials { user: "CORP\\alice".into(), password: Password::new("hunter2-secret".into()) };
        let text = format!("{c:?} {:?} {:#?}", c.password, c);
        assert!(!text.contains("hunter2-secret"), "{text}");
        assert!(text.contains("<redacted>"));
    }

    #[test]
    fn accounts_split_as_client_info_carries_them() {
        let c = |u: &str| Credentials { user: u.into(), password: Password::new(String::new()) }.split_account();
        assert_eq!(c("CORP\\alice"), ("alice".into(), Some("CORP".into())));
        assert_eq!(c("alice@corp.example"), ("alice@corp.example".into(), None));
        assert_eq!(c("alice"), ("alice".into(), None));
        assert_eq!(c(".\\alice"), ("alice".into(), Some(".".into())));
    }
}

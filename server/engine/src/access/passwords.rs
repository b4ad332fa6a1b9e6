//! Password hashing: argon2id (PHC strings with their own salt and parameters), and a constant-work check for
//! names that do not exist, so a failed login takes the same time whether or not the account exists.

use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::EngineError;

/// The shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 10;

/// Checks a new password's length (the only rule: long beats clever).
pub fn check_new(password: &str) -> Result<(), EngineError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_LEN {
        return Err(EngineError::Invalid(format!("the password must have at least {MIN_PASSWORD_LEN} characters")));
    }
    if n > 1024 {
        return Err(EngineError::Invalid("the password is longer than 1024 characters".into()));
    }
    Ok(())
}

/// An argon2id hash of a password, as a PHC string.
pub fn hash(password: &str) -> Result<String, EngineError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| EngineError::Internal(format!("cannot hash the password: {e}")))
}

/// True when the password matches the stored hash.
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// Does the same work as [`verify`] against a hash nobody's password matches (for unknown names).
pub fn verify_nobody(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let stored = DUMMY.get_or_init(|| hash("weir: no such account, no such password").unwrap_or_default());
    let _ = verify(password, stored);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let a = hash("correct horse battery").expect("hash");
        let b = hash("correct horse battery").expect("hash");
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify("correct horse battery", &a));
        assert!(!verify("correct horse batterY", &a));
        assert!(!verify("anything", "not a hash"));
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_new("short").is_err());
        assert!(check_new("long enough!").is_ok());
    }
}

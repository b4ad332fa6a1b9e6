//! Rules for the names of things (clusters, environments, later namespaces and jobs).

use crate::EngineError;

/// A name is 1–63 characters of lowercase letters, digits and `-`, starting with a letter or digit,
/// so it is safe in URLs, file names and Flink job names.
pub fn check(kind: &str, name: &str) -> Result<(), EngineError> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(EngineError::Invalid(format!(
            "invalid {kind} name '{name}': use 1 to 63 lowercase letters, digits or '-', not starting with '-'"
        )))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn names() {
        for good in ["local", "prod-eu-1", "a", "0x"] {
            assert!(super::check("cluster", good).is_ok(), "{good}");
        }
        for bad in ["", "-x", "Prod", "a b", "a/b", &"x".repeat(64)] {
            assert!(super::check("cluster", bad).is_err(), "{bad}");
        }
    }
}

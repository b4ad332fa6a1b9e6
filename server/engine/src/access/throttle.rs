//! Login throttling: failed logins are counted per account name and per client address over a window; past
//! the limit, further attempts are refused (429) until the window passes — whether the password is right or not,
//! and whether the account exists or not. Counted in memory (a restart forgets the counts).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed attempts on one account name within the window before it is locked.
pub const PER_ACCOUNT: u32 = 5;
/// Failed attempts from one address within the window before it is locked.
pub const PER_ADDRESS: u32 = 20;
/// The window (and the lock's length after the last failure).
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginThrottle {
    fn keys(name: &str, address: Option<&str>) -> [(String, u32); 2] {
        [
            (format!("account:{}", name.trim().to_lowercase()), PER_ACCOUNT),
            (format!("address:{}", address.unwrap_or("unknown")), PER_ADDRESS),
        ]
    }

    /// `Some(seconds to wait)` when either key is locked.
    pub fn locked(&self, name: &str, address: Option<&str>) -> Option<u64> {
        let now = Instant::now();
        let mut map = self.failures.lock().ok()?;
        map.retain(|_, (_, last)| now.duration_since(*last) < WINDOW);
        Self::keys(name, address)
            .iter()
            .filter_map(|(k, limit)| {
                let (n, last) = map.get(k)?;
                (*n >= *limit).then(|| (WINDOW - now.duration_since(*last)).as_secs().max(1))
            })
            .max()
    }

    pub fn failed(&self, name: &str, address: Option<&str>) {
        let now = Instant::now();
        if let Ok(mut map) = self.failures.lock() {
            for (k, _) in Self::keys(name, address) {
                let entry = map.entry(k).or_insert((0, now));
                entry.0 += 1;
                entry.1 = now;
            }
        }
    }

    /// A successful login clears the account's count (not the address's).
    pub fn succeeded(&self, name: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&format!("account:{}", name.trim().to_lowercase()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_an_account_after_its_limit_and_an_address_after_its_own() {
        let t = LoginThrottle::default();
        for _ in 0..PER_ACCOUNT {
            assert!(t.locked("alice", Some("10.0.0.1")).is_none());
            t.failed("alice", Some("10.0.0.1"));
        }
        assert!(t.locked("Alice", Some("10.0.0.2")).is_some(), "the account is locked from any address");
        assert!(t.locked("bob", Some("10.0.0.2")).is_none());
        for i in 0..PER_ADDRESS {
            t.failed(&format!("user{i}"), Some("10.0.0.3"));
        }
        assert!(t.locked("carol", Some("10.0.0.3")).is_some(), "the address is locked for every account");
        t.succeeded("bob");
    }
}

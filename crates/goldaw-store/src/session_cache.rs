//! The signed-in sessions this process has looked up lately, so that a page view does not read
//! the session and its account from the database each time.
//!
//! Staleness bound: an entry is used for at most [`SESSION_CACHE_TTL`] after it was read. Every
//! change this process makes that bears on a session (signing out, a session expiring, the second
//! factor done, an account disabled, a password changed) removes the entries it touches before it
//! returns, so within one process the cache is never behind. A change made elsewhere (the `goldaw`
//! command line, another `goldaw serve` on the same database, SQL by hand) takes effect here within
//! [`SESSION_CACHE_TTL`]. The timeouts themselves are checked on every request against the
//! session's stored times, exactly as without the cache.
//!
//! Only live sessions are kept, under the token's SHA-256 (never the token itself); an unknown
//! token always goes to the database. A lookup that raced with a removal is not stored: every
//! removal moves a generation counter, and a row read before the move is dropped.

use crate::sessions::Stage;
use chrono::{DateTime, Utc};
use goldaw_core::access::Principal;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How long a looked-up session is trusted without reading it again.
pub const SESSION_CACHE_TTL: Duration = Duration::from_secs(5);

/// At most this many sessions are kept; past it the expired ones go, and if none had, all.
const MAX_ENTRIES: usize = 10_000;

/// A live session as read from the database (the principal without the request's address).
#[derive(Clone)]
pub(crate) struct CachedSession {
    pub principal: Principal,
    pub csrf: String,
    pub stage: Stage,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

struct Entry {
    session: CachedSession,
    read_at: Instant,
}

#[derive(Default)]
struct Map {
    entries: HashMap<Vec<u8>, Entry>,
    /// Moves on every removal (see the module's note on races).
    generation: u64,
}

pub(crate) struct SessionCache {
    map: Mutex<Map>,
    ttl: Duration,
}

impl Default for SessionCache {
    fn default() -> Self {
        SessionCache::with_ttl(SESSION_CACHE_TTL)
    }
}

impl SessionCache {
    pub(crate) fn with_ttl(ttl: Duration) -> SessionCache {
        SessionCache {
            map: Mutex::default(),
            ttl,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Map> {
        // A panic while holding the lock leaves a map that is still consistent (every change to
        // it is one call), so a poisoned lock is taken over rather than failing every request.
        self.map
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The session under `hash`, if it was read less than the TTL ago.
    pub(crate) fn get(&self, hash: &[u8]) -> Option<CachedSession> {
        let map = self.lock();
        map.entries
            .get(hash)
            .filter(|e| e.read_at.elapsed() < self.ttl)
            .map(|e| e.session.clone())
    }

    /// The generation to pass to [`SessionCache::insert`] for a row about to be read.
    pub(crate) fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Keeps a session read from the database, unless something was removed since `generation`
    /// was taken (the row may predate that removal).
    pub(crate) fn insert(&self, hash: Vec<u8>, session: CachedSession, generation: u64) {
        let mut map = self.lock();
        if map.generation != generation {
            return;
        }
        if map.entries.len() >= MAX_ENTRIES && !map.entries.contains_key(&hash) {
            let ttl = self.ttl;
            map.entries.retain(|_, e| e.read_at.elapsed() < ttl);
            if map.entries.len() >= MAX_ENTRIES {
                map.entries.clear();
            }
        }
        map.entries.insert(
            hash,
            Entry {
                session,
                read_at: Instant::now(),
            },
        );
    }

    /// Records a refresh of `last_seen_at` written by this process.
    pub(crate) fn touch(&self, hash: &[u8], at: DateTime<Utc>) {
        if let Some(e) = self.lock().entries.get_mut(hash) {
            e.session.last_seen_at = at;
        }
    }

    /// Forgets one session (signed out, expired, moved to another stage).
    pub(crate) fn forget(&self, hash: &[u8]) {
        let mut map = self.lock();
        map.generation += 1;
        map.entries.remove(hash);
    }

    /// Forgets every session of one account (disabled, password changed, role or scope changed).
    pub(crate) fn forget_user(&self, user_id: Uuid) {
        let mut map = self.lock();
        map.generation += 1;
        map.entries
            .retain(|_, e| e.session.principal.user_id != Some(user_id));
    }

    /// Forgets every session, as if the TTL had passed for all.
    #[cfg(feature = "testing")]
    pub(crate) fn clear(&self) {
        let mut map = self.lock();
        map.generation += 1;
        map.entries.clear();
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use goldaw_core::access::Scope;
    use goldaw_core::codes::Role;

    fn session(user: Uuid) -> CachedSession {
        CachedSession {
            principal: Principal::user(
                user,
                "aman",
                Role::SocialWorker,
                Scope::Unit("TM-A-01".parse().unwrap()),
                false,
            ),
            csrf: "c".into(),
            stage: Stage::Active,
            created_at: Utc::now(),
            last_seen_at: Utc::now(),
        }
    }

    #[test]
    fn kept_sessions_are_found_and_forgotten_by_token_or_by_account() {
        let cache = SessionCache::default();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        cache.insert(vec![1], session(a), cache.generation());
        cache.insert(vec![2], session(a), cache.generation());
        cache.insert(vec![3], session(b), cache.generation());
        assert!(cache.get(&[1]).is_some());
        assert!(cache.get(&[9]).is_none());

        cache.forget(&[1]);
        assert!(cache.get(&[1]).is_none());
        assert!(cache.get(&[2]).is_some());

        cache.forget_user(a);
        assert!(cache.get(&[2]).is_none());
        assert_eq!(
            cache.get(&[3]).and_then(|s| s.principal.user_id),
            Some(b),
            "another account's session stays"
        );
    }

    #[test]
    fn a_row_read_before_a_removal_is_not_kept() {
        let cache = SessionCache::default();
        let user = Uuid::now_v7();
        let before = cache.generation();
        // Sign-out happens between the lookup's read and its insert.
        cache.forget(&[1]);
        cache.insert(vec![1], session(user), before);
        assert!(cache.get(&[1]).is_none());
        cache.insert(vec![1], session(user), cache.generation());
        assert!(cache.get(&[1]).is_some());
    }

    #[test]
    fn an_entry_is_trusted_for_the_ttl_only() {
        let cache = SessionCache::with_ttl(Duration::from_millis(50));
        cache.insert(vec![1], session(Uuid::now_v7()), cache.generation());
        assert!(cache.get(&[1]).is_some());
        std::thread::sleep(Duration::from_millis(80));
        assert!(
            cache.get(&[1]).is_none(),
            "read again from the database after the TTL"
        );
    }

    #[test]
    fn refreshes_are_recorded_and_the_size_is_bounded() {
        let cache = SessionCache::default();
        let user = Uuid::now_v7();
        cache.insert(vec![1], session(user), cache.generation());
        let later = Utc::now() + chrono::Duration::minutes(2);
        cache.touch(&[1], later);
        assert_eq!(cache.get(&[1]).map(|s| s.last_seen_at), Some(later));
        for i in 0..(MAX_ENTRIES as u32 + 5) {
            cache.insert(i.to_le_bytes().to_vec(), session(user), cache.generation());
        }
        assert!(cache.len() <= MAX_ENTRIES);
    }
}

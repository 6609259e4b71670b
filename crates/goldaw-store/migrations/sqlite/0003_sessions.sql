-- Browser sessions. The cookie holds a random token; the database keeps only its SHA-256.
CREATE TABLE sessions (
    token_hash   BLOB PRIMARY KEY,
    user_id      BLOB NOT NULL REFERENCES users(id),
    -- the synchroniser token every form of this session must send back
    csrf         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    ended_at     TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

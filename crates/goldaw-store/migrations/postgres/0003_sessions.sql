-- Browser sessions. The cookie holds a random token; the database keeps only its SHA-256.
CREATE TABLE sessions (
    token_hash   BYTEA PRIMARY KEY,
    user_id      UUID NOT NULL REFERENCES users(id),
    -- the synchroniser token every form of this session must send back
    csrf         TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    ended_at     TIMESTAMPTZ
);
CREATE INDEX sessions_user ON sessions(user_id);

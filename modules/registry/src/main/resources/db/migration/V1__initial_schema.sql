-- Porthole's durable state. PostgreSQL is the source of truth: nothing durable lives only in
-- Hazelcast or in memory.

CREATE TABLE api_keys (
  id            TEXT PRIMARY KEY,
  key_hash      TEXT NOT NULL UNIQUE,          -- SHA-256 of the key, hex; the key itself is never stored
  owner         TEXT NOT NULL,
  is_admin      BOOLEAN NOT NULL DEFAULT FALSE,
  label         TEXT NOT NULL DEFAULT '',
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_used_at  TIMESTAMPTZ,
  revoked_at    TIMESTAMPTZ
);

CREATE TABLE sandboxes (
  id            TEXT PRIMARY KEY,
  token_hash    TEXT,                          -- SHA-256 of the tunnel token, hex
  instance_id   TEXT,
  capacity      INTEGER NOT NULL DEFAULT 50 CHECK (capacity >= 0),
  labels        JSONB NOT NULL DEFAULT '{}'::jsonb,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_seen_at  TIMESTAMPTZ,
  revoked_at    TIMESTAMPTZ
);

CREATE TABLE sessions (
  id            TEXT PRIMARY KEY,
  owner         TEXT NOT NULL,
  sandbox_id    TEXT REFERENCES sandboxes (id),
  status        TEXT NOT NULL CHECK (status IN ('pending', 'starting', 'running', 'sandbox_lost', 'ending', 'ended', 'failed')),
  options       JSONB NOT NULL DEFAULT '{}'::jsonb,
  privileged    BOOLEAN NOT NULL DEFAULT FALSE,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  ended_at      TIMESTAMPTZ
);
CREATE INDEX sessions_owner ON sessions (owner) WHERE ended_at IS NULL;
CREATE INDEX sessions_sandbox ON sessions (sandbox_id) WHERE ended_at IS NULL;

CREATE TABLE exposures (
  session_id    TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  port          INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
  protocol      TEXT NOT NULL CHECK (protocol IN ('http', 'tcp')),
  name          TEXT,
  visibility    TEXT NOT NULL DEFAULT 'private' CHECK (visibility IN ('private', 'authenticated', 'public')),
  policy        JSONB NOT NULL DEFAULT '{}'::jsonb,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (session_id, port)
);
CREATE UNIQUE INDEX exposures_name ON exposures (session_id, name) WHERE name IS NOT NULL;

-- The arbiter of cluster-wide port uniqueness: a port is allocated at most once.
CREATE TABLE port_allocations (
  port          INTEGER PRIMARY KEY CHECK (port BETWEEN 1 AND 65535),
  session_id    TEXT NOT NULL,
  target_port   INTEGER NOT NULL,
  owner         TEXT NOT NULL,
  allocated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  FOREIGN KEY (session_id, target_port) REFERENCES exposures (session_id, port) ON DELETE CASCADE
);
CREATE UNIQUE INDEX port_allocations_target ON port_allocations (session_id, target_port);

CREATE TABLE audit_log (
  id            BIGSERIAL PRIMARY KEY,
  at            TIMESTAMPTZ NOT NULL DEFAULT now(),
  actor         TEXT NOT NULL,                 -- key id, 'system', or a node id
  action        TEXT NOT NULL,                 -- e.g. admin_key.bootstrap, session.create
  subject       TEXT,
  details       JSONB NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_at ON audit_log (at);

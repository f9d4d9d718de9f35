-- The control plane: which node holds which sandbox's tunnel, session details, exposure status
-- and policy, share links, allocation bookkeeping. V1 stays as it was.

ALTER TABLE sandboxes
  ADD COLUMN last_connected_at    TIMESTAMPTZ,
  ADD COLUMN last_disconnected_at TIMESTAMPTZ,
  ADD COLUMN last_node_id         TEXT;

-- One row per live tunnel (a sandbox may hold tunnels to two nodes for failover). A sandbox is
-- connected while it has at least one row; the tunnel server's connected/disconnected messages
-- keep the rows.
CREATE TABLE sandbox_connections (
  sandbox_id    TEXT NOT NULL REFERENCES sandboxes (id) ON DELETE CASCADE,
  node_id       TEXT NOT NULL,
  instance_id   TEXT NOT NULL,
  connected_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (sandbox_id, node_id, instance_id)
);

ALTER TABLE sessions
  ADD COLUMN key_id         TEXT,                -- the API key that created it
  ADD COLUMN container_id   TEXT,
  ADD COLUMN container_ip   TEXT,
  ADD COLUMN status_detail  TEXT,                -- why it failed, was lost, ...
  ADD COLUMN updated_at     TIMESTAMPTZ NOT NULL DEFAULT now();
CREATE INDEX sessions_owner_created ON sessions (owner, created_at);

-- 'pending' while its host port is being allocated (port mode), then 'active'.
-- policy holds idle/response-header timeouts, body limit, CORS and host-header mode.
ALTER TABLE exposures
  ADD COLUMN status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('pending', 'active')),
  ADD CONSTRAINT exposures_name_dns CHECK (name IS NULL OR name ~ '^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$');

-- allocation_id orders allocated/freed events of one port; protocol tells listeners what to bind.
ALTER TABLE port_allocations
  ADD COLUMN allocation_id BIGSERIAL UNIQUE,
  ADD COLUMN protocol TEXT NOT NULL DEFAULT 'http' CHECK (protocol IN ('http', 'tcp'));
CREATE INDEX port_allocations_owner ON port_allocations (owner);

-- Share links: a random token (≥ 160 bits) stored only as its SHA-256 hash.
CREATE TABLE share_links (
  id            TEXT PRIMARY KEY,
  token_hash    TEXT NOT NULL UNIQUE,
  session_id    TEXT NOT NULL,
  port          INTEGER NOT NULL,
  created_by    TEXT NOT NULL,                   -- key id
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  expires_at    TIMESTAMPTZ,
  revoked_at    TIMESTAMPTZ,
  FOREIGN KEY (session_id, port) REFERENCES exposures (session_id, port) ON DELETE CASCADE
);
CREATE INDEX share_links_exposure ON share_links (session_id, port);

CREATE INDEX api_keys_owner ON api_keys (owner);

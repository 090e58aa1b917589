-- Keyed audit trail (HMAC seals) and signed checkpoints over every chain head.

-- A chain head no longer moves on any INSERT: a forged row could extend a
-- chain with one statement. The store advances each head itself, in the
-- transaction that appends the entries (see src/sqlite/audit.rs).
DROP TRIGGER IF EXISTS audit_entries_advance_head;

-- The checkpoint history, oldest first. Each row is signed with the host's
-- key (never stored here) and signs its predecessor's signature.
CREATE TABLE audit_checkpoints (
    seq            INTEGER NOT NULL PRIMARY KEY,
    at             TEXT    NOT NULL,
    chains         INTEGER NOT NULL,
    entries        INTEGER NOT NULL,
    root           TEXT    NOT NULL,
    prev_signature TEXT    NOT NULL,
    key_id         TEXT    NOT NULL,
    signature      TEXT    NOT NULL
) WITHOUT ROWID;

-- Per chain ('' = no patient), the head the newest checkpoint pinned. Only
-- the heads that moved are rewritten by a new checkpoint; together they
-- must give that checkpoint's signed Merkle root.
CREATE TABLE audit_checkpoint_heads (
    chain TEXT    NOT NULL PRIMARY KEY,
    seq   INTEGER NOT NULL,
    hash  TEXT    NOT NULL
) WITHOUT ROWID;

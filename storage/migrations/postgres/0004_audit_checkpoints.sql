-- Keyed audit trail (HMAC seals) and signed checkpoints over every chain head.
-- (PostgreSQL never had the SQLite head trigger: heads are advanced by the
-- store under row locks, see src/postgres/audit.rs.)

-- REFERENCE TABLE: the checkpoint history, oldest first, one row per
-- checkpoint (rare: taken periodically by the host). Each row is signed with
-- the host's key (never stored here) and signs its predecessor's signature.
CREATE TABLE audit_checkpoints (
    seq            bigint      NOT NULL PRIMARY KEY,
    at             timestamptz NOT NULL,
    chains         bigint      NOT NULL,
    entries        bigint      NOT NULL,
    root           text        NOT NULL,
    prev_signature text        NOT NULL,
    key_id         text        NOT NULL,
    signature      text        NOT NULL
);

-- Per chain (nil uuid = no patient), the head the newest checkpoint pinned;
-- keyed by patient like `audit_heads`. Only the heads that moved are
-- rewritten by a new checkpoint; together they must give that checkpoint's
-- signed Merkle root.
CREATE TABLE audit_checkpoint_heads (
    patient_id uuid   NOT NULL PRIMARY KEY,
    seq        bigint NOT NULL,
    hash       text   NOT NULL
);

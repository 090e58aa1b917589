-- Documents' bytes (core's blob port, `store/blobs.rs`): one row per
-- distinct content, keyed by its SHA-256 as 64 lowercase hex digits, so the
-- same bytes are kept once and an insert of a key that exists changes
-- nothing (ON CONFLICT DO NOTHING). The hash is checked by core on every
-- read. Not keyed by patient: an entry of the patient's record names the
-- key, and reads go through that entry (see docs/scaling.md).
CREATE TABLE clinical_blobs (
    sha256    text COLLATE "C" PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size      bigint      NOT NULL CHECK (size >= 0),
    bytes     bytea       NOT NULL,
    stored_at timestamptz NOT NULL DEFAULT now()
);

-- Scans and photographs are compressed already: kept out of line without
-- another compression attempt.
ALTER TABLE clinical_blobs ALTER COLUMN bytes SET STORAGE EXTERNAL;

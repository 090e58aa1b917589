-- carebase SQLite schema, version 1.
--
-- Conventions: ids are UUID v7 stored as canonical lowercase hyphenated TEXT
-- (text order == uuid order == creation order); instants are RFC 3339 UTC
-- TEXT with nine fractional digits (exact round trip, text order == time
-- order); u64 counters are INTEGER. Every table holding patient data carries
-- `patient_id` so it can be the distribution key on scale-out engines.

-- Patients: identity, status and the filter columns; the full demographics
-- are kept as JSON (serde of PatientDetails) so nothing is lost.
CREATE TABLE patients (
    id          TEXT    NOT NULL PRIMARY KEY,
    version     INTEGER NOT NULL,
    active      INTEGER NOT NULL,
    merged_into TEXT,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    gender      TEXT,
    birth_date  TEXT,
    details     TEXT    NOT NULL
);
CREATE INDEX patients_birth_date ON patients (birth_date, id);

-- Search and blocking keys, computed by core (normalize::search_keys).
CREATE TABLE patient_identifiers (
    system     TEXT NOT NULL,
    value      TEXT NOT NULL,
    patient_id TEXT NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    PRIMARY KEY (system, value)
) WITHOUT ROWID;
CREATE INDEX patient_identifiers_value ON patient_identifiers (value, patient_id);
CREATE INDEX patient_identifiers_patient ON patient_identifiers (patient_id);

CREATE TABLE patient_name_tokens (
    token      TEXT NOT NULL,
    patient_id TEXT NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    PRIMARY KEY (token, patient_id)
) WITHOUT ROWID;
CREATE INDEX patient_name_tokens_patient ON patient_name_tokens (patient_id);

CREATE TABLE patient_phones (
    phone      TEXT NOT NULL,
    patient_id TEXT NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    PRIMARY KEY (phone, patient_id)
) WITHOUT ROWID;
CREATE INDEX patient_phones_patient ON patient_phones (patient_id);

CREATE TABLE patient_emails (
    email      TEXT NOT NULL,
    patient_id TEXT NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    PRIMARY KEY (email, patient_id)
) WITHOUT ROWID;
CREATE INDEX patient_emails_patient ON patient_emails (patient_id);

-- Care relationships and break-the-glass grants.
CREATE TABLE care_team (
    patient_id      TEXT NOT NULL,
    practitioner_id TEXT NOT NULL,
    assigned_by     TEXT NOT NULL,
    assigned_at     TEXT NOT NULL,
    PRIMARY KEY (patient_id, practitioner_id)
) WITHOUT ROWID;

CREATE TABLE break_glass_grants (
    id          TEXT NOT NULL PRIMARY KEY,
    patient_id  TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    reason      TEXT NOT NULL,
    granted_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    reviewed_by TEXT,
    reviewed_at TEXT,
    review_note TEXT
);
CREATE INDEX break_glass_grants_actor ON break_glass_grants (actor_id, patient_id, id);
CREATE INDEX break_glass_grants_unreviewed ON break_glass_grants (id) WHERE reviewed_at IS NULL;

-- Merge log: the record as JSON (with the merged patient as it was), plus the
-- columns queries and the undo rule need. `patient_id` is the survivor.
CREATE TABLE merges (
    id                TEXT NOT NULL PRIMARY KEY,
    patient_id        TEXT NOT NULL,
    merged_patient_id TEXT NOT NULL,
    merged_at         TEXT NOT NULL,
    unmerged_by       TEXT,
    unmerged_at       TEXT,
    record            TEXT NOT NULL
);
CREATE INDEX merges_survivor ON merges (patient_id, id);
CREATE INDEX merges_merged ON merges (merged_patient_id, id);

CREATE TABLE counters (
    name  TEXT    NOT NULL PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;

-- Audit trail, hash-chained per patient. `patient_id` is '' for the chain of
-- entries about no patient; it both names the chain and is the entry's patient.
CREATE TABLE audit_entries (
    id          TEXT    NOT NULL PRIMARY KEY,
    patient_id  TEXT    NOT NULL,
    chain_seq   INTEGER NOT NULL,
    at          TEXT    NOT NULL,
    actor_id    TEXT    NOT NULL,
    roles       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    outcome     TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    break_glass TEXT,
    subject     TEXT,
    prev_hash   TEXT    NOT NULL,
    hash        TEXT    NOT NULL,
    UNIQUE (patient_id, chain_seq)
);
CREATE INDEX audit_entries_patient ON audit_entries (patient_id, id);
CREATE INDEX audit_entries_actor ON audit_entries (actor_id, id);

CREATE TABLE audit_heads (
    chain TEXT    NOT NULL PRIMARY KEY,
    seq   INTEGER NOT NULL,
    hash  TEXT    NOT NULL
) WITHOUT ROWID;

-- Transactional outbox.
CREATE TABLE outbox_events (
    seq             INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    id              TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    schema_version  INTEGER NOT NULL,
    patient_id      TEXT,
    payload         TEXT    NOT NULL,
    idempotency_key TEXT    NOT NULL,
    occurred_at     TEXT    NOT NULL
);
CREATE INDEX outbox_events_idempotency_key ON outbox_events (idempotency_key);

CREATE TABLE outbox_consumers (
    name     TEXT    NOT NULL PRIMARY KEY,
    position INTEGER NOT NULL
) WITHOUT ROWID;

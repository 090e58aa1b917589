-- carebase SQLite schema, version 1.
--
-- Conventions: ids are UUID v7 stored as canonical lowercase hyphenated TEXT
-- (text order == uuid order == creation order); instants are RFC 3339 UTC
-- TEXT with nine fractional digits (exact round trip, text order == time
-- order); u64 counters are INTEGER. Every table holding patient data carries
-- `patient_id` so it can be the distribution key on scale-out engines.

-- Patients: identity, status and the filter columns; the full demographics
-- are kept as JSON (serde of PatientDetails) so nothing is lost.
-- `search_keys` is the JSON of the keys core computed for this record
-- ({"identifiers": [[system, value]], "tokens": [], "phones": [], "emails": []});
-- the triggers below fan it out into the key tables in the same statement,
-- so writing a patient is one round trip however many keys it has.
CREATE TABLE patients (
    id          TEXT    NOT NULL PRIMARY KEY,
    version     INTEGER NOT NULL,
    active      INTEGER NOT NULL,
    merged_into TEXT,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    gender      TEXT,
    birth_date  TEXT,
    details     TEXT    NOT NULL,
    search_keys TEXT    NOT NULL
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

CREATE TABLE patient_name_tokens (
    token      TEXT NOT NULL,
    patient_id TEXT NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    PRIMARY KEY (token, patient_id)
) WITHOUT ROWID;

CREATE TABLE patient_phones (
    phone      TEXT NOT NULL,
    patient_id TEXT NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    PRIMARY KEY (phone, patient_id)
) WITHOUT ROWID;

CREATE TABLE patient_emails (
    email      TEXT NOT NULL,
    patient_id TEXT NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    PRIMARY KEY (email, patient_id)
) WITHOUT ROWID;

-- Key fan-out. Identifier inserts use the default ABORT: a value already held
-- in the system fails the whole statement (the store reports which system).
CREATE TRIGGER patients_keys_after_insert AFTER INSERT ON patients
BEGIN
    INSERT INTO patient_identifiers (system, value, patient_id)
        SELECT json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'), NEW.id
        FROM json_each(NEW.search_keys, '$.identifiers') AS j;
    INSERT INTO patient_name_tokens (token, patient_id)
        SELECT j.value, NEW.id FROM json_each(NEW.search_keys, '$.tokens') AS j;
    INSERT INTO patient_phones (phone, patient_id)
        SELECT j.value, NEW.id FROM json_each(NEW.search_keys, '$.phones') AS j;
    INSERT INTO patient_emails (email, patient_id)
        SELECT j.value, NEW.id FROM json_each(NEW.search_keys, '$.emails') AS j;
END;

CREATE TRIGGER patients_keys_after_update AFTER UPDATE OF search_keys ON patients
BEGIN
    -- Old keys are deleted through each table's primary key (no patient_id
    -- index to maintain on every insert).
    DELETE FROM patient_identifiers WHERE (system, value) IN (
        SELECT json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]')
        FROM json_each(OLD.search_keys, '$.identifiers') AS j) AND patient_id = OLD.id;
    DELETE FROM patient_name_tokens WHERE patient_id = OLD.id AND token IN (
        SELECT j.value FROM json_each(OLD.search_keys, '$.tokens') AS j);
    DELETE FROM patient_phones WHERE patient_id = OLD.id AND phone IN (
        SELECT j.value FROM json_each(OLD.search_keys, '$.phones') AS j);
    DELETE FROM patient_emails WHERE patient_id = OLD.id AND email IN (
        SELECT j.value FROM json_each(OLD.search_keys, '$.emails') AS j);
    INSERT INTO patient_identifiers (system, value, patient_id)
        SELECT json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'), NEW.id
        FROM json_each(NEW.search_keys, '$.identifiers') AS j;
    INSERT INTO patient_name_tokens (token, patient_id)
        SELECT j.value, NEW.id FROM json_each(NEW.search_keys, '$.tokens') AS j;
    INSERT INTO patient_phones (phone, patient_id)
        SELECT j.value, NEW.id FROM json_each(NEW.search_keys, '$.phones') AS j;
    INSERT INTO patient_emails (email, patient_id)
        SELECT j.value, NEW.id FROM json_each(NEW.search_keys, '$.emails') AS j;
END;

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
-- Clustered by chain: appending, walking a chain for verify and the
-- one-entry-per-position rule all use the primary key.
CREATE TABLE audit_entries (
    id          TEXT    NOT NULL UNIQUE,
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
    PRIMARY KEY (patient_id, chain_seq)
) WITHOUT ROWID;
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

CREATE TABLE outbox_consumers (
    name     TEXT    NOT NULL PRIMARY KEY,
    position INTEGER NOT NULL
) WITHOUT ROWID;

-- The chain head advances in the same statement that appends an entry. Heads
-- live in their own table so deleting a chain's newest entries is detectable.
CREATE TRIGGER audit_entries_advance_head AFTER INSERT ON audit_entries
BEGIN
    INSERT INTO audit_heads (chain, seq, hash) VALUES (NEW.patient_id, NEW.chain_seq, NEW.hash)
    ON CONFLICT (chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash;
END;

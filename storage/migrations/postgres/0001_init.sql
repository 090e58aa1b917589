-- carebase PostgreSQL schema, version 1. Same tables as the SQLite schema,
-- with PostgreSQL types.
--
-- Conventions: ids are `uuid` (UUID v7: byte order == creation order);
-- instants are `timestamptz` (microseconds; core truncates instants to
-- microseconds, so round trips are exact); civil dates are `date`; u64
-- counters are `bigint` holding the same bits (the store converts).
-- JSON documents (patient details, merge records, event payloads, roles) are
-- `text`, not `jsonb`: jsonb reorders keys and drops duplicates, text keeps
-- exactly what serde wrote.
--
-- Scale-out (Citus, YugabyteDB): EVERY table holding patient data carries
-- `patient_id` and includes it in its primary key, so it can be the
-- distribution key. The exceptions are reference tables, marked
-- "REFERENCE TABLE" below: they hold global rules (identifier uniqueness),
-- sequences or relay state, not per-patient rows to shard. The storage tests
-- read information_schema and fail when a table breaks this rule.
--
-- The scheduling issue will add `btree_gist` (exclusion constraints against
-- double booking). It is a trusted extension on PostgreSQL 13+, so the
-- database owner can create it without superuser; it is not created here
-- because nothing uses it yet.

-- Patients: identity, status and the filter columns; the full demographics
-- are the serde JSON of PatientDetails.
CREATE TABLE patients (
    patient_id  uuid        NOT NULL PRIMARY KEY,
    version     bigint      NOT NULL,
    active      boolean     NOT NULL,
    merged_into uuid,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    gender      text,
    birth_date  date,
    details     text        NOT NULL
);
CREATE INDEX patients_birth_date ON patients (birth_date, patient_id);

-- Search and blocking keys, computed by core (normalize::search_keys) and
-- replaced by the store on every patient write.
--
-- REFERENCE TABLE: identifier uniqueness is a global rule (one holder per
-- (system, value) across all patients), so the unique key is (system, value)
-- and does not include patient_id. On a distributed engine this table is a
-- reference (replicated) table, or is distributed by (system, value).
CREATE TABLE patient_identifiers (
    system     text NOT NULL,
    value      text NOT NULL,
    patient_id uuid NOT NULL REFERENCES patients (patient_id) ON DELETE CASCADE,
    CONSTRAINT patient_identifiers_unique PRIMARY KEY (system, value)
);
CREATE INDEX patient_identifiers_value ON patient_identifiers (value, patient_id);
CREATE INDEX patient_identifiers_patient ON patient_identifiers (patient_id);

-- Name tokens are compared bytewise (COLLATE "C") so a prefix search is the
-- index range `token >= $prefix AND token < $prefix || U+10FFFF`.
CREATE TABLE patient_name_tokens (
    token      text COLLATE "C" NOT NULL,
    patient_id uuid NOT NULL REFERENCES patients (patient_id) ON DELETE CASCADE,
    PRIMARY KEY (token, patient_id)
);
CREATE INDEX patient_name_tokens_patient ON patient_name_tokens (patient_id);

CREATE TABLE patient_phones (
    phone      text NOT NULL,
    patient_id uuid NOT NULL REFERENCES patients (patient_id) ON DELETE CASCADE,
    PRIMARY KEY (phone, patient_id)
);
CREATE INDEX patient_phones_patient ON patient_phones (patient_id);

CREATE TABLE patient_emails (
    email      text NOT NULL,
    patient_id uuid NOT NULL REFERENCES patients (patient_id) ON DELETE CASCADE,
    PRIMARY KEY (email, patient_id)
);
CREATE INDEX patient_emails_patient ON patient_emails (patient_id);

-- Care relationships and break-the-glass grants.
CREATE TABLE care_team (
    patient_id      uuid        NOT NULL,
    practitioner_id uuid        NOT NULL,
    assigned_by     uuid        NOT NULL,
    assigned_at     timestamptz NOT NULL,
    PRIMARY KEY (patient_id, practitioner_id)
);

CREATE TABLE break_glass_grants (
    patient_id  uuid        NOT NULL,
    id          uuid        NOT NULL,
    actor_id    uuid        NOT NULL,
    reason      text        NOT NULL,
    granted_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    reviewed_by uuid,
    reviewed_at timestamptz,
    review_note text,
    PRIMARY KEY (patient_id, id)
);
CREATE UNIQUE INDEX break_glass_grants_id ON break_glass_grants (id);
CREATE INDEX break_glass_grants_actor ON break_glass_grants (actor_id, patient_id, id);
CREATE INDEX break_glass_grants_unreviewed ON break_glass_grants (id) WHERE reviewed_at IS NULL;

-- Merge log: the record as JSON (with the merged patient as it was), plus the
-- columns queries and the undo rule need. `patient_id` is the survivor.
CREATE TABLE merges (
    patient_id        uuid        NOT NULL,
    id                uuid        NOT NULL,
    merged_patient_id uuid        NOT NULL,
    merged_at         timestamptz NOT NULL,
    unmerged_by       uuid,
    unmerged_at       timestamptz,
    record            text        NOT NULL,
    PRIMARY KEY (patient_id, id)
);
CREATE UNIQUE INDEX merges_id ON merges (id);
CREATE INDEX merges_merged ON merges (merged_patient_id, id);

-- REFERENCE TABLE: named sequences (MRN numbers), not patient data.
CREATE TABLE counters (
    name  text   NOT NULL PRIMARY KEY,
    value bigint NOT NULL
);

-- Audit trail, hash-chained per patient. `patient_id` is the nil uuid
-- (00000000-0000-0000-0000-000000000000) for the chain of entries about no
-- patient; it both names the chain and is the entry's patient, and sorts
-- first like `None`. The primary key (patient_id, chain_seq) makes a fork
-- (two entries at one position) impossible.
CREATE TABLE audit_entries (
    patient_id  uuid        NOT NULL,
    chain_seq   bigint      NOT NULL,
    id          uuid        NOT NULL,
    at          timestamptz NOT NULL,
    actor_id    uuid        NOT NULL,
    roles       text        NOT NULL,
    action      text        NOT NULL,
    outcome     text        NOT NULL,
    reason      text        NOT NULL,
    break_glass uuid,
    subject     text,
    prev_hash   text        NOT NULL,
    hash        text        NOT NULL,
    PRIMARY KEY (patient_id, chain_seq)
);
CREATE UNIQUE INDEX audit_entries_id ON audit_entries (id);
CREATE INDEX audit_entries_patient ON audit_entries (patient_id, id);
CREATE INDEX audit_entries_actor ON audit_entries (actor_id, id);

-- One head per chain (chain = patient id, nil uuid for no patient). Writers
-- lock the heads they append to (SELECT … FOR UPDATE, in chain order), so
-- appends to one chain serialize and unrelated chains proceed in parallel.
-- Heads live in their own table so deleting a chain's newest entries is
-- detectable.
CREATE TABLE audit_heads (
    patient_id uuid   NOT NULL PRIMARY KEY,
    seq        bigint NOT NULL,
    hash       text   NOT NULL
);

-- REFERENCE TABLE: the transactional outbox is one global, totally ordered
-- log that relays poll by `seq`; events name their patient in `patient_id`
-- (nullable) but are read in seq order, not per patient. Writers take a
-- transaction-scoped advisory lock right before inserting, so sequence
-- numbers become visible in commit order (see postgres/write.rs).
CREATE TABLE outbox_events (
    seq             bigserial   NOT NULL PRIMARY KEY,
    id              uuid        NOT NULL,
    kind            text        NOT NULL,
    schema_version  integer     NOT NULL,
    patient_id      uuid,
    payload         text        NOT NULL,
    idempotency_key text        NOT NULL,
    occurred_at     timestamptz NOT NULL
);

-- REFERENCE TABLE: relay consumers' acknowledged positions.
CREATE TABLE outbox_consumers (
    name     text   NOT NULL PRIMARY KEY,
    position bigint NOT NULL
);

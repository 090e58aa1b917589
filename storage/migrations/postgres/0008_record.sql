-- The health record: ONE append-only table of clinical entry versions for
-- every kind of entry, and the current version of each entry with the
-- columns every read selects on (see docs/scaling.md, "The health record").
-- `body` is the JSON of the whole version as text (read back byte for byte:
-- decimals exact, no jsonb normalization). Codes use the "C" collation so
-- (system, code) order is byte order in every backend.
CREATE TABLE clinical_entries (
    patient_id   uuid        NOT NULL,
    entry_id     uuid        NOT NULL,
    version      integer     NOT NULL,
    kind         text        NOT NULL,
    code_system  text COLLATE "C",
    code         text COLLATE "C",
    effective_at timestamptz NOT NULL,
    status       text        NOT NULL,
    recorded_at  timestamptz NOT NULL,
    recorded_by  uuid        NOT NULL,
    body         text        NOT NULL,
    -- Two writers of one version: the second fails here (stale_version).
    PRIMARY KEY (patient_id, entry_id, version)
);

CREATE TABLE clinical_entry_heads (
    patient_id   uuid        NOT NULL,
    entry_id     uuid        NOT NULL,
    version      integer     NOT NULL,
    kind         text        NOT NULL,
    code_system  text COLLATE "C",
    code         text COLLATE "C",
    effective_at timestamptz NOT NULL,
    status       text        NOT NULL,
    retracted    boolean     NOT NULL,
    PRIMARY KEY (patient_id, entry_id)
);

CREATE INDEX clinical_entry_heads_timeline
    ON clinical_entry_heads (patient_id, effective_at, entry_id);

CREATE INDEX clinical_entry_heads_by_patient_code
    ON clinical_entry_heads (patient_id, kind, code_system, code, effective_at, entry_id)
    WHERE NOT retracted;

CREATE INDEX clinical_entry_heads_by_code
    ON clinical_entry_heads (kind, code_system, code, effective_at, entry_id)
    WHERE NOT retracted;

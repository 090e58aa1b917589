-- carebase SQLite schema, version 8: the health record.
--
-- ONE append-only table holds every version of every clinical entry, of
-- every kind: the indexed columns (kind, code, effective time, status) are
-- copied out of the entry, `body` is the JSON of the whole version
-- (envelope and typed body: what reads decode). Rows are only inserted.
-- Keyed by patient first, like every patient table (the distribution key
-- on scale-out engines). No foreign key to `patients`: core checks the
-- patient exists (a change set reference) and the record never deletes.
CREATE TABLE clinical_entries (
    patient_id   TEXT    NOT NULL,
    entry_id     TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    kind         TEXT    NOT NULL,
    code_system  TEXT,
    code         TEXT,
    effective_at TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    recorded_at  TEXT    NOT NULL,
    recorded_by  TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    PRIMARY KEY (patient_id, entry_id, version)
) WITHOUT ROWID;

-- The current version of each entry, one row per entry, replaced on each
-- append (the versions above never are). Every read starts here, on one
-- of its indexes, and joins the version it names by primary key.
CREATE TABLE clinical_entry_heads (
    patient_id   TEXT    NOT NULL,
    entry_id     TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    kind         TEXT    NOT NULL,
    code_system  TEXT,
    code         TEXT,
    effective_at TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    retracted    INTEGER NOT NULL,
    PRIMARY KEY (patient_id, entry_id)
) WITHOUT ROWID;

-- A patient's timeline, in page order (effective time, then id).
CREATE INDEX clinical_entry_heads_timeline
    ON clinical_entry_heads (patient_id, effective_at, entry_id);

-- A patient's entries of one code, in time order: the timeline filtered by
-- code and the latest value per code (read backwards, one step per code).
CREATE INDEX clinical_entry_heads_by_patient_code
    ON clinical_entry_heads (patient_id, kind, code_system, code, effective_at, entry_id)
    WHERE retracted = 0;

-- One code across patients, in time order.
CREATE INDEX clinical_entry_heads_by_code
    ON clinical_entry_heads (kind, code_system, code, effective_at, entry_id)
    WHERE retracted = 0;

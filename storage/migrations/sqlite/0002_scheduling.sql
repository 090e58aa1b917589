-- carebase SQLite schema, version 2: scheduling.
--
-- Same conventions as version 1: ids are canonical lowercase hyphenated
-- TEXT (text order == uuid order), instants RFC 3339 UTC TEXT with nine
-- fractional digits (text order == time order), u64 versions and u32
-- minutes INTEGER, JSON documents TEXT.
--
-- No double booking: writers are serialized (BEGIN IMMEDIATE plus the
-- store's writer mutex), so the store's check for an overlapping active
-- appointment inside the write transaction, before the insert or update,
-- is the guarantee (see sqlite/schedule.rs).

-- Who and what can be booked, and the kinds of visit. Not patient data.
CREATE TABLE practitioners (
    id           TEXT    NOT NULL PRIMARY KEY,
    version      INTEGER NOT NULL,
    name         TEXT    NOT NULL,
    time_zone    TEXT    NOT NULL,
    availability TEXT    NOT NULL, -- serde JSON of Availability
    active       INTEGER NOT NULL,
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL
);

CREATE TABLE resources (
    id        TEXT    NOT NULL PRIMARY KEY,
    version   INTEGER NOT NULL,
    kind      TEXT    NOT NULL, -- room | equipment
    name      TEXT    NOT NULL,
    time_zone TEXT    NOT NULL,
    active    INTEGER NOT NULL
);

CREATE TABLE visit_types (
    id                       TEXT    NOT NULL PRIMARY KEY,
    version                  INTEGER NOT NULL,
    code                     TEXT    NOT NULL,
    name                     TEXT    NOT NULL,
    duration_minutes         INTEGER NOT NULL,
    buffer_before_minutes    INTEGER NOT NULL,
    buffer_after_minutes     INTEGER NOT NULL,
    min_notice_minutes       INTEGER NOT NULL,
    horizon_days             INTEGER NOT NULL,
    max_per_day              INTEGER,
    reminder_offsets_minutes TEXT    NOT NULL -- JSON array, in the order given
);

-- Appointments: the columns queries and the no-overlap rule use, plus the
-- rest of the record (series, cancellation, reschedules, note, fhir_extra)
-- as the JSON `details`. `active` is written by the store from
-- AppointmentStatus::is_active (status not cancelled/noshow). A blocked
-- span (and a visit) is at most 48 hours, so overlap queries bound
-- `blocked_from`/`start_at` from below and read an index range.
CREATE TABLE appointments (
    id              TEXT    NOT NULL PRIMARY KEY,
    patient_id      TEXT    NOT NULL,
    practitioner_id TEXT    NOT NULL,
    room_id         TEXT,
    visit_type_id   TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    active          INTEGER NOT NULL,
    start_at        TEXT    NOT NULL,
    end_at          TEXT    NOT NULL,
    blocked_from    TEXT    NOT NULL,
    blocked_until   TEXT    NOT NULL,
    version         INTEGER NOT NULL,
    booked_by       TEXT    NOT NULL,
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    details         TEXT    NOT NULL
);
-- Busy spans and the no-overlap check (active rows only).
CREATE INDEX appointments_practitioner_busy
    ON appointments (practitioner_id, blocked_from) WHERE active = 1;
CREATE INDEX appointments_room_busy
    ON appointments (room_id, blocked_from) WHERE active = 1 AND room_id IS NOT NULL;
-- Listings (any status), and the patient's busy spans (with `active = 1`).
CREATE INDEX appointments_patient_start ON appointments (patient_id, start_at, id);
CREATE INDEX appointments_practitioner_start ON appointments (practitioner_id, start_at, id);

-- An appointment's reminders, one row per offset; `sent_at` is set once.
CREATE TABLE appointment_reminders (
    patient_id     TEXT    NOT NULL,
    appointment_id TEXT    NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
    offset_minutes INTEGER NOT NULL,
    due_at         TEXT    NOT NULL,
    sent_at        TEXT,
    PRIMARY KEY (patient_id, appointment_id, offset_minutes)
) WITHOUT ROWID;
CREATE INDEX appointment_reminders_due
    ON appointment_reminders (due_at, appointment_id, offset_minutes) WHERE sent_at IS NULL;

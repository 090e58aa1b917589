-- carebase PostgreSQL schema, version 2: scheduling. Same tables as the
-- SQLite schema version 2, with the same conventions as version 1.
--
-- No double booking is a constraint of the database: the EXCLUDE
-- constraints on `appointments` below refuse a second active appointment
-- of one practitioner or room whose blocked span overlaps, or of one
-- patient whose visit overlaps, whatever the number of concurrent writers.
-- They need `btree_gist` (uuid equality inside a GiST index). It is a
-- trusted extension (PostgreSQL 13+): the database owner may create it
-- without superuser. It is database-wide, so it goes to `public` rather
-- than to the first schema of the search_path (dropping that schema would
-- drop the extension and with it every other schema's constraints); a
-- deployment without a writable `public` creates it beforehand, in any
-- schema. (sqlx holds a database-wide advisory lock while migrating, so
-- two stores migrating at once do not race on it.)
CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public;

-- REFERENCE TABLE: practitioners, rooms and devices, and visit types are
-- clinic configuration (staff and rooms), not per-patient rows.
CREATE TABLE practitioners (
    id           uuid        NOT NULL PRIMARY KEY,
    version      bigint      NOT NULL,
    name         text        NOT NULL,
    time_zone    text        NOT NULL,
    availability text        NOT NULL, -- serde JSON of Availability
    active       boolean     NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);

-- REFERENCE TABLE: see practitioners.
CREATE TABLE resources (
    id        uuid    NOT NULL PRIMARY KEY,
    version   bigint  NOT NULL,
    kind      text    NOT NULL, -- room | equipment
    name      text    NOT NULL,
    time_zone text    NOT NULL,
    active    boolean NOT NULL
);

-- REFERENCE TABLE: see practitioners. u32 minutes are bigint (no sign loss).
CREATE TABLE visit_types (
    id                       uuid   NOT NULL PRIMARY KEY,
    version                  bigint NOT NULL,
    code                     text   NOT NULL,
    name                     text   NOT NULL,
    duration_minutes         bigint NOT NULL,
    buffer_before_minutes    bigint NOT NULL,
    buffer_after_minutes     bigint NOT NULL,
    min_notice_minutes       bigint NOT NULL,
    horizon_days             bigint NOT NULL,
    max_per_day              bigint,
    reminder_offsets_minutes text   NOT NULL -- JSON array, in the order given
);

-- Appointments, keyed by patient like every patient table: the columns
-- queries and the no-overlap rule use, plus the rest of the record
-- (series, cancellation, reschedules, note, fhir_extra) as the JSON
-- `details`. `active` is written by the store from
-- AppointmentStatus::is_active (status not cancelled/noshow). A blocked
-- span (and a visit) is at most 48 hours, so the overlap reads bound
-- `blocked_from`/`start_at` from below and read a btree range.
CREATE TABLE appointments (
    patient_id      uuid        NOT NULL,
    id              uuid        NOT NULL,
    practitioner_id uuid        NOT NULL,
    room_id         uuid,
    visit_type_id   uuid        NOT NULL,
    status          text        NOT NULL,
    active          boolean     NOT NULL,
    start_at        timestamptz NOT NULL,
    end_at          timestamptz NOT NULL,
    blocked_from    timestamptz NOT NULL,
    blocked_until   timestamptz NOT NULL,
    version         bigint      NOT NULL,
    booked_by       uuid        NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    details         text        NOT NULL,
    PRIMARY KEY (patient_id, id),
    -- The guarantee under concurrency. The store checks the same overlaps
    -- first (to name the conflicting appointment), maps a violation
    -- (SQLSTATE 23P01) to `double_booking`, and relies on these names.
    -- Scale-out: on Citus the practitioner and room constraints need the
    -- distribution column (see docs/scaling.md).
    CONSTRAINT appointments_practitioner_overlap EXCLUDE USING gist (
        practitioner_id WITH =, tstzrange(blocked_from, blocked_until) WITH &&
    ) WHERE (active),
    CONSTRAINT appointments_room_overlap EXCLUDE USING gist (
        room_id WITH =, tstzrange(blocked_from, blocked_until) WITH &&
    ) WHERE (active AND room_id IS NOT NULL),
    CONSTRAINT appointments_patient_overlap EXCLUDE USING gist (
        patient_id WITH =, tstzrange(start_at, end_at) WITH &&
    ) WHERE (active)
);
CREATE UNIQUE INDEX appointments_id ON appointments (id);
-- Busy spans and the overlap check (active rows only).
CREATE INDEX appointments_practitioner_busy
    ON appointments (practitioner_id, blocked_from) WHERE active;
CREATE INDEX appointments_room_busy
    ON appointments (room_id, blocked_from) WHERE active AND room_id IS NOT NULL;
-- Listings (any status), and the patient's busy spans (with `active`).
CREATE INDEX appointments_patient_start ON appointments (patient_id, start_at, id);
CREATE INDEX appointments_practitioner_start ON appointments (practitioner_id, start_at, id);

-- An appointment's reminders, one row per offset; `sent_at` is set once
-- (a conditional UPDATE … WHERE sent_at IS NULL, so two senders cannot
-- both succeed).
CREATE TABLE appointment_reminders (
    patient_id     uuid        NOT NULL,
    appointment_id uuid        NOT NULL,
    offset_minutes bigint      NOT NULL,
    due_at         timestamptz NOT NULL,
    sent_at        timestamptz,
    PRIMARY KEY (patient_id, appointment_id, offset_minutes),
    FOREIGN KEY (patient_id, appointment_id) REFERENCES appointments (patient_id, id)
);
CREATE INDEX appointment_reminders_due
    ON appointment_reminders (due_at, appointment_id, offset_minutes) WHERE sent_at IS NULL;

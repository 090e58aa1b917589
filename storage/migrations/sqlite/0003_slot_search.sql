-- carebase SQLite schema, version 3: indexes for the free-slot search.
--
-- The busy spans of a search read each practitioner's (or room's) active
-- appointments whose `blocked_from` lies in a range reaching back the
-- longest span (48 h); with `blocked_until` in the index the overlap test
-- runs on index entries and only overlapping rows are read from the table.
DROP INDEX appointments_practitioner_busy;
CREATE INDEX appointments_practitioner_busy
    ON appointments (practitioner_id, blocked_from, blocked_until) WHERE active = 1;
DROP INDEX appointments_room_busy;
CREATE INDEX appointments_room_busy
    ON appointments (room_id, blocked_from, blocked_until)
    WHERE active = 1 AND room_id IS NOT NULL;

-- Per-day limits count a practitioner's active appointments starting in
-- each local day (Store::appointment_counts). Every column the count
-- touches is in the index (`active` too, or SQLite reads the table to
-- test it), so a count is one index range.
CREATE INDEX appointments_practitioner_active_start
    ON appointments (practitioner_id, start_at, visit_type_id, active) WHERE active = 1;

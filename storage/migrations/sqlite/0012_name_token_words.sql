-- Each name-token row carries its patient's folded words (every token of
-- the patient, sorted, space-separated), so a search by name checks a row
-- it walks without leaving it: whether the row's token is the patient's
-- first one starting with the typed word, and whether the patient has a
-- token starting with each other typed word, are `instr` on this column
-- instead of a probe of `patient_name_tokens_patient` per row walked. The
-- table is keyed by (token, patient_id) WITHOUT ROWID, so the walk reads
-- the words from the key's own b-tree. The triggers order the words with a
-- sorted subquery, not `group_concat(… ORDER BY …)`: a trigger's text is
-- parsed by every SQLite that opens the file, and older ones (Python's
-- sqlite3, the system library) do not know that syntax.
ALTER TABLE patient_name_tokens ADD COLUMN words TEXT NOT NULL DEFAULT '';

UPDATE patient_name_tokens SET words = (
    SELECT group_concat(s.token, ' ') FROM (
        SELECT token FROM patient_name_tokens s
        WHERE s.patient_id = patient_name_tokens.patient_id ORDER BY token) AS s);

DROP TRIGGER patients_keys_after_insert;
DROP TRIGGER patients_keys_after_update;

CREATE TRIGGER patients_keys_after_insert AFTER INSERT ON patients
BEGIN
    INSERT INTO patient_identifiers (system, value, patient_id)
        SELECT json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'), NEW.id
        FROM json_each(NEW.search_keys, '$.identifiers') AS j;
    INSERT INTO patient_name_tokens (token, patient_id, words)
        SELECT j.value, NEW.id, (SELECT group_concat(k.value, ' ') FROM (
                                   SELECT value FROM json_each(NEW.search_keys, '$.tokens')
                                   ORDER BY value) AS k)
        FROM json_each(NEW.search_keys, '$.tokens') AS j;
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
    INSERT INTO patient_name_tokens (token, patient_id, words)
        SELECT j.value, NEW.id, (SELECT group_concat(k.value, ' ') FROM (
                                   SELECT value FROM json_each(NEW.search_keys, '$.tokens')
                                   ORDER BY value) AS k)
        FROM json_each(NEW.search_keys, '$.tokens') AS j;
    INSERT INTO patient_phones (phone, patient_id)
        SELECT j.value, NEW.id FROM json_each(NEW.search_keys, '$.phones') AS j;
    INSERT INTO patient_emails (email, patient_id)
        SELECT j.value, NEW.id FROM json_each(NEW.search_keys, '$.emails') AS j;
END;

-- Each name-token row carries its patient's folded words (every token of
-- the patient, sorted bytewise, space-separated), so a search by name
-- checks a row it walks without leaving it: whether the row's token is the
-- patient's first one starting with the typed word, and whether the
-- patient has a token starting with each other typed word, are `strpos` on
-- this column instead of a probe of `patient_name_tokens_patient` per row
-- walked. The primary key includes the words, so the walk is an index-only
-- scan that reads no table page until a row matches.
ALTER TABLE patient_name_tokens ADD COLUMN words text COLLATE "C" NOT NULL DEFAULT '';

UPDATE patient_name_tokens t SET words = w.words
FROM (SELECT patient_id, string_agg(token, ' ' ORDER BY token) AS words
      FROM patient_name_tokens GROUP BY patient_id) w
WHERE w.patient_id = t.patient_id;

ALTER TABLE patient_name_tokens DROP CONSTRAINT patient_name_tokens_pkey;
ALTER TABLE patient_name_tokens ADD PRIMARY KEY (token, patient_id) INCLUDE (words);

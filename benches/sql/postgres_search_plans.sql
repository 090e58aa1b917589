-- The plans of every kind of patient search on a seeded PostgreSQL bench
-- schema (search_latency's `carebase_search_v<N>_<patients>`), as
-- `PostgresStore::search_patients` sends them (storage/src/postgres/
-- patients.rs `search_query`; keep the two in step), on a session set up
-- as the store's connections are (no parallel workers). The store sends
-- each search as an unnamed statement, planned with its values: the
-- "custom plans" below. No such plan may sort or scan a table: a page
-- reads the rows it returns (and, for a name, the tokens it skips), never
-- every match. The "generic plans" show why the store never caches one: a
-- generic plan cannot tell a rare prefix from a common one (at 1,000,000
-- patients the two-word name hash-joins and sorts every match, 1.3 s).
-- Sample values come from the data itself.
--
-- Run: psql "$CAREBASE_PG_URL" -v schema=carebase_search_v3_1000000 -f benches/sql/postgres_search_plans.sql
SET search_path = :schema;
SET max_parallel_workers_per_gather = 0;
SELECT (SELECT value FROM patient_identifiers ORDER BY patient_id LIMIT 1 OFFSET 500) AS ident,
       (SELECT system FROM patient_identifiers ORDER BY patient_id LIMIT 1 OFFSET 500) AS ident_system,
       (SELECT phone FROM patient_phones ORDER BY patient_id LIMIT 1 OFFSET 500) AS phone,
       (SELECT email FROM patient_emails ORDER BY patient_id LIMIT 1 OFFSET 500) AS email,
       (SELECT birth_date FROM patients ORDER BY patient_id LIMIT 1 OFFSET 500) AS birth \gset

PREPARE by_name(text, text, bigint) AS
SELECT p.patient_id, p.version, p.active, p.merged_into, p.created_at, p.updated_at, p.details, t.token AS name_key
FROM patient_name_tokens t JOIN patients p ON p.patient_id = t.patient_id
WHERE t.token >= $1 AND t.token < $2
  AND strpos((' ' || t.words || ' '), ' ' || $1) = strpos((' ' || t.words || ' '), ' ' || t.token || ' ')
ORDER BY t.token, t.patient_id LIMIT $3;
PREPARE by_full_name(text, text, text, bigint) AS
SELECT p.patient_id, p.version, p.active, p.merged_into, p.created_at, p.updated_at, p.details, t.token AS name_key
FROM patient_name_tokens t JOIN patients p ON p.patient_id = t.patient_id
WHERE t.token >= $1 AND t.token < $2
  AND strpos((' ' || t.words || ' '), ' ' || $3) > 0
  AND strpos((' ' || t.words || ' '), ' ' || $1) = strpos((' ' || t.words || ' '), ' ' || t.token || ' ')
ORDER BY t.token, t.patient_id LIMIT $4;
PREPARE by_birth_date(date, bigint) AS
SELECT p.patient_id, p.version, p.active, p.merged_into, p.created_at, p.updated_at, p.details, NULL::text AS name_key
FROM patients p WHERE TRUE AND p.birth_date = $1 ORDER BY p.patient_id LIMIT $2;
PREPARE by_identifier(text, text, bigint) AS
SELECT p.patient_id, p.version, p.active, p.merged_into, p.created_at, p.updated_at, p.details, NULL::text AS name_key
FROM patients p WHERE TRUE AND p.patient_id IN (SELECT patient_id FROM patient_identifiers WHERE value = $1 AND system = $2)
ORDER BY p.patient_id LIMIT $3;
PREPARE by_phone(text, bigint) AS
SELECT p.patient_id, p.version, p.active, p.merged_into, p.created_at, p.updated_at, p.details, NULL::text AS name_key
FROM patients p WHERE TRUE AND p.patient_id IN (SELECT patient_id FROM patient_phones WHERE phone = $1)
ORDER BY p.patient_id LIMIT $2;
PREPARE by_email(text, bigint) AS
SELECT p.patient_id, p.version, p.active, p.merged_into, p.created_at, p.updated_at, p.details, NULL::text AS name_key
FROM patients p WHERE TRUE AND p.patient_id IN (SELECT patient_id FROM patient_emails WHERE email = $1)
ORDER BY p.patient_id LIMIT $2;

\echo '== custom plans'
\set plans 'EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)'
:plans EXECUTE by_name('s', 's' || chr(1114111), 51);
:plans EXECUTE by_name('ga', 'ga' || chr(1114111), 51);
:plans EXECUTE by_name('gar', 'gar' || chr(1114111), 51);
:plans EXECUTE by_full_name('garcia', 'garcia' || chr(1114111), 'maria', 51);
:plans EXECUTE by_name('muller', 'muller' || chr(1114111), 51);
:plans EXECUTE by_birth_date(:'birth', 51);
:plans EXECUTE by_identifier(:'ident', :'ident_system', 51);
:plans EXECUTE by_phone(:'phone', 51);
:plans EXECUTE by_email(:'email', 51);

\echo '== generic plans'
SET plan_cache_mode = force_generic_plan;
:plans EXECUTE by_name('s', 's' || chr(1114111), 51);
:plans EXECUTE by_full_name('garcia', 'garcia' || chr(1114111), 'maria', 51);
:plans EXECUTE by_birth_date(:'birth', 51);
:plans EXECUTE by_identifier(:'ident', :'ident_system', 51);
:plans EXECUTE by_phone(:'phone', 51);
:plans EXECUTE by_email(:'email', 51);

-- The outbox numbered per partition instead of by one global sequence, so
-- writers about different patients never wait for each other (see
-- docs/scaling.md and carebase::events::OUTBOX_PARTITIONS).
--
-- A partition's numbers come from its row in `outbox_partitions`, updated
-- inside the writing transaction: the row lock orders that partition's
-- writers, so its numbers become visible in commit order with no gaps (a
-- rollback gives its numbers back). Events written before this migration
-- keep their numbers in partition 0, the partition of events about no
-- patient; consumers keep their positions there.

ALTER TABLE outbox_events ADD COLUMN partition_id integer NOT NULL DEFAULT 0;
ALTER TABLE outbox_events ALTER COLUMN partition_id DROP DEFAULT;
ALTER TABLE outbox_events ALTER COLUMN seq DROP DEFAULT;
DROP SEQUENCE outbox_events_seq_seq;
ALTER TABLE outbox_events DROP CONSTRAINT outbox_events_pkey;
ALTER TABLE outbox_events ADD PRIMARY KEY (partition_id, seq);

-- REFERENCE TABLE: each partition's newest sequence number (a row appears
-- with the partition's first event).
CREATE TABLE outbox_partitions (
    partition_id integer NOT NULL PRIMARY KEY,
    last_seq     bigint  NOT NULL
);
INSERT INTO outbox_partitions (partition_id, last_seq)
SELECT 0, max(seq) FROM outbox_events HAVING count(*) > 0;

-- REFERENCE TABLE: relay consumers' acknowledged position in each partition.
CREATE TABLE outbox_positions (
    consumer     text    NOT NULL,
    partition_id integer NOT NULL,
    position     bigint  NOT NULL,
    PRIMARY KEY (consumer, partition_id)
);
INSERT INTO outbox_positions (consumer, partition_id, position)
SELECT name, 0, position FROM outbox_consumers;
DROP TABLE outbox_consumers;

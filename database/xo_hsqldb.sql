// XO room log: the events of every origin in the rooms this node holds (org.xo.openfire.DatabaseRoomLog).
// Openfire's SchemaManager runs this script when ofVersion has no row 'xo'. A statement ends with a line ending in
// a semicolon, so no comment line may end in one.
// CACHED: rows live on disk with a bounded cache, not all in the heap as in a MEMORY table (HSQLDB's default).
// Stanzas are up to 60,000 UTF-8 bytes (org.xo.core.Limits), kept as LONGVARCHAR like Openfire's own logs.

CREATE CACHED TABLE ofXoEvent (
  room          VARCHAR(255)    NOT NULL,
  originNode    BIGINT          NOT NULL,
  originEpoch   INTEGER         NOT NULL,
  seq           BIGINT          NOT NULL,
  originTime    BIGINT          NOT NULL,
  kind          INTEGER         NOT NULL,
  nick          VARCHAR(255),
  stanza        LONGVARCHAR,
  CONSTRAINT ofXoEvent_pk PRIMARY KEY (room, originNode, originEpoch, seq)
);
CREATE INDEX ofXoEvent_time_idx ON ofXoEvent (room, originTime);

INSERT INTO ofVersion (name, version) VALUES ('xo', 1);

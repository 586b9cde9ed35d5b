REM XO room log: the events of every origin in the rooms this node holds (org.xo.openfire.DatabaseRoomLog).
REM Openfire's SchemaManager runs this script when ofVersion has no row 'xo'.
REM Stanzas are up to 60,000 UTF-8 bytes (org.xo.core.Limits): CLOB, since VARCHAR2 ends at 4,000 bytes.
REM Oracle stores an empty string as NULL: nick and stanza are empty for control kinds, so both may be NULL.

CREATE TABLE ofXoEvent (
  room          VARCHAR2(255 CHAR) NOT NULL,
  originNode    NUMBER(19)      NOT NULL,
  originEpoch   NUMBER(10)      NOT NULL,
  seq           NUMBER(19)      NOT NULL,
  originTime    NUMBER(19)      NOT NULL,
  kind          NUMBER(10)      NOT NULL,
  nick          VARCHAR2(255 CHAR),
  stanza        CLOB,
  CONSTRAINT ofXoEvent_pk PRIMARY KEY (room, originNode, originEpoch, seq)
);
CREATE INDEX ofXoEvent_time_idx ON ofXoEvent (room, originTime);

INSERT INTO ofVersion (name, version) VALUES ('xo', 1);

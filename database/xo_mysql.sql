# XO room log: the events of every origin in the rooms this node holds (org.xo.openfire.DatabaseRoomLog).
# Openfire's SchemaManager runs this script when ofVersion has no row 'xo'.
# Stanzas are up to 60,000 UTF-8 bytes (org.xo.core.Limits): MEDIUMTEXT, since TEXT ends at 65,535 bytes.

CREATE TABLE ofXoEvent (
  room          VARCHAR(255)    NOT NULL,
  originNode    BIGINT          NOT NULL,
  originEpoch   INTEGER         NOT NULL,
  seq           BIGINT          NOT NULL,
  originTime    BIGINT          NOT NULL,
  kind          INTEGER         NOT NULL,
  nick          VARCHAR(255),
  stanza        MEDIUMTEXT,
  PRIMARY KEY (room, originNode, originEpoch, seq),
  INDEX ofXoEvent_time_idx (room, originTime)
);

INSERT INTO ofVersion (name, version) VALUES ('xo', 1);

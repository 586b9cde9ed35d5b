/* XO room log: the events of every origin in the rooms this node holds (org.xo.openfire.DatabaseRoomLog). */
/* Openfire's SchemaManager runs this script when ofVersion has no row 'xo'. */
/* Stanzas are up to 60,000 UTF-8 bytes (org.xo.core.Limits): NVARCHAR(MAX), since NVARCHAR(n) ends at 4,000. */

CREATE TABLE ofXoEvent (
  room          NVARCHAR(255)   NOT NULL,
  originNode    BIGINT          NOT NULL,
  originEpoch   INT             NOT NULL,
  seq           BIGINT          NOT NULL,
  originTime    BIGINT          NOT NULL,
  kind          INT             NOT NULL,
  nick          NVARCHAR(255),
  stanza        NVARCHAR(MAX),
  CONSTRAINT ofXoEvent_pk PRIMARY KEY (room, originNode, originEpoch, seq)
);
CREATE INDEX ofXoEvent_time_idx ON ofXoEvent (room, originTime);

INSERT INTO ofVersion (name, version) VALUES ('xo', 1);

package org.xo.sync;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

import org.junit.Test;
import org.xo.core.StreamId;
import org.xo.core.Varint;
import org.xo.sync.RepairMessages.DigestEntry;
import org.xo.sync.RepairMessages.MalformedRepairException;
import org.xo.sync.RepairMessages.Range;

public class RepairMessagesTest {
    private static final String ROOM = "lobby@conference.xo";
    private static final StreamId A = new StreamId(-7L, 1_700_000_000, ROOM);
    private static final StreamId B = new StreamId(42L, 5, ROOM);

    private static String base64(ByteBuffer b) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(b.array(), b.position()));
    }

    @Test
    public void digestsAndNacksRoundTrip() throws Exception {
        List<DigestEntry> digest = List.of(new DigestEntry(A, 1, 1_000_000), new DigestEntry(B, 7, 7));
        assertEquals(digest, RepairMessages.decodeDigest(ROOM, RepairMessages.encodeDigest(digest)));
        List<Range> nack = List.of(new Range(A, 3, 9), new Range(A, 20, 1043), new Range(B, 1, 1));
        RepairMessages.Nack decoded = RepairMessages.decodeNack(ROOM, RepairMessages.encodeNack(nack));
        assertEquals(nack, decoded.ranges());
        assertFalse(decoded.capped());
    }

    @Test
    public void aFullDigestFitsOneSmallDatagram() {
        List<DigestEntry> digest = new ArrayList<>();
        for (int i = 0; i < RepairMessages.MAX_DIGEST_STREAMS; i++) {
            digest.add(new DigestEntry(new StreamId(Long.MIN_VALUE + i, Integer.MAX_VALUE, ROOM), Long.MAX_VALUE / 2,
                    Long.MAX_VALUE - 1));
        }
        assertTrue(RepairMessages.encodeDigest(digest).length() < 1400 - 100);
    }

    @Test
    public void aHugeRangeAndTooManyStreamsAreCapped() throws Exception {
        ByteBuffer b = ByteBuffer.allocate(1024);
        for (int stream = 0; stream < RepairMessages.MAX_NACK_STREAMS + 3; stream++) {
            b.putLong(stream).putInt(1).put((byte) 1);
            Varint.write(b, 1);
            Varint.write(b, 1_000_000_000L);
        }
        RepairMessages.Nack nack = RepairMessages.decodeNack(ROOM, base64(b));
        assertTrue(nack.capped());
        assertEquals(RepairMessages.MAX_NACK_STREAMS, nack.ranges().size());
        assertEquals(RepairMessages.MAX_NACK_SPAN, nack.ranges().get(0).length());
    }

    @Test
    public void malformedBodiesAreRefused() {
        ByteBuffer seqZero = ByteBuffer.allocate(32).putLong(1).putInt(1);
        Varint.write(seqZero, 0);
        Varint.write(seqZero, 0);
        ByteBuffer overflow = ByteBuffer.allocate(32).putLong(1).putInt(1);
        Varint.write(overflow, Long.MAX_VALUE);
        Varint.write(overflow, 5);
        ByteBuffer noRanges = ByteBuffer.allocate(32).putLong(1).putInt(1).put((byte) 0);
        for (String body : List.of("", "!!", "AAAA", base64(seqZero), base64(overflow), "A".repeat(5000))) {
            assertThrows(body, MalformedRepairException.class, () -> RepairMessages.decodeDigest(ROOM, body));
        }
        for (String body : List.of("", "AAAA", base64(noRanges), base64(seqZero))) {
            assertThrows(body, MalformedRepairException.class, () -> RepairMessages.decodeNack(ROOM, body));
        }
        ByteBuffer tooMany = ByteBuffer.allocate(2048);
        for (int i = 0; i <= RepairMessages.MAX_DIGEST_STREAMS; i++) {
            tooMany.putLong(i).putInt(1);
            Varint.write(tooMany, 1);
            Varint.write(tooMany, 1);
        }
        assertThrows(MalformedRepairException.class, () -> RepairMessages.decodeDigest(ROOM, base64(tooMany)));
    }
}

package org.xo.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

public class OverlayRoomTest {
    @Test
    public void normalizesCaseAndBlanks() {
        OverlayRoom r = OverlayRoom.parse("  Lobby@Conference.XO\n");
        assertEquals("lobby", r.name());
        assertEquals("conference.xo", r.service());
        assertEquals("lobby@conference.xo", r.jid());
        assertEquals(r, OverlayRoom.of(" LOBBY ", "conference.xo"));
    }

    @Test
    public void keepsNonAsciiNames() {
        assertEquals("caf\u00e9@conference.xo", OverlayRoom.of("CAF\u00c9", "conference.xo").jid());
    }

    @Test
    public void rejectsInvalidAddressesWithAClearSentence() {
        assertMessage("empty", () -> OverlayRoom.parse("@conference.xo"));
        assertMessage("empty", () -> OverlayRoom.of("  ", "conference.xo"));
        assertMessage("not of the form", () -> OverlayRoom.parse("lobby"));
        assertMessage("forbidden character", () -> OverlayRoom.parse("lobby@conference.xo/nick"));
        assertMessage("forbidden character", () -> OverlayRoom.of("two words", "conference.xo"));
        assertMessage("must not contain '@'", () -> OverlayRoom.parse("a@b@c"));
        assertMessage("missing", () -> OverlayRoom.parse(null));
    }

    @Test
    public void limitsTheAddressTo255Utf8Bytes() {
        String service = "conference.xo"; // 13 bytes, plus '@'
        String fits = "\u00e9".repeat(120) + "a".repeat(255 - 14 - 240);
        assertEquals(255, OverlayRoom.of(fits, service).jid().getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
        assertMessage("256 bytes", () -> OverlayRoom.of(fits + "b", service));
    }

    private static void assertMessage(String part, org.junit.function.ThrowingRunnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r);
        assertTrue(e.getMessage(), e.getMessage().contains(part));
    }
}

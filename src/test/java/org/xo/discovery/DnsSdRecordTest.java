package org.xo.discovery;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.Test;

public class DnsSdRecordTest {
    private static AdvertisedRoom room(String name, int occupants) throws Exception {
        return new AdvertisedRoom(name + "@conference.xo", (Inet4Address) InetAddress.getByName("239.192.0.9"), 45045,
                occupants, "a subject");
    }

    private static Map<String, String> received(Map<String, String> txt) {
        Map<String, String> out = new HashMap<>(txt);
        out.put(DnsSdRecord.PORT_KEY, "45045");
        return out;
    }

    @Test
    public void roundTripWithoutSubjects() throws Exception {
        Map<String, String> txt = DnsSdRecord.encode(0xfedcba9876543210L, 1763772000, Duration.ofSeconds(10),
                "conference.xo", List.of(room("lobby", 3), room("ops", 1)));
        assertEquals("fedcba9876543210", txt.get("id"));
        assertEquals("lobby@conference.xo 239.192.0.9 3", txt.get("r0"));
        NodeInfo n = DnsSdRecord.decode("alpha [76543210]", received(txt), "conference.xo");
        assertEquals(0xfedcba9876543210L, n.nodeId());
        assertEquals(1763772000, n.epoch());
        assertEquals("alpha", n.name());
        assertEquals(Duration.ofSeconds(10), n.beaconInterval());
        assertEquals(List.of(new AdvertisedRoom("lobby@conference.xo", room("x", 0).group(), 45045, 3, ""),
                new AdvertisedRoom("ops@conference.xo", room("x", 0).group(), 45045, 1, "")), n.rooms());
    }

    @Test
    public void manyRoomsAreTruncatedWithinTheLimitsAndMarked() throws Exception {
        List<AdvertisedRoom> rooms = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            rooms.add(room("r" + "x".repeat(120) + i, i));
        }
        Map<String, String> txt = DnsSdRecord.encode(1, 2, Duration.ofSeconds(10), "conference.xo", rooms);
        int bytes = 0;
        int listed = 0;
        for (Map.Entry<String, String> e : txt.entrySet()) {
            int size = (e.getKey() + "=" + e.getValue()).getBytes(StandardCharsets.UTF_8).length;
            assertTrue(size <= DnsSdRecord.MAX_TXT_STRING_BYTES);
            bytes += 1 + size;
            listed += e.getKey().matches("r\\d+") ? 1 : 0;
        }
        assertTrue(bytes + " bytes", bytes <= DnsSdRecord.MAX_TXT_BYTES);
        assertTrue(listed >= 1 && listed <= DnsSdRecord.MAX_TXT_ROOMS);
        assertEquals(Integer.toString(40 - listed), txt.get("more"));
        assertEquals(listed, DnsSdRecord.decode("n", received(txt), "conference.xo").rooms().size());
    }

    @Test
    public void instanceNameFitsAndGivesTheNodeNameBack() {
        String name = DnsSdRecord.instanceName("a.very-long-node-name-".repeat(5), 0x123456789abcdefL);
        assertTrue(name.getBytes(StandardCharsets.UTF_8).length <= DnsSdRecord.MAX_INSTANCE_NAME_BYTES);
        assertTrue(name, name.endsWith(" [89abcdef]"));
        assertEquals("alpha", DnsSdRecord.nodeName("alpha [89abcdef] (2)"));
        assertEquals("plain", DnsSdRecord.nodeName("plain"));
    }

    @Test
    public void malformedRecordsAreRejected() throws Exception {
        Map<String, String> good = received(DnsSdRecord.encode(1, 2, Duration.ofSeconds(10), "conference.xo",
                List.of(room("lobby", 3))));
        String[][] breaks = {{"txtvers", "2"}, {"txtvers", null}, {"id", "12"}, {"id", "zz23456789abcdef"},
                {"epoch", "0"}, {"epoch", "-1"}, {"epoch", "99999999999"}, {"bi", "0"}, {"bi", "01"}, {"bi", null},
                {"r0", "lobby@conference.xo 239.192.0.9"}, {"r0", "Lobby@conference.xo 239.192.0.9 1"},
                {"r0", "lobby@conference.xo 10.0.0.1 1"}, {"r0", "lobby@conference.xo 239.192.0.9 x"},
                {"r1", "lobby@conference.xo 239.192.0.9 1"}, {"more", "x"}, {DnsSdRecord.PORT_KEY, "0"}};
        for (String[] b : breaks) {
            Map<String, String> bad = new HashMap<>(good);
            if (b[1] == null) {
                bad.remove(b[0]);
            } else {
                bad.put(b[0], b[1]);
            }
            assertThrows(b[0] + "=" + b[1], MalformedBeaconException.class,
                    () -> DnsSdRecord.decode("n", bad, "conference.xo"));
        }
        assertThrows(DnsSdRecord.OtherOverlayException.class, () -> DnsSdRecord.decode("n", good, "muc.other"));
    }
}

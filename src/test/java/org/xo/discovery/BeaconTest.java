package org.xo.discovery;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.Test;

public class BeaconTest {
    private static Inet4Address group(String dotted) throws Exception {
        return (Inet4Address) InetAddress.getByName(dotted);
    }

    @Test
    public void roundTripKeepsEveryField() throws Exception {
        List<AdvertisedRoom> rooms = List.of(
                new AdvertisedRoom("lobby@conference.xo", group("239.192.23.4"), 45045, 3, "Convoy plans"),
                new AdvertisedRoom("ops@conference.xo", group("239.195.0.1"), 1, 0, ""),
                new AdvertisedRoom("\u4f1a\u8bae@conference.xo", group("224.0.0.0"), 65535, 1_000_000,
                        "tab\there\\ new\nline\r \ud83d\ude80 \u4f1a"));
        String body = Beacon.encode(Duration.ofSeconds(10), rooms);
        assertTrue(body, body.startsWith("XO1 10000\nlobby@conference.xo\t239.192.23.4\t45045\t3\tConvoy plans\n"));
        assertEquals("one line per room", 3, body.chars().filter(c -> c == '\n').count());
        NodeInfo info = Beacon.decode(7, 42, "node-7", body);
        assertEquals(new NodeInfo(7, 42, "node-7", Duration.ofSeconds(10), rooms), info);
        assertTrue(!info.leaving());

        NodeInfo bye = Beacon.decode(7, 42, "n", Beacon.encode(Duration.ZERO, List.of()));
        assertTrue(bye.leaving());
        assertEquals(List.of(), bye.rooms());
        assertEquals("reserved header tokens are ignored", Duration.ofMillis(5),
                Beacon.decode(1, 1, "n", "XO1 5 part=1/2 x").beaconInterval());
    }

    @Test
    public void encoderCleansAndTruncatesSubjects() throws Exception {
        String longSubject = "\u0001" + "\ud83d\ude80".repeat(70) + "\ud800";
        String body = Beacon.encode(Duration.ofSeconds(1), List.of(
                new AdvertisedRoom("a@s", group("239.192.0.1"), 5, 1, longSubject),
                new AdvertisedRoom("a@s", group("239.192.0.1"), 5, 1, "repeated room written once")));
        NodeInfo info = Beacon.decode(1, 1, "n", body);
        assertEquals(1, info.rooms().size());
        assertEquals("\ud83d\ude80".repeat(64), info.rooms().get(0).subject());
        assertEquals("abc", Beacon.truncate("a\u0000b\u007fc"));
    }

    @Test
    public void encoderLimitsTheRoomCount() throws Exception {
        List<AdvertisedRoom> many = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            many.add(new AdvertisedRoom("room" + i + "@conference.xo", group("239.192.0.1"), 45045, i, "s" + i));
        }
        assertEquals(Beacon.MAX_ROOMS, Beacon.decode(1, 1, "n", Beacon.encode(Duration.ofSeconds(1), many))
                .rooms().size());
    }

    @Test
    public void theBridgesANodeIsConfiguredForTravelInTheHeaderAndOlderDecodersPassThemOver() throws Exception {
        List<AdvertisedRoom> rooms = List.of(new AdvertisedRoom("lobby@conference.xo", group("239.192.23.4"), 45045, 1,
                ""));
        java.util.Set<String> gateways = java.util.Set.of("lobby@conference.xo>lobby@muc.example.org",
                "ops@conference.xo>ops@muc.example.org");
        String body = Beacon.encode(Duration.ofSeconds(1), rooms, gateways);
        assertTrue(body, body.startsWith("XO1 1000 gw=lobby@conference.xo>lobby@muc.example.org"
                + " gw=ops@conference.xo>ops@muc.example.org\n"));
        assertEquals(new NodeInfo(7, 42, "n", Duration.ofSeconds(1), rooms, gateways), Beacon.decode(7, 42, "n", body));
        assertEquals("among reserved tokens", java.util.Set.of("a>b"),
                Beacon.decode(1, 1, "n", "XO1 5 part=1/2 gw=a>b x").gateways());
        assertThrows("a blank in a key", IllegalArgumentException.class,
                () -> Beacon.encode(Duration.ofSeconds(1), rooms, java.util.Set.of("a b")));
        for (String bad : List.of("XO1 5 gw=", "XO1 5 gw=a gw=a", "XO1 5 gw=" + "x".repeat(513),
                "XO1 5 gw=a\tb")) {
            assertThrows(bad, MalformedBeaconException.class, () -> Beacon.decode(1, 1, "n", bad));
        }
    }

    @Test
    public void malformedBodiesAreRejected() {
        String room = "lobby@conference.xo\t239.192.1.2\t45045\t3\tsubject";
        String[] bad = {
            "", "XO1", "XO2 1000", "XO1 ", "XO1 -5", "XO1 +5", "XO1 05", "XO1 86400001", "XO1 99999999999",
            "XO1 1000\n", "XO1 1000\n" + room + "\textra",
            "XO1 1000\nlobby@conference.xo\t239.192.1.2\t45045\t3",
            "XO1 1000\nLobby@conference.xo\t239.192.1.2\t45045\t3\ts",
            "XO1 1000\nlobby\t239.192.1.2\t45045\t3\ts",
            "XO1 1000\nlo bby@conference.xo\t239.192.1.2\t45045\t3\ts",
            "XO1 1000\nlobby@conference.xo\t10.0.0.1\t45045\t3\ts",
            "XO1 1000\nlobby@conference.xo\t239.192.1\t45045\t3\ts",
            "XO1 1000\nlobby@conference.xo\t239.192.1.256\t45045\t3\ts",
            "XO1 1000\nlobby@conference.xo\t239.192.01.2\t45045\t3\ts",
            "XO1 1000\nlobby@conference.xo\tlocalhost\t45045\t3\ts",
            "XO1 1000\nlobby@conference.xo\t239.192.1.2\t0\t3\ts",
            "XO1 1000\nlobby@conference.xo\t239.192.1.2\t65536\t3\ts",
            "XO1 1000\nlobby@conference.xo\t239.192.1.2\t45045\t1000001\ts",
            "XO1 1000\nlobby@conference.xo\t239.192.1.2\t45045\t3\t" + "x".repeat(65),
            "XO1 1000\nlobby@conference.xo\t239.192.1.2\t45045\t3\tbad\\escape",
            "XO1 1000\nlobby@conference.xo\t239.192.1.2\t45045\t3\tends\\",
            "XO1 1000\nlobby@conference.xo\t239.192.1.2\t45045\t3\tcontrol\u0007",
            "XO1 1000\nlobby@conference.xo\t239.192.1.2\t45045\t3\tlone\ud800",
            "XO1 1000\n" + room + "\n" + room,
            "XO1 1000" + ("\nr@s\t239.192.1.2\t1\t1\t").repeat(256).replace("r@s", "r@s"),
        };
        for (String body : bad) {
            assertThrows(body, MalformedBeaconException.class, () -> Beacon.decode(1, 1, "n", body));
        }
        assertThrows(MalformedBeaconException.class, () -> Beacon.decode(1, 1, "n", "XO1 1\n" + "x".repeat(70_000)));
    }

    /** Whatever a sender puts in the body, decoding ends with a NodeInfo or a MalformedBeaconException. */
    @Test
    public void mutatedBodiesNeverThrowAnythingElse() throws Exception {
        List<AdvertisedRoom> rooms = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            rooms.add(new AdvertisedRoom("room" + i + "@conference.xo", group("239.192.3." + i), 45045, i,
                    "subject \\ \t " + i));
        }
        String valid = Beacon.encode(Duration.ofSeconds(10), rooms);
        String alphabet = "XO1 \n\t\\.@0123456789abc\u00e9\ud83d\ude80\ud800\u0000-+";
        Random r = new Random(7);
        int accepted = 0;
        for (int i = 0; i < 20_000; i++) {
            StringBuilder b = new StringBuilder(valid);
            int edits = 1 + r.nextInt(4);
            for (int k = 0; k < edits && b.length() > 0; k++) {
                int at = r.nextInt(b.length());
                switch (r.nextInt(3)) {
                    case 0 -> b.setCharAt(at, alphabet.charAt(r.nextInt(alphabet.length())));
                    case 1 -> b.deleteCharAt(at);
                    default -> b.insert(at, alphabet.charAt(r.nextInt(alphabet.length())));
                }
            }
            try {
                Beacon.decode(1, 1, "n", b.toString());
                accepted++;
            } catch (MalformedBeaconException expected) {
                // counted by the engine
            } catch (RuntimeException e) {
                fail("decode threw " + e + " on " + b);
            }
        }
        assertTrue("some mutations stay valid (subjects)", accepted > 0);
    }
}

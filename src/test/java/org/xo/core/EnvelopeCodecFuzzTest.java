package org.xo.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.Test;

/**
 * Feeds the decoder random and mutated datagrams: nothing but {@link MalformedDatagramException} may escape, and
 * whatever decodes must be well formed (it re-encodes within every limit).
 */
public class EnvelopeCodecFuzzTest {
    private static final int ROUNDS = 120_000;
    /** The seeds' rooms 1 to 8 are open; 9 to 12 stand for rooms of other nodes on the same group. */
    private static final RoomIndex OPEN = RoomIndex.of(java.util.stream.IntStream.rangeClosed(1, 8)
            .mapToObj(n -> "room" + n + "@conference.xo").toList());

    @Test
    public void decoderSurvivesRandomAndMutatedDatagrams() {
        Random random = new Random(0x5EED);
        EnvelopeCodec codec = new EnvelopeCodec(false);
        List<byte[]> seeds = seeds(random);
        Map<MalformedDatagramException.Reason, Integer> rejected = new EnumMap<>(MalformedDatagramException.Reason.class);
        int decoded = 0;
        for (int i = 0; i < ROUNDS; i++) {
            byte[] datagram = generate(random, seeds);
            try {
                EnvelopeCodec.Decoded d = codec.decode(ByteBuffer.wrap(datagram), OPEN);
                assertWellFormed(d);
                decoded++;
            } catch (MalformedDatagramException e) {
                assertNotNull(e.reason());
                rejected.merge(e.reason(), 1, Integer::sum);
            } catch (RuntimeException | Error e) {
                throw new AssertionError("round " + i + ": decoder threw " + e + " on " + hex(datagram), e);
            }
        }
        int total = decoded + rejected.values().stream().mapToInt(Integer::intValue).sum();
        assertEquals(ROUNDS, total);
        // Sanity: the generator reaches every rejection class and also produces valid datagrams.
        assertEquals(rejected.toString(), MalformedDatagramException.Reason.values().length, rejected.size());
        assertTrue("decoded " + decoded, decoded > 100);
    }

    private static void assertWellFormed(EnvelopeCodec.Decoded d) {
        assertTrue(d.envelopes().size() + d.unknownKinds() + d.otherRooms() + d.ambiguousRooms() >= 1);
        if (!d.envelopes().isEmpty()) {
            try {
                // Re-encoding checks every bound (room normalized, UTF-16 well formed, lengths, seq > 0).
                byte[] again = new EnvelopeCodec(false).encode(d.envelopes());
                assertEquals(d.envelopes(), new EnvelopeCodec(false).decode(ByteBuffer.wrap(again),
                        RoomIndex.of(d.envelopes().stream().map(Envelope::room).toList())).envelopes());
            } catch (IllegalArgumentException | MalformedDatagramException e) {
                fail("decoded envelopes are not well formed: " + e);
            }
        }
    }

    private static List<byte[]> seeds(Random random) {
        EnvelopeCodec plain = new EnvelopeCodec(false);
        EnvelopeCodec packed = new EnvelopeCodec(true);
        List<byte[]> seeds = new ArrayList<>();
        for (int n = 1; n <= 12; n++) {
            List<Envelope> batch = new ArrayList<>();
            long node = random.nextLong();
            for (int i = 0; i < n; i++) {
                Kind kind = Kind.values()[random.nextInt(Kind.values().length)];
                String stanza = switch (random.nextInt(3)) {
                    case 0 -> "<presence><status>s\u00e9 \u4f1a " + i + "</status></presence>";
                    case 1 -> EnvelopeCodec.BODY_ONLY_PREFIX + "b\u00e9 &amp; " + i + EnvelopeCodec.BODY_ONLY_SUFFIX;
                    default -> EnvelopeCodec.ID_PREFIX + "id-\u00e9" + i + EnvelopeCodec.ID_SUFFIX + "b &lt; " + i
                            + EnvelopeCodec.BODY_ONLY_SUFFIX;
                };
                // Mostly the first envelope's origin, as from one node, sometimes another (a repeated subject).
                batch.add(new Envelope(random.nextInt(4) == 0 ? random.nextLong() : node, random.nextInt(),
                        1 + random.nextInt(1000), random.nextLong(), "room" + n + "@conference.xo", "n\u00efck" + i,
                        kind, stanza));
            }
            seeds.add(plain.encode(batch));
            seeds.add(packed.encode(batch));
        }
        return seeds;
    }

    private static byte[] generate(Random r, List<byte[]> seeds) {
        byte[] seed = seeds.get(r.nextInt(seeds.size()));
        switch (r.nextInt(9)) {
            case 0: { // random bytes
                byte[] b = new byte[r.nextInt(200)];
                r.nextBytes(b);
                return b;
            }
            case 1: { // valid-looking header, garbage payload, sometimes with a consistent length
                byte[] payload = new byte[r.nextInt(300)];
                r.nextBytes(payload);
                byte[] d = EnvelopeCodecTest.withPayload(r.nextInt(4) == 0 ? 1 : 0, payload);
                if (r.nextBoolean()) {
                    d[16] = (byte) r.nextInt(256); // baseTime
                }
                return d;
            }
            case 2: { // bit flips
                byte[] d = seed.clone();
                for (int i = 1 + r.nextInt(4); i > 0; i--) {
                    int bit = r.nextInt(d.length * 8);
                    d[bit / 8] ^= (byte) (1 << (bit % 8));
                }
                return d;
            }
            case 3: // truncation
                return Arrays.copyOf(seed, r.nextInt(seed.length));
            case 4: { // extension
                byte[] d = Arrays.copyOf(seed, seed.length + 1 + r.nextInt(50));
                for (int i = seed.length; i < d.length; i++) {
                    d[i] = (byte) r.nextInt(256);
                }
                return d;
            }
            case 5: { // random byte overwrites after the fixed header (baseTime and payload)
                byte[] d = seed.clone();
                for (int i = 1 + r.nextInt(3); i > 0; i--) {
                    d[16 + r.nextInt(d.length - 16)] = (byte) r.nextInt();
                }
                return d;
            }
            case 6: { // random fixed header byte (version, flags, origin)
                byte[] d = seed.clone();
                d[2 + r.nextInt(14)] = (byte) r.nextInt(256);
                return d;
            }
            case 7: { // oversized or random length field lengths
                if (r.nextInt(50) == 0) {
                    return Arrays.copyOf(seed, Limits.MAX_DATAGRAM_BYTES + 1 + r.nextInt(100));
                }
                byte[] d = seed.clone();
                // In uncompressed seeds, somewhere in the first envelope's head, form, varints and lengths.
                int at = 16 + r.nextInt(Math.min(40, d.length - 16));
                if (d[3] == 0) {
                    d[at] = (byte) r.nextInt(256);
                }
                return d;
            }
            default:
                return seed.clone(); // valid: must decode
        }
    }

    private static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < Math.min(b.length, 64); i++) {
            s.append(String.format("%02x", b[i]));
        }
        return s + (b.length > 64 ? "... (" + b.length + " bytes)" : "");
    }
}

package org.xo.openfire;

import java.io.IOException;
import java.lang.management.ClassLoadingMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import org.dom4j.DocumentException;
import org.dom4j.Element;
import org.xmpp.packet.JID;
import org.xmpp.packet.Message;
import org.xmpp.packet.Presence;
import org.xo.core.Envelope;
import org.xo.core.EnvelopeCodec;
import org.xo.core.Kind;
import org.xo.core.MalformedDatagramException;
import org.xo.core.RoomIndex;
import org.xo.discovery.AdvertisedRoom;
import org.xo.discovery.Beacon;
import org.xo.discovery.MalformedBeaconException;
import org.xo.engine.XoEngine;
import org.xo.security.Opener;
import org.xo.security.OverlayKeys;
import org.xo.security.SealException;
import org.xo.security.Sealer;
import org.xo.sync.RoomState;

/**
 * The Jazzer fuzz target for what a received datagram reaches before Openfire, run by {@link FuzzRun}. The first byte
 * of an input picks the part (its {@link Target#ordinal()}, modulo their number: one JVM for all three, since a JVM
 * with Jazzer takes seconds to start), unless Jazzer's {@code --target_args} name one part for all inputs; the rest
 * is that part's input (an empty input is an empty datagram):
 * <ul>
 * <li>{@code codec}: any bytes as an open datagram: {@link EnvelopeCodec#decode}, then every envelope as below;</li>
 * <li>{@code sealed}: any bytes to an {@link Opener} under a fixed key, with the replay state of a node that just
 * started; what opens goes on as in {@code codec};</li>
 * <li>{@code stanza}: the first byte picks a {@link Kind}, the rest (UTF-8) is the envelope's stanza text: a beacon
 * goes to {@link Beacon#decode}, a room event through the engine's {@link RoomState} (new nicks, subjects), then
 * {@link Stanzas#parse}, the injector's checks and the Tinder packet it would build.</li>
 * </ul>
 * An input may only be let through or rejected with the documented exception; anything else escaping, or more than
 * {@value #MAX_ALLOCATED_BYTES} bytes allocated for one input, is a crash. Jazzer times out an input separately.
 * At exit, one line {@code RESULT target= inputs= crashes= injected=} per part and a last one for all
 * ({@code target=all}, with {@code max_heap_mb} and {@code max_input_kb}) go to stdout: injected counts the inputs
 * that carried at least one envelope past the seal (for {@code sealed}), the codec and the injector's checks, i.e. one
 * the node would deliver. The engine's per-origin state (duplicates, order, epochs) is left out: it holds no parsing.
 * <p>
 * The seed corpus is {@code src/test/resources/fuzz/}, files named {@code <target>-<what>}, written by {@link #main}.
 */
public final class ReceivePathFuzzTarget {
    /** The parts of the receive path, in the order of their selector byte. */
    enum Target {
        CODEC, SEALED, STANZA;

        String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Far above what a datagram of at most 65,000 bytes needs, far below what would hurt a node. */
    static final long MAX_ALLOCATED_BYTES = 32L << 20;
    private static final String SERVICE = "conference.xo";
    /** The rooms open in the fuzzed node: those of the seeds, and the control address beacons go to. */
    private static final List<String> OPEN_ROOMS = List.of("lobby@" + SERVICE, "ops@" + SERVICE,
            XoEngine.CONTROL_ROOM_NAME + "@" + SERVICE);
    private static final RoomIndex OPEN = RoomIndex.of(OPEN_ROOMS);
    /** The sealed seeds' key: public on purpose, it protects nothing. */
    private static final OverlayKeys KEYS = OverlayKeys.of(fixedSecret());
    /** When the sealed seeds were sealed; the fuzzed node's clock reads one second later. */
    private static final long SEALED_AT_MICROS = 1_780_000_000_000_000L;
    private static final List<JID> ASSIGNERS = List.of(new JID("lobby", "conference.example", null),
            new JID("lobby", "xo.example", null));
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final ClassLoadingMXBean CLASSES = ManagementFactory.getClassLoadingMXBean();
    private static final Target[] TARGETS = Target.values();

    // Per target; one fuzzing thread: libFuzzer calls in from the main thread only.
    private static final long[] inputs = new long[TARGETS.length];
    private static final long[] crashes = new long[TARGETS.length];
    private static final long[] injected = new long[TARGETS.length];
    private static long maxInputBytes;
    /** The one part every input goes to, or null when the first byte picks it. */
    private static Target only;

    private ReceivePathFuzzTarget() {
    }

    /** Jazzer's set-up hook: {@code args}, when given, name the one part to fuzz. */
    public static void fuzzerInitialize(String[] args) {
        only = args.length == 0 ? null : Target.valueOf(args[0].toUpperCase(Locale.ROOT));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Target t : TARGETS) {
                System.out.printf("RESULT target=%s inputs=%d crashes=%d injected=%d%n", t.id(), inputs[t.ordinal()],
                        crashes[t.ordinal()], injected[t.ordinal()]);
            }
            System.out.printf("RESULT target=all inputs=%d crashes=%d injected=%d max_heap_mb=%d max_input_kb=%d%n",
                    sum(inputs), sum(crashes), sum(injected), peakHeapBytes() >> 20, maxInputBytes >> 10);
        }));
    }

    /** Jazzer's per-input hook. */
    public static void fuzzerTestOneInput(byte[] input) {
        int target = only != null ? only.ordinal() : input.length == 0 ? 0 : (input[0] & 0xFF) % TARGETS.length;
        inputs[target]++;
        long classesBefore = CLASSES.getTotalLoadedClassCount();
        long before = THREADS.getCurrentThreadAllocatedBytes();
        try {
            if (take(TARGETS[target], Arrays.copyOfRange(input, Math.min(1, input.length), input.length))) {
                injected[target]++;
            }
            long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
            if (CLASSES.getTotalLoadedClassCount() != classesBefore) {
                return; // Jazzer instrumented the new classes on this thread: hundreds of MB, not the input's
            }
            maxInputBytes = Math.max(maxInputBytes, allocated);
            if (allocated > MAX_ALLOCATED_BYTES) {
                throw new AssertionError(allocated + " bytes allocated for an input of " + input.length + " bytes");
            }
        } catch (RuntimeException | Error e) {
            crashes[target]++;
            throw e;
        }
    }

    private static long sum(long[] counts) {
        return Arrays.stream(counts).sum();
    }

    /** @return whether the input carried an envelope the node would deliver */
    static boolean take(Target target, byte[] input) {
        return switch (target) {
            case CODEC -> datagram(ByteBuffer.wrap(input));
            case SEALED -> sealed(input);
            case STANZA -> input.length > 0 && delivered(envelope(
                    Kind.values()[(input[0] & 0xFF) % Kind.values().length],
                    new String(input, 1, input.length - 1, StandardCharsets.UTF_8)));
        };
    }

    private static boolean sealed(byte[] input) {
        Opener justStarted = new Opener(() -> SEALED_AT_MICROS + 1_000_000, Opener.DEFAULT_TOLERANCE);
        try {
            return datagram(justStarted.open(KEYS, ByteBuffer.wrap(input)).datagram());
        } catch (SealException e) {
            if (e.reason() == null) {
                throw new AssertionError("a rejection without a reason", e);
            }
            return false;
        }
    }

    private static boolean datagram(ByteBuffer open) {
        EnvelopeCodec.Decoded decoded;
        try {
            decoded = new EnvelopeCodec(false).decode(open, OPEN);
        } catch (MalformedDatagramException e) {
            if (e.reason() == null) {
                throw new AssertionError("a rejection without a reason", e);
            }
            return false;
        }
        boolean any = false;
        for (Envelope e : decoded.envelopes()) {
            any |= delivered(e);
        }
        return any;
    }

    /** @return whether the engine would hand it on: a beacon that decodes, a room event the injector takes */
    private static boolean delivered(Envelope e) {
        if (e.kind() == Kind.BEACON) {
            try {
                Beacon.decode(e.originNode(), e.originEpoch(), e.nick(), e.stanza());
                return true;
            } catch (MalformedBeaconException ex) {
                return false;
            }
        }
        if (e.kind().code() >= 0x40) {
            return false; // other control traffic carries no text
        }
        // The engine's record of the room reads new nicks and subjects (StAX) before the injector parses the stanza.
        RoomState state = new RoomState(e.room(), 1);
        state.recordRemote(e);
        state.subjectText();
        Element stanza;
        try {
            stanza = Stanzas.parse(e.stanza());
        } catch (DocumentException ex) {
            return false;
        }
        if (!Injector.fitsKind(e.kind(), stanza)) {
            return false;
        }
        // What the injector builds from it (Injector's presence, nickChange, groupchat, privateMessage, moderation and
        // configuration).
        switch (e.kind()) {
            case MODERATION -> {
                if (Stanzas.destruction(stanza) == null && Stanzas.moderation(stanza) == null) {
                    return false;
                }
            }
            case CONFIG -> {
                if (RoomConfiguration.fromForm(stanza) == null) {
                    return false;
                }
            }
            case PRESENCE, LEAVE, NICK_CHANGE -> {
                Injector.resourceOf(stanza.attributeValue("to"));
                Presence presence = new Presence(stanza.createCopy(), true);
                Stanzas.removeXoElements(presence);
                presence.toXML();
            }
            default -> {
                if (e.kind() == Kind.PRIVATE) {
                    Stanzas.targetNode(stanza);
                    if (Injector.resourceOf(stanza.attributeValue("to")) == null) {
                        return false;
                    }
                }
                Message message = new Message(stanza.createCopy(), true);
                Stanzas.removeXoElements(message);
                message.setType(Message.Type.groupchat);
                Stanzas.removeStanzaIds(message, ASSIGNERS);
                Stanzas.setStanzaId(message, ASSIGNERS.get(1), e.overlayId());
                message.toXML();
            }
        }
        stanza.asXML(); // the roster keeps a presence as text
        return true;
    }

    private static Envelope envelope(Kind kind, String stanza) {
        String room = kind == Kind.BEACON ? OPEN_ROOMS.get(2) : OPEN_ROOMS.get(0);
        return new Envelope(0x5EED, 1, 1, SEALED_AT_MICROS, room, kind.code() >= 0x40 ? "node-a" : "alice", kind,
                stanza);
    }

    private static long peakHeapBytes() {
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        return peak;
    }

    private static byte[] fixedSecret() {
        byte[] secret = new byte[32];
        for (int i = 0; i < secret.length; i++) {
            secret[i] = (byte) (i * 7 + 1);
        }
        return secret;
    }

    /**
     * Writes the seed corpus: genuine datagrams of every kind made by the codec (plain and compressed), the same
     * sealed under the fixed key, and typical stanzas. {@code args[0]}: the corpus, src/test/resources/fuzz.
     */
    public static void main(String[] args) throws IOException {
        Path corpus = Path.of(args[0]);
        List<Envelope> events = seedEnvelopes();
        Sealer sealer = new Sealer(0xA11CE, () -> SEALED_AT_MICROS);
        for (boolean compressed : new boolean[] {false, true}) {
            EnvelopeCodec codec = new EnvelopeCodec(compressed);
            String shape = compressed ? "-compressed" : "";
            for (Envelope e : events) {
                byte[] open = codec.encode(List.of(e));
                String name = e.kind().name().toLowerCase(Locale.ROOT) + shape;
                write(corpus, Target.CODEC, name, open);
                write(corpus, Target.SEALED, name, sealer.seal(KEYS, open));
            }
            byte[] batch = codec.encode(events.subList(0, 4));
            write(corpus, Target.CODEC, "batch" + shape, batch);
            write(corpus, Target.SEALED, "batch" + shape, sealer.seal(KEYS, batch));
        }
        for (Envelope e : events) {
            byte[] text = e.stanza().getBytes(StandardCharsets.UTF_8);
            byte[] input = new byte[1 + text.length];
            input[0] = (byte) e.kind().ordinal();
            System.arraycopy(text, 0, input, 1, text.length);
            write(corpus, Target.STANZA, e.kind().name().toLowerCase(Locale.ROOT), input);
        }
    }

    private static List<Envelope> seedEnvelopes() throws IOException {
        String lobby = OPEN_ROOMS.get(0);
        String beacon = Beacon.encode(Duration.ofSeconds(10), List.of(
                new AdvertisedRoom(lobby, (Inet4Address) InetAddress.getByName("239.192.23.4"), 45045, 3,
                        "Convoy\tplans"),
                new AdvertisedRoom(OPEN_ROOMS.get(1), (Inet4Address) InetAddress.getByName("239.192.23.5"), 45045, 0,
                        "")));
        List<Envelope> seeds = new ArrayList<>();
        long seq = 1;
        for (String[] kindAndStanza : new String[][] {
                {"GROUPCHAT", EnvelopeCodec.ID_PREFIX + "m-1" + EnvelopeCodec.ID_SUFFIX + "fish &amp; chips"
                        + EnvelopeCodec.BODY_ONLY_SUFFIX},
                {"PRESENCE", "<presence to=\"" + lobby + "/alice\"><show>away</show><status>back soon</status>"
                        + "<x xmlns=\"http://jabber.org/protocol/muc#user\">"
                        + "<item affiliation=\"member\" role=\"participant\"/></x></presence>"},
                {"LEAVE", "<presence type=\"unavailable\" to=\"" + lobby + "/alice\"/>"},
                {"NICK_CHANGE", "<presence to=\"" + lobby + "/alicia\"/>"},
                {"SUBJECT", "<message type=\"groupchat\"><subject>Convoy plans \u00e9</subject></message>"},
                {"PRIVATE", "<message type=\"chat\" to=\"" + lobby + "/bob\"><body>psst</body>"
                        + "<xo xmlns=\"urn:xo:0\" node=\"b0b\"/>"
                        + "<stanza-id xmlns=\"urn:xmpp:sid:0\" by=\"x@y\" id=\"1\"/></message>"},
                {"MODERATION", Stanzas.moderationForOverlay(new Stanzas.Moderation(0xb0bL, "bob", true, "spam"))},
                {"CONFIG", new RoomConfiguration(true, 40, new RoomConfiguration.Privacy(false, "s3cret", true))
                        .toForm()},
                {"STATE_REQUEST", ""},
                {"BEACON", beacon}}) {
            Kind kind = Kind.valueOf(kindAndStanza[0]);
            String room = kind == Kind.BEACON ? OPEN_ROOMS.get(2) : lobby;
            String nick = kind == Kind.STATE_REQUEST ? "" : kind == Kind.BEACON ? "node-a" : "alice";
            seeds.add(new Envelope(0xA11CE, 7, seq++, SEALED_AT_MICROS, room, nick, kind, kindAndStanza[1]));
        }
        return seeds;
    }

    /** Writes one seed, behind the byte that selects its target. */
    private static void write(Path corpus, Target target, String name, byte[] content) throws IOException {
        byte[] seed = new byte[1 + content.length];
        seed[0] = (byte) target.ordinal();
        System.arraycopy(content, 0, seed, 1, content.length);
        Files.createDirectories(corpus);
        Files.write(corpus.resolve(target.id() + "-" + name), seed);
    }
}

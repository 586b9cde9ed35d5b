package org.xo.bench;

import static org.xo.bench.Bench.fmt;
import static org.xo.bench.Bench.intOption;
import static org.xo.bench.Bench.progress;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.NetworkInterface;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

import org.jivesoftware.smack.packet.id.StandardStanzaIdSource;
import org.jivesoftware.smackx.muc.MultiUserChat;
import org.jivesoftware.smackx.xdata.form.FillableForm;
import org.xo.core.EnvelopeCodec;
import org.xo.core.Kind;
import org.xo.engine.EngineConfig;
import org.xo.security.OverlayKeys;
import org.xo.engine.EngineStats.Counter;
import org.xo.engine.XoEngine;
import org.xo.it.NodeProcess;
import org.xo.it.XmppTestClient;
import org.xo.transport.Interfaces;
import org.xo.transport.UdpConfig;
import org.xo.transport.UdpMulticastTransport;

/**
 * {@code bin/xo-bench bytes}: UDP payload bytes on the air per groupchat message, for bodies of several sizes, sent
 * one message per datagram and in bursts, in rooms of M occupants. Two real engines on loopback multicast with the
 * default settings (compression on); the figures are the sender's own byte counter (UDP payload, no IP/UDP headers)
 * and every message must reach the other engine. Bodies are English-like text (common words), so compression is
 * what real chat sees. The stanza is the plain groupchat message that travels body-only ({@code xo_} keys), and the
 * same with the id a Smack 4.4 client gives it ({@code xo_client_} keys): what the plugin mirrors of a client's
 * message, {@code <message type="groupchat" id="…"><body>…</body></message>} (MessageIdIT sees that shape on the
 * air).
 * <p>
 * The same messages through a plain Openfire (the XO plugin disabled, one node) with M Smack clients in the room:
 * {@code plain_bytes_per_msg} is the TCP payload both ways between all clients and the server (the sender's message
 * and the room's copy to each occupant, its echo included) through a {@link CountingRelay}, per message, without
 * IP and TCP headers as the XO figures are without IP and UDP headers. {@code --plain false} skips it.
 * {@code --key true} seals the XO datagrams with an overlay key ({@code org.xo.security}), to see what that costs.
 */
final class BytesBench {
    private static final String[] WORDS = ("the of and to in is you that it he was for on are as with his they at be "
            + "this have from or one had by word but not what all were we when your can said there use an each which "
            + "she do how their if will up other about out many then them these so some her would make like him into "
            + "time has look two more write go see number no way could people my than first water been call who oil "
            + "its now find long down day did get come made may part").split(" ");
    private static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);

    private BytesBench() {
    }

    private static final int[] BODIES = {5, 50, 200};
    private static final int[] OCCUPANTS = {1, 10, 100};

    static void run(Map<String, String> options) throws Exception {
        int messages = intOption(options, "messages", 100);
        int burst = intOption(options, "burst", 10);
        // --key true: both engines seal with one overlay key, to measure what sealing costs on the air.
        OverlayKeys key = "true".equals(options.get("key")) ? OverlayKeys.of(OverlayKeys.randomSecret()) : null;
        Map<String, String> plain = "false".equals(options.get("plain")) ? Map.of()
                : plainOpenfire(intOption(options, "plain-messages", 20));
        NetworkInterface lo = Interfaces.resolve("lo");
        for (int body : BODIES) {
            for (int occupants : OCCUPANTS) {
                progress("body %d bytes, %d occupants: %d messages one per datagram, then %d bursts of %d", body,
                        occupants, messages, messages / burst, burst);
                Map<String, Object> result = new LinkedHashMap<>();
                result.put("body_bytes", body);
                result.put("occupants", occupants);
                result.put("sealed", key != null);
                measure(lo, key, body, occupants, messages, burst, result, "xo", random -> stanza(random, body));
                StandardStanzaIdSource smackIds = new StandardStanzaIdSource();
                measure(lo, key, body, occupants, messages, burst, result, "xo_client",
                        random -> clientStanza(random, body, smackIds.getNewStanzaId()));
                String plainBytes = plain.get(body + "x" + occupants);
                if (plainBytes != null) {
                    result.put("plain_bytes_per_msg", plainBytes);
                }
                Bench.result(result);
            }
        }
    }

    /** Puts {@code <keys>_bytes_per_msg} (one per datagram), {@code <keys>_burst_bytes_per_msg} and, for "xo",
     * burst_datagrams_per_msg into the result. */
    private static void measure(NetworkInterface lo, OverlayKeys key, int bodyBytes, int occupants, int messages, int burst,
                                Map<String, Object> result, String keys, Function<Random, String> stanzas)
            throws Exception {
        int port;
        try (DatagramSocket s = new DatagramSocket(0)) {
            port = s.getLocalPort();
        }
        String room = "bench" + bodyBytes + "x" + occupants + "@conference.xo";
        AtomicLong delivered = new AtomicLong();
        try (XoEngine sender = engine(1, lo, port, key, e -> { });
             XoEngine receiver = engine(2, lo, port, key, e -> delivered.incrementAndGet())) {
            receiver.openRoom(room);
            sender.openRoom(room);
            for (int i = 1; i <= occupants; i++) {
                String nick = "occupant" + i;
                sender.publish(room, nick, Kind.PRESENCE, "<presence><x xmlns=\"http://jabber.org/protocol/muc#user\">"
                        + "<item affiliation=\"none\" role=\"participant\"/></x></presence>");
            }
            await(() -> delivered.get() >= occupants, "the occupants' presences");
            // The sender's reply to the receiver's state request (two datagrams and more with 100 occupants) must not
            // fall among the counted messages: start once the sender has sent nothing for 300 ms.
            for (long sent = -1; sent != sender.stats().get(Counter.DATAGRAMS_SENT); Thread.sleep(300)) {
                sent = sender.stats().get(Counter.DATAGRAMS_SENT);
            }
            Random random = new Random(bodyBytes * 1000L + occupants);

            long bytes = sender.stats().get(Counter.BYTES_SENT);
            long datagrams = sender.stats().get(Counter.DATAGRAMS_SENT);
            long before = delivered.get();
            for (int i = 0; i < messages; i++) {
                long sent = sender.stats().get(Counter.DATAGRAMS_SENT);
                sender.publish(room, "occupant1", Kind.GROUPCHAT, stanzas.apply(random));
                await(() -> sender.stats().get(Counter.DATAGRAMS_SENT) > sent, "message " + i + " sent");
            }
            await(() -> delivered.get() - before == messages, "every single message delivered");
            long singleBytes = sender.stats().get(Counter.BYTES_SENT) - bytes;
            long singleDatagrams = sender.stats().get(Counter.DATAGRAMS_SENT) - datagrams;
            if (singleDatagrams != messages) {
                throw new IllegalStateException(singleDatagrams + " datagrams for " + messages + " lone messages");
            }

            int bursts = messages / burst;
            bytes = sender.stats().get(Counter.BYTES_SENT);
            datagrams = sender.stats().get(Counter.DATAGRAMS_SENT);
            long envelopes = sender.stats().get(Counter.ENVELOPES_SENT);
            long burstBefore = delivered.get();
            for (int b = 0; b < bursts; b++) {
                long queued = sender.stats().get(Counter.ENVELOPES_SENT) + burst;
                for (int i = 0; i < burst; i++) {
                    sender.publish(room, "occupant1", Kind.GROUPCHAT, stanzas.apply(random));
                }
                await(() -> sender.stats().get(Counter.ENVELOPES_SENT) >= queued, "burst " + b + " sent");
            }
            await(() -> delivered.get() - burstBefore == (long) bursts * burst, "every burst message delivered");
            long burstMessages = sender.stats().get(Counter.ENVELOPES_SENT) - envelopes;
            long burstBytes = sender.stats().get(Counter.BYTES_SENT) - bytes;
            long burstDatagrams = sender.stats().get(Counter.DATAGRAMS_SENT) - datagrams;

            result.put(keys + "_bytes_per_msg", fmt((double) singleBytes / messages));
            result.put(keys + "_burst_bytes_per_msg", fmt((double) burstBytes / burstMessages));
            if (keys.equals("xo")) {
                result.put("burst_datagrams_per_msg", fmt((double) burstDatagrams / burstMessages));
            }
            progress(keys + ": one per datagram: %s bytes/message; bursts: %s bytes/message in %d datagrams",
                    fmt((double) singleBytes / messages), fmt((double) burstBytes / burstMessages), burstDatagrams);
        }
    }

    private static XoEngine engine(long id, NetworkInterface lo, int port, OverlayKeys key,
                                   org.xo.engine.EngineListener listener) throws IOException {
        EngineConfig config = EngineConfig.builder().nodeId(id).nodeName("bytes-" + id)
                .udp(UdpConfig.on(lo).withPort(port)).discovery(false).overlayKeys(key).build();
        XoEngine engine = new XoEngine(config, new UdpMulticastTransport(config.udp()), listener);
        engine.start();
        return engine;
    }

    /** A plain groupchat message whose body is exactly {@code bytes} bytes of English-like ASCII text. */
    static String stanza(Random random, int bytes) {
        return EnvelopeCodec.BODY_ONLY_PREFIX + body(random, bytes) + EnvelopeCodec.BODY_ONLY_SUFFIX;
    }

    /** The groupchat message with a client's id, as the plugin mirrors it (see Stanzas.groupchatForOverlay). */
    private static String clientStanza(Random random, int bytes, String id) {
        return EnvelopeCodec.ID_PREFIX + id + EnvelopeCodec.ID_SUFFIX + body(random, bytes)
                + EnvelopeCodec.BODY_ONLY_SUFFIX;
    }

    private static String body(Random random, int bytes) {
        StringBuilder body = new StringBuilder();
        while (body.length() < bytes) {
            body.append(WORDS[random.nextInt(WORDS.length)]).append(' ');
        }
        body.setLength(bytes);
        return body.toString();
    }

    /** @return plain_bytes_per_msg by "body x occupants" */
    private static Map<String, String> plainOpenfire(int messages) throws Exception {
        Map<String, String> out = new HashMap<>();
        progress("plain Openfire (XO disabled): starting one node, clients through a counting relay...");
        try (NodeProcess server = NodeProcess.builder().domain("plain.bench").multicastPort(NodeProcess.freePort())
                .args("--set", "xo.enabled=false").start();
             CountingRelay relay = new CountingRelay(server.clientPort())) {
            for (int occupants : OCCUPANTS) {
                String room = "plain" + occupants;
                List<XmppTestClient> clients = new ArrayList<>();
                try {
                    for (int i = 1; i <= occupants; i++) {
                        String user = "occupant" + i;
                        XmppTestClient client = new XmppTestClient("127.0.0.1", relay.port(), "plain.bench", user,
                                "any-password-" + user, false);
                        clients.add(client);
                        MultiUserChat muc = client.join(room, user);
                        if (i == 1) {
                            // Openfire lets 30 occupants in by default: the creator lifts the limit.
                            FillableForm config = muc.getConfigurationForm().getFillableForm();
                            config.setAnswer("muc#roomconfig_maxusers", "0");
                            muc.sendConfigurationForm(config);
                        }
                    }
                    XmppTestClient sender = clients.get(0);
                    XmppTestClient.eventually(occupants + " occupants in " + room,
                            () -> sender.occupantNicks(room).size() == occupants);
                    Random random = new Random(occupants);
                    for (int bodyBytes : BODIES) {
                        int[] before = clients.stream().mapToInt(c -> c.received.size()).toArray();
                        long bytes = relay.bytes();
                        for (int i = 0; i < messages; i++) {
                            sender.say(room, body(random, bodyBytes));
                        }
                        XmppTestClient.eventually("every occupant has every message", () -> {
                            for (int c = 0; c < clients.size(); c++) {
                                if (clients.get(c).received.size() < before[c] + messages) {
                                    return false;
                                }
                            }
                            return true;
                        });
                        Thread.sleep(200); // the relay counts a chunk just after passing it on
                        String perMessage = fmt((double) (relay.bytes() - bytes) / messages);
                        out.put(bodyBytes + "x" + occupants, perMessage);
                        progress("plain Openfire, body %d bytes, %d occupants: %s TCP payload bytes per message",
                                bodyBytes, occupants, perMessage);
                    }
                } finally {
                    clients.forEach(XmppTestClient::close);
                }
            }
        }
        return out;
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT_NANOS;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Timed out waiting for " + what + ".");
            }
            Thread.sleep(0, 200_000);
        }
    }
}

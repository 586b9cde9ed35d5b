package org.xo.bench;

import static org.xo.bench.Bench.fmt;
import static org.xo.bench.Bench.intOption;
import static org.xo.bench.Bench.progress;

import java.io.IOException;
import java.net.NetworkInterface;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

import org.jivesoftware.smack.filter.StanzaTypeFilter;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smackx.muc.MultiUserChat;
import org.jivesoftware.smackx.muc.MultiUserChatManager;
import org.jivesoftware.smackx.xdata.form.FillableForm;
import org.jxmpp.jid.impl.JidCreate;
import org.jxmpp.jid.parts.Resourcepart;
import org.xo.core.Envelope;
import org.xo.core.Kind;
import org.xo.engine.EngineConfig;
import org.xo.engine.EngineListener;
import org.xo.engine.XoEngine;
import org.xo.it.NodeProcess;
import org.xo.it.Openfire;
import org.xo.it.XmppTestClient;
import org.xo.transport.UdpConfig;
import org.xo.transport.UdpMulticastTransport;

/**
 * {@code bin/xo-bench scale}: what one node pays as rooms and remote participants grow.
 * <ul>
 * <li><b>Remote occupants.</b> One node with one local client in a room that 10, 100 and 1000 participants of
 * another node share. The other node is an XO engine in the bench JVM (the same engine a node runs, on the same
 * multicast port; not 1000 XMPP clients, which would measure Smack). The local client sends a burst that the
 * room mirrors out, and the remote participants send a burst that the node injects; the node's server JVM's
 * CPU time per message and the messages per second are measured. A room that routed its broadcasts to every
 * remote participant would cost in proportion to them.</li>
 * <li><b>Rooms carried.</b> The local client enters 10, 100 and 1000 rooms; a room is carried when the bench engine
 * hears the client's entry from the node and a message from the bench engine reaches the client in that room.
 * Kernel settings are left as they are (Linux allows 20 group memberships per socket by default).</li>
 * </ul>
 * Each case runs on the embedded Openfire 4.2.0 and on Openfire 5.1.1 ({@code --openfire all|4.2.0|5.1.1}).
 */
final class ScaleBench {
    private static final String ROOM = "scale";
    private static final Duration SETTLE = Duration.ofSeconds(120);
    /** Messages each way before measuring: a fresh JVM is still compiling its hot paths. */
    private static final int WARM_UP = 1000;

    private ScaleBench() {
    }

    static void run(Map<String, String> options) throws Exception {
        int messages = intOption(options, "messages", 2000);
        List<Integer> occupantCases = intList(options.getOrDefault("occupants", "10,100,1000"));
        List<Integer> roomCases = intList(options.getOrDefault("rooms", "10,100,1000"));
        for (Openfire openfire : Bench.openfires(options)) {
            Map<Integer, Double> costByOccupants = new LinkedHashMap<>();
            for (int occupants : occupantCases) {
                costByOccupants.put(occupants, remoteOccupants(openfire, occupants, messages));
            }
            if (costByOccupants.size() > 1) {
                double first = costByOccupants.values().iterator().next();
                double last = new ArrayList<>(costByOccupants.values()).get(costByOccupants.size() - 1);
                progress("%s: CPU per message at %d remote occupants is %s× that at %d", openfire,
                        occupantCases.get(occupantCases.size() - 1), fmt(last / first), occupantCases.get(0));
            }
            for (int rooms : roomCases) {
                roomsCarried(openfire, rooms);
            }
        }
    }

    /** @return CPU ms per message of the node, both directions together */
    private static double remoteOccupants(Openfire openfire, int occupants, int messages)
            throws Exception {
        progress("%s, %d remote occupants: starting a node...", openfire, occupants);
        int port = NodeProcess.freePort();
        try (NodeProcess node = NodeProcess.builder().openfire(openfire).domain("node.bench").multicastPort(port)
                .start();
             XmppTestClient alice = new XmppTestClient(node.clientPort(), "node.bench", "alice");
             RemoteNode remote = new RemoteNode(port)) {
            createUnlimitedRoom(alice);
            remote.engine.openRoom(ROOM);
            long joinStart = System.nanoTime();
            for (int i = 0; i < occupants; i++) {
                remote.engine.publish(ROOM, "r" + i, Kind.PRESENCE, "<presence to=\"" + ROOM + "@conference.xo/r" + i
                        + "\"/>");
            }
            awaitValue(() -> alice.occupantNicks(ROOM).size(), occupants + 1, "remote occupants seen by alice");
            progress("%d remote occupants in the room after %d ms", occupants,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - joinStart));

            Set<String> echoed = ConcurrentHashMap.newKeySet();
            Set<String> injected = ConcurrentHashMap.newKeySet();
            Set<String> warmedUp = ConcurrentHashMap.newKeySet();
            alice.connection.addAsyncStanzaListener(s -> {
                String body = ((Message) s).getBody();
                if (body != null && body.startsWith("out ")) {
                    echoed.add(body);
                } else if (body != null && body.startsWith("in ")) {
                    injected.add(body);
                } else if (body != null && body.startsWith("warm-up in ")) {
                    warmedUp.add(body);
                }
            }, StanzaTypeFilter.MESSAGE);

            progress("warming up: %d messages each way", WARM_UP);
            for (int i = 0; i < WARM_UP; i++) {
                alice.say(ROOM, "warm-up " + i);
                publishFromRemote(remote, occupants, "warm-up in " + i);
            }
            awaitValue(() -> remote.groupchats.get(), WARM_UP, "warm-up messages out");
            awaitValue(warmedUp::size, WARM_UP, "warm-up messages in");
            remote.groupchats.set(0);

            long cpuStart = cpuNanos(node.serverPid());
            long outStart = System.nanoTime();
            for (int i = 0; i < messages; i++) {
                alice.say(ROOM, "out " + i);
            }
            awaitValue(() -> Math.min(remote.groupchats.get(), echoed.size()), messages, "mirrored messages");
            long outNanos = remote.lastGroupchatNanos.get() - outStart;
            long cpuMid = cpuNanos(node.serverPid());

            long inStart = System.nanoTime();
            for (int i = 0; i < messages; i++) {
                publishFromRemote(remote, occupants, "in " + i);
            }
            long inNanos = awaitValue(injected::size, messages, "injected messages") - inStart;
            long cpuEnd = cpuNanos(node.serverPid());

            int outLost = messages - Math.min(remote.groupchats.get(), echoed.size());
            int inLost = messages - injected.size();
            double outCpu = (cpuMid - cpuStart) / 1e6 / messages;
            double inCpu = (cpuEnd - cpuMid) / 1e6 / messages;
            double cpuPerMsg = (cpuEnd - cpuStart) / 1e6 / (2.0 * messages);
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("scenario", "scale");
            result.put("openfire", openfire);
            result.put("remote_occupants", occupants);
            result.put("cpu_ms_per_msg", fmt(cpuPerMsg));
            result.put("msgs_per_s", fmt(2.0 * messages / ((outNanos + inNanos) / 1e9)));
            result.put("out_cpu_ms_per_msg", fmt(outCpu));
            result.put("in_cpu_ms_per_msg", fmt(inCpu));
            result.put("out_msgs_per_s", fmt(messages / (outNanos / 1e9)));
            result.put("in_msgs_per_s", fmt(messages / (inNanos / 1e9)));
            result.put("messages", messages);
            result.put("lost", outLost + inLost);
            result.put("routed_to_remote", alice.xoStats().getOrDefault("room-to-remote.groupchat", -1L));
            Bench.result(result);
            return cpuPerMsg;
        }
    }

    /** One of the remote participants (in turn) says something in the room. */
    private static void publishFromRemote(RemoteNode remote, int occupants, String body) {
        int i = Math.abs(body.hashCode());
        remote.engine.publish(ROOM, "r" + (i % Math.max(1, occupants)), Kind.GROUPCHAT,
                "<message to=\"" + ROOM + "@conference.xo\" type=\"groupchat\"><body>" + body + "</body></message>");
    }

    /** Openfire's rooms hold 30 occupants unless configured otherwise: this one holds any number. */
    private static void createUnlimitedRoom(XmppTestClient alice) throws Exception {
        MultiUserChat room = MultiUserChatManager.getInstanceFor(alice.connection)
                .getMultiUserChat(JidCreate.entityBareFrom(ROOM + "@conference." + alice.domain));
        room.create(Resourcepart.from("alice"));
        FillableForm config = room.getConfigurationForm().getFillableForm();
        config.setAnswer("muc#roomconfig_maxusers", "0");
        room.sendConfigurationForm(config);
        alice.track(ROOM, room);
    }

    private static void roomsCarried(Openfire openfire, int rooms) throws Exception {
        progress("%s, %d rooms: starting a node...", openfire, rooms);
        int port = NodeProcess.freePort();
        try (NodeProcess node = NodeProcess.builder().openfire(openfire).domain("node.bench").multicastPort(port)
                .start();
             XmppTestClient alice = new XmppTestClient(node.clientPort(), "node.bench", "alice");
             RemoteNode remote = new RemoteNode(port)) {
            Set<String> heardInRoom = ConcurrentHashMap.newKeySet();
            remote.onEvent = e -> {
                if (e.kind() == Kind.PRESENCE) {
                    heardInRoom.add(e.room());
                }
            };
            Set<String> reachedAlice = ConcurrentHashMap.newKeySet();
            alice.connection.addAsyncStanzaListener(s -> {
                Message m = (Message) s;
                if (m.getBody() != null && m.getBody().startsWith("to ") && m.getFrom() != null) {
                    reachedAlice.add(m.getFrom().asBareJid().getLocalpartOrNull().toString());
                }
            }, StanzaTypeFilter.MESSAGE);
            long start = System.nanoTime();
            for (int r = 0; r < rooms; r++) {
                remote.engine.openRoom(room(r));
            }
            for (int r = 0; r < rooms; r++) {
                alice.join(room(r), "alice");
                if ((r + 1) % Math.max(1, rooms / 5) == 0) {
                    progress("alice is in %d/%d rooms", r + 1, rooms);
                }
            }
            awaitValue(heardInRoom::size, rooms, "rooms whose entry the other node heard");
            for (int r = 0; r < rooms; r++) {
                remote.engine.publish(room(r), "remote", Kind.GROUPCHAT, "<message to=\"" + room(r)
                        + "@conference.xo\" type=\"groupchat\"><body>to " + room(r) + "</body></message>");
            }
            awaitValue(reachedAlice::size, rooms, "rooms whose message reached alice");
            int carried = 0;
            for (int r = 0; r < rooms; r++) {
                if (heardInRoom.contains(room(r) + "@conference.xo") && reachedAlice.contains(room(r))) {
                    carried++;
                }
            }
            Map<String, Long> stats = alice.xoStats();
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("scenario", "scale");
            result.put("openfire", openfire);
            result.put("rooms", rooms);
            result.put("carried", carried);
            result.put("uncarried_reported", stats.getOrDefault("rooms.uncarried", 0L));
            result.put("seconds", fmt((System.nanoTime() - start) / 1e9));
            Bench.result(result);
        }
    }

    /** CPU time (user + system) the process has used so far. */
    private static long cpuNanos(long pid) {
        return ProcessHandle.of(pid).flatMap(p -> p.info().totalCpuDuration()).map(Duration::toNanos).orElse(0L);
    }

    private static String room(int r) {
        return "carry-" + r;
    }

    /**
     * Waits until the value reaches the target, or stops growing for 10 s, or the settle time is over.
     *
     * @return System.nanoTime() when it reached the target (or gave up)
     */
    private static long awaitValue(IntSupplier value, int target, String what) throws InterruptedException {
        long deadline = System.nanoTime() + SETTLE.toNanos();
        int seen = -1;
        long lastChange = System.nanoTime();
        long lastReport = System.nanoTime();
        while (true) {
            int now = value.getAsInt();
            if (now >= target) {
                return System.nanoTime();
            }
            if (now != seen) {
                seen = now;
                lastChange = System.nanoTime();
            } else if (System.nanoTime() - lastChange > TimeUnit.SECONDS.toNanos(10) || System.nanoTime() > deadline) {
                progress("%s: %d of %d; giving up", what, now, target);
                return System.nanoTime();
            }
            if (System.nanoTime() - lastReport > TimeUnit.SECONDS.toNanos(5)) {
                progress("%s: %d of %d", what, now, target);
                lastReport = System.nanoTime();
            }
            Thread.sleep(5);
        }
    }

    private static List<Integer> intList(String csv) {
        List<Integer> values = new ArrayList<>();
        for (String part : csv.split(",")) {
            try {
                values.add(Integer.parseInt(part.trim()));
            } catch (NumberFormatException e) {
                System.err.println("xo-bench scale: a list of whole numbers is expected, not '" + csv + "'.");
                System.exit(2);
            }
        }
        return values;
    }

    /** The other node: an XO engine in this JVM on the loopback interface, recording what it hears. */
    private static final class RemoteNode implements AutoCloseable, EngineListener {
        final XoEngine engine;
        final AtomicInteger groupchats = new AtomicInteger();
        final AtomicLong lastGroupchatNanos = new AtomicLong();
        volatile java.util.function.Consumer<Envelope> onEvent = e -> { };

        RemoteNode(int port) throws IOException {
            UdpConfig udp = UdpConfig.on(NetworkInterface.getByName("lo")).withPort(port);
            EngineConfig config = EngineConfig.builder().nodeId(0x5ca1eL).nodeName("bench").udp(udp).dnsSd(false)
                    .build();
            engine = new XoEngine(config, new UdpMulticastTransport(udp), this);
            engine.start();
        }

        @Override
        public void onRemoteEvent(Envelope e) {
            if (e.kind() == Kind.GROUPCHAT) {
                groupchats.incrementAndGet();
                lastGroupchatNanos.set(System.nanoTime());
            }
            onEvent.accept(e);
        }

        @Override
        public void close() {
            engine.close();
        }
    }
}

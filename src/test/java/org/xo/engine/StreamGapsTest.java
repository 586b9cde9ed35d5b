package org.xo.engine;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;

import java.net.DatagramSocket;
import java.net.NetworkInterface;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.After;
import org.junit.Test;
import org.xo.core.Envelope;
import org.xo.core.Kind;
import org.xo.engine.EngineStats.Counter;
import org.xo.transport.Interfaces;
import org.xo.transport.UdpConfig;
import org.xo.transport.UdpMulticastTransport;

/** Receivers count the seqs they miss per stream: a loss in one room, not the traffic of another. */
public class StreamGapsTest {
    private static final String LOBBY = "lobby@conference.xo";
    private static final String DEV = "dev@conference.xo";
    private XoEngine a;
    private XoEngine b;

    @After
    public void tearDown() {
        for (XoEngine e : new XoEngine[] {a, b}) {
            if (e != null) {
                e.close();
            }
        }
    }

    @Test
    public void aLossInOneRoomIsAGapThereAndTrafficOfAnotherRoomIsNone() throws Exception {
        NetworkInterface lo = Interfaces.resolve("lo");
        int port;
        try (DatagramSocket s = new DatagramSocket(0)) {
            port = s.getLocalPort();
        }
        UdpConfig udp = UdpConfig.on(lo).withPort(port);
        MuteableTransport aRadio = new MuteableTransport(new UdpMulticastTransport(udp));
        LinkedBlockingQueue<Envelope> heard = new LinkedBlockingQueue<>();
        a = new XoEngine(EngineConfig.builder().nodeId(1).udp(udp).discovery(false).build(), aRadio, e -> { });
        b = new XoEngine(EngineConfig.builder().nodeId(2).udp(udp).discovery(false).build(),
                new UdpMulticastTransport(udp), heard::add);
        a.start();
        b.start();
        b.openRoom(LOBBY);
        b.openRoom(DEV);
        a.openRoom(LOBBY); // state request: seq 1 of a's lobby stream
        a.openRoom(DEV);
        assertEquals(2, a.publish(LOBBY, "alice", Kind.GROUPCHAT, "<message/>").seq());
        assertNotNull(heard.poll(10, TimeUnit.SECONDS));

        aRadio.muted = true; // out of range: seqs 3 and 4 of the lobby never arrive
        a.publish(LOBBY, "alice", Kind.GROUPCHAT, "<message/>");
        a.publish(LOBBY, "alice", Kind.GROUPCHAT, "<message/>");
        // The two lost ones leave the pacer into the muted radio: wait until a has sent nothing for 300 ms (counting
        // envelopes would race with a's reply to b's state requests, which may or may not find a's rooms open).
        long sent = -1;
        while (sent != a.stats().get(Counter.ENVELOPES_SENT)) {
            sent = a.stats().get(Counter.ENVELOPES_SENT);
            Thread.sleep(300);
        }
        aRadio.muted = false;

        a.publish(DEV, "alice", Kind.GROUPCHAT, "<message/>");
        assertEquals(DEV, heard.poll(10, TimeUnit.SECONDS).room());
        assertEquals("another room's traffic is no gap", 0, b.stats().get(Counter.STREAM_GAPS));

        assertEquals(5, a.publish(LOBBY, "alice", Kind.GROUPCHAT, "<message/>").seq());
        assertEquals(5, heard.poll(10, TimeUnit.SECONDS).seq());
        assertEquals("the two lobby messages sent out of range", 2, b.stats().get(Counter.STREAM_GAPS));
    }
}

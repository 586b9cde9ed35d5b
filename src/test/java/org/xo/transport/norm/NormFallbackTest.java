package org.xo.transport.norm;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.apache.log4j.AppenderSkeleton;
import org.apache.log4j.Level;
import org.apache.log4j.Logger;
import org.apache.log4j.spi.LoggingEvent;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.xo.transport.Interfaces;
import org.xo.transport.Transport;
import org.xo.transport.UdpConfig;
import org.xo.transport.UdpMulticastTransport;

/**
 * A node that is told to use NORM where libnorm cannot be loaded: a real failed load (JNA asked for a library that
 * does not exist on this machine), not a mock.
 */
public class NormFallbackTest {
    private final String missing = "libnorm-absent-" + UUID.randomUUID() + ".so.1";
    private UdpConfig udp;

    @Before
    public void pointAtAMissingLibrary() throws IOException {
        System.setProperty(NormLibrary.LIBRARY_PROPERTY, missing);
        udp = UdpConfig.on(Interfaces.resolve("lo")).withPort(NormTransportTest.freePort());
    }

    @After
    public void restoreTheLibraryName() {
        System.clearProperty(NormLibrary.LIBRARY_PROPERTY);
    }

    @Test
    public void saysSoOnceWithTheReasonAndCarriesTheNodeOverUdp() throws Exception {
        NormConfig norm = NormConfig.from(udp, 42);
        try (Warnings warnings = new Warnings()) {
            Transport first = NormTransport.orUdp(norm, udp);
            Transport second = NormTransport.orUdp(norm, udp); // a settings change builds the transport again
            assertTrue(first instanceof UdpMulticastTransport);
            assertTrue(second instanceof UdpMulticastTransport);
            assertEquals("one line", 1, warnings.lines.size());
            String line = warnings.lines.get(0);
            assertTrue(line, line.contains("'" + missing + "': " + missing + ": cannot open shared object file")
                    && line.contains("plain UDP multicast instead"));

            InetAddress group = InetAddress.getByName("239.193.154.1");
            LinkedBlockingQueue<String> heard = new LinkedBlockingQueue<>();
            try (Transport a = first; Transport b = second) {
                a.start((data, sender) -> { });
                b.start((data, sender) -> heard.add(StandardCharsets.UTF_8.decode(data).toString()));
                b.join(group);
                a.send(group, ByteBuffer.wrap("over udp".getBytes(StandardCharsets.UTF_8)));
                assertEquals("over udp", heard.poll(10, TimeUnit.SECONDS));
            }
        }
    }

    @Test
    public void aNormTransportStartedWithoutLibnormFailsWithTheReason() {
        NormTransport norm = new NormTransport(NormConfig.from(udp, 42));
        IOException e = assertThrows(IOException.class, () -> norm.start((data, sender) -> { }));
        assertTrue(e.getMessage(), e.getMessage().startsWith("libnorm cannot be loaded ('" + missing + "': "));
        norm.close();
    }

    /** NormTransport's warnings as the tests' SLF4J binding (log4j 1.2) receives them. */
    private static final class Warnings extends AppenderSkeleton implements AutoCloseable {
        final List<String> lines = new CopyOnWriteArrayList<>();

        Warnings() {
            Logger.getLogger(NormTransport.class).addAppender(this);
        }

        @Override
        protected void append(LoggingEvent event) {
            if (event.getLevel().isGreaterOrEqual(Level.WARN)) {
                lines.add(event.getRenderedMessage());
            }
        }

        @Override
        public boolean requiresLayout() {
            return false;
        }

        @Override
        public void close() {
            Logger.getLogger(NormTransport.class).removeAppender(this);
        }
    }
}

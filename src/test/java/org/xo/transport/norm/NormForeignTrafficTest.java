package org.xo.transport.norm;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.xo.core.Limits;
import org.xo.transport.Interfaces;
import org.xo.transport.UdpConfig;

/**
 * What another NORM application (or an attacker) may put on a group: objects that cannot be XO datagrams and packets
 * that are not NORM at all. They are counted and dropped; the transport goes on. The foreign sender is real libnorm
 * driven through the binding, plus three stream calls XO itself never makes.
 */
public class NormForeignTrafficTest {
    private static final InetAddress GROUP = NormTransportTest.address("239.193.156.7");

    /** libnorm's stream sending, which only this test uses. */
    interface StreamApi extends Library {
        int NORM_FLUSH_ACTIVE = 2;

        /** {@code NormObjectHandle NormStreamOpen(NormSessionHandle, UINT32 bufferSize, const char* infoPtr,
         * unsigned int infoLen)} */
        Pointer NormStreamOpen(Pointer session, int bufferSize, Pointer info, int infoLength);

        /** {@code unsigned int NormStreamWrite(NormObjectHandle, const char* buffer, unsigned int numBytes)} */
        int NormStreamWrite(Pointer stream, byte[] buffer, int numBytes);

        /** {@code void NormStreamFlush(NormObjectHandle, bool eom, NormFlushMode flushMode)} */
        void NormStreamFlush(Pointer stream, boolean eom, int flushMode);

        /** {@code void NormStreamClose(NormObjectHandle, bool graceful)}: a sender's open stream holds back its later
         * objects until closed. */
        void NormStreamClose(Pointer stream, boolean graceful);
    }

    private NormConfig config;
    private NormTransport receiver;
    private final LinkedBlockingQueue<String> heard = new LinkedBlockingQueue<>();
    private NormApi api;
    private Pointer foreignInstance;
    private Pointer foreignSession;
    private final List<Memory> foreignBuffers = new ArrayList<>();

    @Before
    public void setUp() throws Exception {
        Libnorm.requireOrSkip();
        UdpConfig udp = UdpConfig.on(Interfaces.resolve("lo")).withPort(NormTransportTest.freePortPair());
        config = NormConfig.from(udp, 2);
        receiver = new NormTransport(config);
        receiver.start((data, sender) -> heard.add(StandardCharsets.UTF_8.decode(data).toString()));
        receiver.join(GROUP);

        NormLibrary library = NormLibrary.load();
        api = library.api;
        foreignInstance = api.NormCreateInstance(false);
        foreignSession = api.NormCreateSession(foreignInstance, GROUP.getHostAddress(), (short) config.port(), 99);
        api.NormSetRxPortReuse(foreignSession, true, GROUP.getHostAddress(), null, (short) 0);
        api.NormSetMulticastInterface(foreignSession, "lo");
        api.NormSetTxRate(foreignSession, 10e6);
        api.NormSetGrttEstimate(foreignSession, 0.001);
        assertEquals(1, api.NormStartSender(foreignSession, (short) 1, 1024 * 1024, (short) 1400, (short) 64,
                (short) 0, (byte) 0));
    }

    @After
    public void tearDown() {
        if (receiver != null) {
            receiver.close();
        }
        if (foreignInstance != null) {
            api.NormDestroyInstance(foreignInstance); // also destroys its session
        }
        foreignBuffers.forEach(Memory::close);
    }

    @Test
    public void oversizedObjectsAndStreamsAreRefusedAndCountedAndTheNextDatagramArrives() throws Exception {
        sendData(new byte[Limits.MAX_DATAGRAM_BYTES + 1]);
        waitFor("the oversized object refused", () -> receiver.objectsRejected() == 1);
        sendData("between".getBytes(StandardCharsets.UTF_8));
        assertEquals("between", heard.poll(10, TimeUnit.SECONDS));

        StreamApi streams = Native.load(NormLibrary.load().file, StreamApi.class);
        Pointer stream = streams.NormStreamOpen(foreignSession, 64 * 1024, null, 0);
        assertNotNull(stream);
        byte[] chunk = "a stream is not an XO datagram".getBytes(StandardCharsets.UTF_8);
        streams.NormStreamWrite(stream, chunk, chunk.length);
        streams.NormStreamFlush(stream, true, StreamApi.NORM_FLUSH_ACTIVE);
        waitFor("the stream refused", () -> receiver.objectsRejected() == 2);
        streams.NormStreamClose(stream, true);

        sendData("still listening".getBytes(StandardCharsets.UTF_8));
        assertEquals("still listening", heard.poll(10, TimeUnit.SECONDS));
        assertNull("nothing of the refused objects was delivered", heard.poll(300, TimeUnit.MILLISECONDS));
    }

    /** Random bytes, and random bytes behind a NORM version 1 header byte, sent to the NORM port of the group. */
    @Test
    public void packetsThatAreNotNormAreIgnored() throws Exception {
        Random random = new Random(11);
        try (DatagramChannel raw = DatagramChannel.open(StandardProtocolFamily.INET)) {
            raw.setOption(StandardSocketOptions.IP_MULTICAST_IF, config.networkInterface());
            for (int i = 0; i < 2000; i++) {
                byte[] junk = new byte[1 + random.nextInt(1500)];
                random.nextBytes(junk);
                if (i % 2 == 0) {
                    junk[0] = (byte) (0x10 | (junk[0] & 0x0F)); // NORM version 1, any message type
                }
                raw.send(ByteBuffer.wrap(junk), new InetSocketAddress(GROUP, config.port()));
                if (i % 100 == 99) {
                    // Junk, not a flood (flooding is another test's business): a starved receiver on a loaded CI
                    // machine must not lose the real datagram below from an overflowing socket buffer.
                    Thread.sleep(5);
                }
            }
        }
        sendData("after the junk".getBytes(StandardCharsets.UTF_8));
        assertEquals("after the junk", heard.poll(30, TimeUnit.SECONDS));
        assertNull(heard.poll(300, TimeUnit.MILLISECONDS));
        assertEquals(0, receiver.handlerErrors());
    }

    private void sendData(byte[] data) {
        Memory buffer = new Memory(data.length);
        buffer.write(0, data, 0, data.length);
        foreignBuffers.add(buffer); // libnorm reads it until the instance is destroyed
        assertNotNull(api.NormDataEnqueue(foreignSession, buffer, data.length, null, 0));
    }

    private static void waitFor(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertTrue("waited 10 s for " + what, System.nanoTime() < deadline);
            Thread.sleep(20);
        }
    }
}

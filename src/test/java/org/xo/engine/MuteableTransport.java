package org.xo.engine;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import org.xo.transport.DatagramHandler;
import org.xo.transport.Transport;

/**
 * A real transport whose node can be cut off (a radio out of range: nothing leaves, nothing arrives) and which
 * records what it sends, per group, with the time ({@link System#nanoTime}) just before it went to the socket.
 */
public final class MuteableTransport implements Transport {
    public record Sent(InetAddress group, int bytes, byte[] data, long nanos) {
    }

    private final Transport inner;
    public final List<Sent> sent = new CopyOnWriteArrayList<>();
    /** Every datagram that reached this node's socket, passed on or discarded because the node was cut off. */
    final AtomicLong arrived = new AtomicLong();
    volatile boolean muted;

    public MuteableTransport(Transport inner) {
        this.inner = inner;
    }

    @Override
    public void start(DatagramHandler handler) throws IOException {
        inner.start((data, sender) -> {
            arrived.incrementAndGet();
            if (!muted) {
                handler.onDatagram(data, sender);
            }
        });
    }

    @Override
    public void join(InetAddress group) throws IOException {
        inner.join(group);
    }

    @Override
    public void leave(InetAddress group) throws IOException {
        inner.leave(group);
    }

    @Override
    public void send(InetAddress group, ByteBuffer datagram) throws IOException {
        if (!muted) {
            byte[] copy = new byte[datagram.remaining()];
            datagram.duplicate().get(copy);
            // Recorded before it goes: a receiver on loopback may act on it before send() returns.
            sent.add(new Sent(group, copy.length, copy, System.nanoTime()));
            inner.send(group, datagram);
        }
    }

    @Override
    public String kind() {
        return inner.kind();
    }

    @Override
    public void close() {
        inner.close();
    }
}

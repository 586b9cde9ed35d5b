package org.xo.transport;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/** Receives each datagram a {@link Transport} hears on any joined group. */
@FunctionalInterface
public interface DatagramHandler {
    /**
     * Called on the transport's receive thread, one datagram at a time.
     *
     * @param data   the datagram's bytes from position to limit; read-only and valid only during this call (the
     *               transport reuses the buffer)
     * @param sender the source address and port
     */
    void onDatagram(ByteBuffer data, InetSocketAddress sender);
}

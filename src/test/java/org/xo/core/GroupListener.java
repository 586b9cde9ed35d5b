package org.xo.core;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * A raw socket on one multicast group, port and interface, as another program on the machine would listen (sharing
 * the port like the nodes do): tells tests which datagrams went where, decoded.
 */
public final class GroupListener implements AutoCloseable {
    /** One datagram heard: its header flags (bit 0: DEFLATE) and its envelopes. */
    public record Datagram(int flags, List<Envelope> envelopes) {
    }

    private final DatagramChannel channel;
    private final EnvelopeCodec codec = new EnvelopeCodec(false);
    private final RoomIndex rooms;

    /** @param rooms the rooms whose envelopes it decodes (control envelopes name their room in full) */
    public GroupListener(InetAddress group, int port, NetworkInterface nic, RoomIndex rooms) throws IOException {
        this.rooms = rooms;
        channel = DatagramChannel.open(StandardProtocolFamily.INET);
        channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        channel.bind(new InetSocketAddress(group, port));
        channel.join(group, nic);
        channel.configureBlocking(false);
    }

    /** @return the datagrams heard since the last call */
    public List<Datagram> drain() {
        List<Datagram> out = new ArrayList<>();
        ByteBuffer buffer = ByteBuffer.allocate(65_536);
        try {
            while (channel.receive(buffer) != null) {
                buffer.flip();
                int flags = buffer.get(3);
                out.add(new Datagram(flags, codec.decode(buffer, rooms).envelopes()));
                buffer.clear();
            }
        } catch (IOException | MalformedDatagramException e) {
            throw new AssertionError("The listener on " + channel + " failed", e);
        }
        return out;
    }

    /** @return the envelopes heard since the last call */
    public List<Envelope> envelopes() {
        return drain().stream().flatMap(d -> d.envelopes().stream()).toList();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}

package org.xo.bench.manet;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.xo.it.NamespaceSockets;

/**
 * The emulated MANET's multicast forwarding for one node: classical flooding as in SMF (RFC 6621), which the XO
 * paper's nodes ran. Every multicast datagram of the given groups that this node hears from a neighbour on the
 * radio device is sent on once, unless its payload was seen in the last {@value #DUPLICATE_WINDOW_MS} ms
 * (duplicate detection by payload digest, SMF's hash-based mode); datagrams its own node sent (looped back
 * locally) are only remembered, since they already went out. The relay's own sends are not looped back, so the
 * local node never gets a second copy from it.
 * <p>
 * The sockets are made inside the node's namespace ({@link NamespaceSockets}); one daemon thread per group.
 * It is part of the emulated network, not of XO: the product itself does not relay (see the discovery notes).
 */
final class FloodingRelay implements AutoCloseable {
    static final long DUPLICATE_WINDOW_MS = 2_000;
    private static final int MAX_DATAGRAM = 65_536;

    private final InetAddress ownAddress;
    private final List<DatagramChannel> channels = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    /** Digest → time seen (ms), oldest first. */
    private final LinkedHashMap<Digest, Long> seen = new LinkedHashMap<>();
    private final AtomicLong heard = new AtomicLong();
    private final AtomicLong forwarded = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private volatile boolean closed;

    private record Digest(long high, long low) {
    }

    /**
     * @param ns         the node's namespace
     * @param device     its radio device
     * @param ownAddress the node's address on it (datagrams from it are the node's own)
     * @param port       the UDP port of the groups
     * @param groups     the multicast groups to flood
     */
    FloodingRelay(String ns, String device, InetAddress ownAddress, int port, List<InetAddress> groups)
            throws IOException {
        this.ownAddress = ownAddress;
        try {
            for (InetAddress group : groups) {
                DatagramChannel channel = NamespaceSockets.inNamespace(ns, () -> open(device, group, port));
                channels.add(channel);
                Thread t = new Thread(() -> relay(channel, new InetSocketAddress(group, port)),
                        "flood-" + ns + "-" + group.getHostAddress());
                t.setDaemon(true);
                threads.add(t);
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
        threads.forEach(Thread::start);
    }

    private static DatagramChannel open(String device, InetAddress group, int port) throws IOException {
        NetworkInterface nif = NetworkInterface.getByName(device);
        if (nif == null) {
            throw new IOException("no device " + device + " in this namespace");
        }
        DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET);
        try {
            ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            ch.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
            // Bound to the group, so only this group's datagrams arrive (Linux filters on the bound address).
            ch.bind(new InetSocketAddress(group, port));
            ch.setOption(StandardSocketOptions.IP_MULTICAST_IF, nif);
            ch.setOption(StandardSocketOptions.IP_MULTICAST_LOOP, false);
            ch.join(group, nif);
            return ch;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private void relay(DatagramChannel channel, InetSocketAddress group) {
        ByteBuffer buffer = ByteBuffer.allocate(MAX_DATAGRAM);
        while (!closed) {
            try {
                buffer.clear();
                InetSocketAddress from = (InetSocketAddress) channel.receive(buffer);
                buffer.flip();
                boolean own = from.getAddress().equals(ownAddress);
                if (!firstSighting(digest(buffer)) || own) {
                    if (!own) {
                        duplicates.incrementAndGet();
                    }
                    continue;
                }
                heard.incrementAndGet();
                channel.send(buffer, group);
                forwarded.incrementAndGet();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                // A send into a momentarily unusable device must not end the relay; the datagram is lost, as on air.
                if (closed) {
                    return;
                }
            }
        }
    }

    private synchronized boolean firstSighting(Digest d) {
        long now = System.currentTimeMillis();
        for (Iterator<Map.Entry<Digest, Long>> it = seen.entrySet().iterator(); it.hasNext(); ) {
            if (now - it.next().getValue() <= DUPLICATE_WINDOW_MS) {
                break;
            }
            it.remove();
        }
        return seen.putIfAbsent(d, now) == null;
    }

    private static Digest digest(ByteBuffer payload) {
        try {
            MessageDigest md5 = MessageDigest.getInstance("MD5");
            md5.update(payload.duplicate());
            ByteBuffer d = ByteBuffer.wrap(md5.digest());
            return new Digest(d.getLong(), d.getLong());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Datagrams heard from neighbours for the first time (and so sent on). */
    long heard() {
        return heard.get();
    }

    long forwarded() {
        return forwarded.get();
    }

    /** Copies heard again within the window (the flood reaching a node by several paths). */
    long duplicates() {
        return duplicates.get();
    }

    @Override
    public void close() {
        closed = true;
        for (DatagramChannel ch : channels) {
            try {
                ch.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
        for (Thread t : threads) {
            try {
                t.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}

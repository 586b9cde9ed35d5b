package org.xo.core;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Room to multicast group mapping of the XO paper (section III.A): the MD5 digest of the room's full JID, its 18
 * least significant bits OR a /14 base, by default 239.192.0.0 (the IPv4 organization-local scope).
 * <p>
 * Exact bit order: {@code d = MD5(UTF-8 bytes of room.jid())} is 16 bytes {@code d[0..15]}; the digest is read as
 * one big-endian 128-bit number, so its least significant bits are the end of the array:
 * {@code low = ((d[13] & 0xff) << 16 | (d[14] & 0xff) << 8 | (d[15] & 0xff)) & 0x3FFFF}, and the group is the IPv4
 * address whose big-endian 32-bit value is {@code base | low}. Example: {@code lobby@conference.xo} has digest
 * {@code 6f283ff2...df719603}, low bits {@code 0x19603}, group {@code 239.193.150.3}.
 * <p>
 * Different rooms can share a group (2^18 groups): receivers filter on the room address. Immutable, thread-safe.
 */
public final class GroupAddressing {
    /** Number of digest bits that select the group. */
    public static final int GROUP_BITS = 18;
    private static final int LOW_MASK = (1 << GROUP_BITS) - 1;
    /** 239.192.0.0, the organization-local multicast scope used by the paper. */
    public static final Inet4Address DEFAULT_BASE = ipv4(new byte[] {(byte) 239, (byte) 192, 0, 0});

    private final Inet4Address base;
    private final int baseBits;

    /** @param base a multicast IPv4 address whose low 18 bits are zero */
    public GroupAddressing(InetAddress base) {
        if (!(base instanceof Inet4Address)) {
            throw new IllegalArgumentException("Group base " + base + " is not an IPv4 address.");
        }
        int bits = toInt((Inet4Address) base);
        if ((bits & LOW_MASK) != 0) {
            throw new IllegalArgumentException("Group base " + base.getHostAddress() + " must have its low "
                    + GROUP_BITS + " bits zero (a /14 prefix such as 239.192.0.0).");
        }
        if (!base.isMulticastAddress()) {
            throw new IllegalArgumentException("Group base " + base.getHostAddress()
                    + " is not a multicast address (224.0.0.0/4).");
        }
        this.base = (Inet4Address) base;
        this.baseBits = bits;
    }

    /** The paper's mapping onto 239.192.0.0/14. */
    public GroupAddressing() {
        this(DEFAULT_BASE);
    }

    public Inet4Address base() {
        return base;
    }

    /** @return the multicast group that carries this room's traffic */
    public Inet4Address groupFor(OverlayRoom room) {
        byte[] d = md5(room.jid().getBytes(StandardCharsets.UTF_8));
        int low = ((d[13] & 0xff) << 16 | (d[14] & 0xff) << 8 | (d[15] & 0xff)) & LOW_MASK;
        int v = baseBits | low;
        return ipv4(new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v});
    }

    private static byte[] md5(byte[] data) {
        try {
            return MessageDigest.getInstance("MD5").digest(data);
        } catch (NoSuchAlgorithmException e) {
            // Every Java platform must provide MD5 (java.security.MessageDigest contract).
            throw new IllegalStateException("MD5 is not available", e);
        }
    }

    private static int toInt(Inet4Address a) {
        byte[] b = a.getAddress();
        return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
    }

    private static Inet4Address ipv4(byte[] b) {
        try {
            return (Inet4Address) InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("4-byte address rejected", e); // cannot happen: length is 4
        }
    }
}

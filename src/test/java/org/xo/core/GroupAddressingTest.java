package org.xo.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.net.InetAddress;

import org.junit.Test;

public class GroupAddressingTest {
    /*
     * Vectors computed independently with Python's hashlib, not with this code:
     *   d = hashlib.md5(jid.encode('utf-8')).digest()
     *   low = int.from_bytes(d[-3:], 'big') & 0x3FFFF
     *   ipaddress.IPv4Address(int(ipaddress.IPv4Address(base)) | low)
     * {jid, md5 hex, group on 239.192.0.0, group on 239.196.0.0}
     */
    private static final String[][] VECTORS = {
        {"lobby@conference.xo", "6f283ff27aa584e72ea06354df719603", "239.193.150.3", "239.197.150.3"},
        {"room@conference.proxy", "09a18d61d929dd0c63b162543a659f78", "239.193.159.120", "239.197.159.120"},
        {"ops@conference.xo", "e79651b9486fc3b644cba5316a99d29d", "239.193.210.157", "239.197.210.157"},
        {"caf\u00e9@conference.xo", "c9af231286e9e0e72fd28de7f027b408", "239.195.180.8", "239.199.180.8"},
        {"\u0441\u0432\u044f\u0437\u044c@conference.xo", "35af7ab4af351c12a7f9e85f54a7f718", "239.195.247.24",
            "239.199.247.24"},
        {"\u4f1a\u8bae@conference.xo", "fb8b72e5eac987fad558b2c26c5eec96", "239.194.236.150", "239.198.236.150"},
        {"a@b", "a1ca0ed6e42a23f4758e8a3f6b54de58", "239.192.222.88", "239.196.222.88"},
    };

    @Test
    public void mapsRoomsLikeThePaper() throws Exception {
        GroupAddressing paper = new GroupAddressing();
        GroupAddressing other = new GroupAddressing(InetAddress.getByName("239.196.0.0"));
        for (String[] v : VECTORS) {
            OverlayRoom room = OverlayRoom.parse(v[0]);
            assertEquals(v[0], v[2], paper.groupFor(room).getHostAddress());
            assertEquals(v[0], v[3], other.groupFor(room).getHostAddress());
        }
    }

    @Test
    public void normalizesBeforeHashing() {
        GroupAddressing paper = new GroupAddressing();
        assertEquals("239.193.150.3", paper.groupFor(OverlayRoom.parse("  Lobby@Conference.XO ")).getHostAddress());
        assertEquals("239.193.150.3", paper.groupFor(OverlayRoom.of("LOBBY", "conference.xo")).getHostAddress());
    }

    @Test
    public void rejectsBasesThatAreNotA14MulticastPrefix() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> new GroupAddressing(InetAddress.getByName("239.192.0.1")));
        assertThrows(IllegalArgumentException.class, () -> new GroupAddressing(InetAddress.getByName("239.194.0.0")));
        assertThrows(IllegalArgumentException.class, () -> new GroupAddressing(InetAddress.getByName("10.0.0.0")));
        assertThrows(IllegalArgumentException.class, () -> new GroupAddressing(InetAddress.getByName("::1")));
        assertEquals("224.0.0.0", new GroupAddressing(InetAddress.getByName("224.0.0.0")).base().getHostAddress());
    }
}

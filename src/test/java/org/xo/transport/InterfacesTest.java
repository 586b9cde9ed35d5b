package org.xo.transport;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.net.NetworkInterface;

import org.junit.Test;

public class InterfacesTest {
    @Test
    public void resolvesByNameAndByAddress() {
        NetworkInterface lo = Interfaces.resolve("lo");
        assertEquals("lo", lo.getName());
        assertEquals(lo, Interfaces.resolve("127.0.0.1"));
        assertEquals(lo, Interfaces.resolve(" lo "));
    }

    @Test
    public void unknownInterfaceNamesTheAvailableOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Interfaces.resolve("foo"));
        assertTrue(e.getMessage(), e.getMessage().startsWith("No network interface named or addressed 'foo'; available: "));
        assertTrue(e.getMessage(), e.getMessage().contains("lo"));
        assertTrue(e.getMessage(), e.getMessage().endsWith("."));
        assertThrows(IllegalArgumentException.class, () -> Interfaces.resolve("192.0.2.77"));
        assertThrows(IllegalArgumentException.class, () -> Interfaces.resolve(""));
    }

    @Test
    public void defaultIsAnInterfaceThatIsUp() throws Exception {
        assertTrue(Interfaces.defaultMulticast().isUp());
    }
}

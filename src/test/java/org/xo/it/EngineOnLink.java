package org.xo.it;

import java.io.IOException;
import java.net.NetworkInterface;

import org.xo.engine.EngineConfig;
import org.xo.engine.EngineListener;
import org.xo.engine.XoEngine;
import org.xo.transport.Interfaces;
import org.xo.transport.Transport;
import org.xo.transport.UdpConfig;
import org.xo.transport.UdpMulticastTransport;
import org.xo.transport.norm.NormConfig;
import org.xo.transport.norm.NormTransport;

/**
 * A real {@link XoEngine} at one end of a {@link LossyLink}: its sockets and threads live in that namespace, its
 * multicast interface is the link. Plain UDP or NORM (real libnorm, never the UDP fallback); discovery and DNS-SD off,
 * so that only room traffic crosses the link.
 */
public final class EngineOnLink implements AutoCloseable {
    /** The overlay port of every engine on a link (each link has namespaces of its own). */
    public static final int PORT = 46045;

    public final XoEngine engine;

    private EngineOnLink(XoEngine engine) {
        this.engine = engine;
    }

    /** Starts the engine in namespace {@code end} and opens {@code rooms} there (their groups are joined there). */
    public static EngineOnLink start(LossyLink link, String end, long nodeId, boolean norm, EngineListener listener,
                                     String... rooms) throws IOException {
        return link.in(end, () -> {
            NetworkInterface nic = Interfaces.resolve(link.device(end));
            UdpConfig udp = UdpConfig.on(nic).withPort(PORT);
            Transport transport = norm ? new NormTransport(NormConfig.from(udp, nodeId)) : new UdpMulticastTransport(udp);
            XoEngine engine = new XoEngine(EngineConfig.builder().nodeId(nodeId).udp(udp).discovery(false)
                    .dnsSd(false).build(), transport, listener);
            try {
                engine.start();
                for (String room : rooms) {
                    engine.openRoom(room);
                }
            } catch (IOException | RuntimeException e) {
                engine.close();
                throw e;
            }
            return new EngineOnLink(engine);
        });
    }

    @Override
    public void close() {
        engine.close();
    }
}
